"""Every read of cases, scoped by the permission policy; the case figures are computed here, once."""

import datetime
import functools
import operator
import statistics
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from investdesk.cases.models import Case, CaseCategory, CaseEvent, Extension, ThankYouLetter
from investdesk.core import policy
from investdesk.core.models import Unit
from investdesk.lib.chinese_text import normalize_query
from investdesk.lib.localdays import days_filter
from investdesk.lib.workdays import add_workdays, workdays_between

S = Case.Status
OPEN = (S.REGISTERED, S.ASSIGNED, S.IN_PROGRESS)


def categories() -> QuerySet[CaseCategory]:
    return CaseCategory.objects.filter(is_active=True)


def cases_for_user(*, user) -> QuerySet[Case]:
    return policy.visible(user, Case.objects.all()).select_related(
        "enterprise", "category", "lead_unit", "lead_handler", "owner_unit"
    )


def case_get_for_user(*, user, case_id: int) -> Case:
    return policy.get_visible_or_404(
        user,
        Case.objects.select_related(
            "enterprise", "category", "lead_unit", "lead_handler", "owner_unit", "visit", "problem"
        ),
        pk=case_id,
    )


QUEUES = [
    "to_accept",
    "in_progress",
    "due_soon",
    "overdue",
    "unassigned",
    "returned",
    "extensions",
    "supervised",
    "resolved",
    "all",
]


def _queues(*, user, today: datetime.date) -> dict[str, tuple[tuple[str, ...] | None, Q | None]]:
    """Every queue as (the statuses its cases are in, or None for any status; what else they need):
    the one definition the queue's list and its count in the tabs both use. My unit's queues (to
    accept, in progress, due within 2 working days) and the dispatcher's (unassigned, returned,
    extension requests), all within the user's scope. Returned and extension requests are
    `id IN (subquery)` rather than joins, so a case counts once without a DISTINCT, and the subquery
    is computed once (hashed) rather than probed for every case."""
    mine = Q(lead_unit__path__startswith=user.unit.path) if user.unit_id else Q(pk__in=[])
    returned = CaseEvent.objects.filter(action="return").values("case_id")
    extension_requested = Extension.objects.filter(status=Extension.Status.PENDING).values("case_id")
    return {
        "to_accept": ((S.ASSIGNED,), mine),
        "in_progress": ((S.IN_PROGRESS,), mine),
        "due_soon": (OPEN, mine & Q(due_on__gte=today, due_on__lte=add_workdays(today, 2))),
        "overdue": (OPEN, Q(due_on__lt=today)),
        "unassigned": ((S.REGISTERED,), None),
        "returned": ((S.REGISTERED,), Q(pk__in=returned)),
        "extensions": (None, Q(pk__in=extension_requested)),
        "supervised": (OPEN, Q(is_supervised=True)),
        "resolved": ((S.RESOLVED,), None),
    }


def _condition(statuses: tuple[str, ...] | None, extra: Q | None) -> Q | None:
    parts = [q for q in (Q(status__in=statuses) if statuses else None, extra) if q is not None]
    return functools.reduce(operator.and_, parts) if parts else None


def queue_condition(*, user, queue: str, today: datetime.date | None = None) -> Q | None:
    """The cases a queue holds, as one condition (`None`: every visible case, the "all" tab)."""
    definition = _queues(user=user, today=today or timezone.localdate()).get(queue)
    return _condition(*definition) if definition else None


def case_queue(*, user, queue: str, q: str | None = None, category: int | None = None) -> QuerySet[Case]:
    """The cases of a queue (`queue_condition`) within the user's scope, searched and filtered."""
    qs = cases_for_user(user=user)
    condition = queue_condition(user=user, queue=queue)
    if condition is not None:
        qs = qs.filter(condition)
    term = normalize_query(q)
    if term:
        qs = qs.filter(
            Q(title__icontains=q.strip()) | Q(number__icontains=q.strip()) | Q(enterprise__search_text__contains=term)
        )
    if category:
        qs = qs.filter(category_id=category)
    # Ends with the id: a total order, so pages neither repeat nor skip cases registered at one time.
    order = (
        ("due_on", "id") if queue in ("due_soon", "overdue", "in_progress", "to_accept") else ("-registered_at", "-id")
    )
    return qs.order_by(*order)


COUNTED_QUEUES = [name for name in QUEUES if name != "all"]


def queue_counts(*, user) -> dict[str, int]:
    """How many cases each queue holds (its tab's badge), in two queries whatever the number of
    cases (nine COUNTs took 184 ms at 300,000 cases):

    * one conditional COUNT per queue over the visible cases in the queues' statuses (open or
      resolved: on PostgreSQL an index-only scan of the partial index `case_queues`, which holds
      just those cases, never the closed ones that pile up over the years);
    * the extension requests, the one queue not bound to statuses: its cases are found from the
      pending requests.

    Each count uses its queue's own definition (`_queues`), so it is the number of rows its list has."""
    queues = _queues(user=user, today=timezone.localdate())
    visible = policy.visible(user, Case.objects.all())
    bound = {name: q for name, q in queues.items() if q[0] is not None}
    statuses = sorted({status for st, _ in bound.values() for status in st})
    counts = visible.filter(status__in=statuses).aggregate(
        **{name: Count("pk", filter=_condition(*q)) for name, q in bound.items()}
    )
    for name, (_, extra) in queues.items():
        if name not in bound:
            counts[name] = visible.filter(extra).count()
    return {name: counts[name] or 0 for name in COUNTED_QUEUES}


def case_events(*, case: Case):
    return case.events.select_related("actor").order_by("at", "id")


# --- figures --------------------------------------------------------------------------------------


@dataclass
class CaseFigures:
    total: int
    by_status: dict[str, int]
    by_category: list[tuple[str, int]]
    by_unit: list[tuple[str, int]]
    enterprises: int
    resolved: int
    resolution_rate: float
    on_time_rate: float
    median_workdays: float | None
    satisfaction_rate: float
    reopened: int
    overdue: int
    thank_you_letters: int


def cases_registered(
    *, user, start: datetime.date | None = None, end: datetime.date | None = None, unit: Unit | None = None
) -> QuerySet[Case]:
    """The cases registered in a period (Asia/Shanghai dates) whose lead unit is `unit` or below it,
    in the user's scope: the rows behind the case figures."""
    qs = policy.visible(user, Case.objects.filter(**days_filter("registered_at", start, end)))
    return policy.within_unit(qs, unit.pk if unit else None, "lead_unit")


def case_figures(
    *, user, start: datetime.date | None = None, end: datetime.date | None = None, unit: Unit | None = None
) -> CaseFigures:
    """The case figures for a period (registration date) in the user's scope. The dashboard, the
    bulletin and the API all show these numbers, computed here."""
    qs = cases_registered(user=user, start=start, end=end, unit=unit)
    total = qs.count()
    by_status = {row["status"]: row["n"] for row in qs.values("status").annotate(n=Count("id"))}
    resolved_statuses = (S.RESOLVED, S.FOLLOWED_UP, S.CLOSED)
    resolved = sum(by_status.get(s, 0) for s in resolved_statuses)
    done = qs.filter(status__in=resolved_statuses, resolved_at__isnull=False)
    on_time = done.filter(resolved_on_time=True).count()
    # Working days depend only on the two local dates: count the cases per pair of dates in SQL and
    # walk the calendar once per distinct pair (a year of cases has far fewer pairs than cases).
    pairs = done.values_list(TruncDate("registered_at"), TruncDate("resolved_at")).annotate(n=Count("id"))
    durations = [days for r, s, n in pairs.order_by() for days in [workdays_between(r, s)] * n]
    rated = qs.exclude(satisfaction="")
    satisfied = rated.filter(satisfaction__in=[Case.Satisfaction.SATISFIED, Case.Satisfaction.BASIC]).count()
    return CaseFigures(
        total=total,
        by_status={s: by_status.get(s, 0) for s in S.values},
        by_category=[
            (r["category__name"], r["n"])
            for r in qs.values("category__name").annotate(n=Count("id")).order_by("-n", "category__name")
        ],
        by_unit=[
            (r["lead_unit__name"] or "—", r["n"])
            for r in qs.values("lead_unit__name").annotate(n=Count("id")).order_by("-n", "lead_unit__name")
        ],
        enterprises=qs.values("enterprise").distinct().count(),
        resolved=resolved,
        resolution_rate=resolved / total if total else 0.0,
        on_time_rate=on_time / len(durations) if durations else 0.0,
        median_workdays=statistics.median(durations) if durations else None,
        satisfaction_rate=satisfied / rated.count() if rated.exists() else 0.0,
        reopened=qs.filter(reopen_count__gt=0).count(),
        overdue=qs.filter(status__in=OPEN, due_on__lt=timezone.localdate()).count(),
        thank_you_letters=_letters(user=user, start=start, end=end).count(),
    )


def _letters(*, user, start, end):
    qs = policy.visible(user, ThankYouLetter.objects.all())
    if start:
        qs = qs.filter(received_on__gte=start)
    if end:
        qs = qs.filter(received_on__lte=end)
    return qs


def enterprise_cases_panel(*, user, enterprise) -> dict | None:
    """The cases and thank-you letters of an enterprise, for its 360 page."""
    cases = list(cases_for_user(user=user).filter(enterprise=enterprise).order_by("-registered_at")[:20])
    letters = list(policy.visible(user, ThankYouLetter.objects.filter(enterprise=enterprise))[:10])
    return {"template": "cases/enterprise_panel.html", "cases": cases, "letters": letters, "enterprise": enterprise}


def home_cases_panel(*, user) -> dict | None:
    """The case queues that need the person, for the home page."""
    if not user.unit_id:
        return None
    counts = queue_counts(user=user)
    tiles = [("to_accept", counts["to_accept"]), ("due_soon", counts["due_soon"]), ("overdue", counts["overdue"])]
    if policy.can(user, policy.Capability.DISPATCH):
        tiles = [("unassigned", counts["unassigned"]), ("extensions", counts["extensions"]), *tiles]
    return {"template": "cases/home_panel.html", "tiles": tiles}
