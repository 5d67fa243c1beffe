"""Every read of cases, scoped by the permission policy; the case figures are computed here, once."""

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from investdesk.cases.models import Case, CaseCategory, Extension, ThankYouLetter
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


def case_queue(*, user, queue: str, q: str | None = None, category: int | None = None) -> QuerySet[Case]:
    """My unit's queues (to accept, in progress, due within 2 working days, overdue) and the
    dispatcher's (unassigned, returned, extension requests), all within the user's scope."""
    qs = cases_for_user(user=user)
    today = timezone.localdate()
    mine = Q(lead_unit__path__startswith=user.unit.path) if user.unit_id else Q(pk__in=[])
    if queue == "to_accept":
        qs = qs.filter(mine, status=S.ASSIGNED)
    elif queue == "in_progress":
        qs = qs.filter(mine, status=S.IN_PROGRESS)
    elif queue == "due_soon":
        qs = qs.filter(mine, status__in=OPEN, due_on__gte=today, due_on__lte=add_workdays(today, 2))
    elif queue == "overdue":
        qs = qs.filter(status__in=OPEN, due_on__lt=today)
    elif queue == "unassigned":
        qs = qs.filter(status=S.REGISTERED)
    elif queue == "returned":
        qs = qs.filter(status=S.REGISTERED, events__action="return").distinct()
    elif queue == "extensions":
        qs = qs.filter(extensions__status=Extension.Status.PENDING).distinct()
    elif queue == "supervised":
        qs = qs.filter(is_supervised=True, status__in=OPEN)
    elif queue == "resolved":
        qs = qs.filter(status=S.RESOLVED)
    term = normalize_query(q)
    if term:
        qs = qs.filter(
            Q(title__icontains=q.strip()) | Q(number__icontains=q.strip()) | Q(enterprise__search_text__contains=term)
        )
    if category:
        qs = qs.filter(category_id=category)
    order = ("due_on", "id") if queue in ("due_soon", "overdue", "in_progress", "to_accept") else ("-registered_at",)
    return qs.order_by(*order)


def queue_counts(*, user) -> dict[str, int]:
    return {name: case_queue(user=user, queue=name).count() for name in QUEUES if name != "all"}


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
