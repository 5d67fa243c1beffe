"""Every read of the registry, scoped by the permission policy."""

import datetime
from dataclasses import dataclass, field

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.fields.array import ArrayContains
from django.db import connection
from django.db.models import Count, Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, TextField, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from investdesk.core import policy
from investdesk.core.fields import blind_index_q
from investdesk.core.models import Unit
from investdesk.enterprises.models import (
    Chamber,
    Contact,
    Enterprise,
    Industry,
    ServiceAction,
    Visit,
    VisitProblem,
)
from investdesk.lib.chinese_text import normalize_query
from investdesk.lib.phones import normalize_mobile

# Panels other modules add to the enterprise 360 page (cases, projects, letters, donations, …):
# each is `panel(*, user, enterprise) -> dict | None` with a "template" key and its context.
ENTERPRISE_PANELS: list = []


def enterprise_panels(*, user, enterprise) -> list[dict]:
    return [panel for make in ENTERPRISE_PANELS if (panel := make(user=user, enterprise=enterprise))]


FLAG_FIELDS = {"key": "is_key", "city_support": "is_city_support", "fortune500": "is_fortune500",
               "listed": "is_listed"}  # fmt: skip


@dataclass
class EnterpriseFilter:
    """The list's filters, shared by the page, the export and the API."""

    q: str | None = None
    city: str | None = None
    industry: int | None = None
    ownership: str | None = None
    status: str | None = None
    flags: list[str] = field(default_factory=list)
    unit: int | None = None
    liaison: int | None = None
    action: int | None = None
    visited_since: datetime.date | None = None
    not_visited_since: datetime.date | None = None
    order: str = "-updated_at"


ORDERINGS = {
    "-updated_at": ("-updated_at", "-id"),
    "name": ("name_key", "id"),
    "-last_visit_on": ("-last_visit_on", "-id"),
    "last_visit_on": ("last_visit_on", "id"),
    "-employees": ("-employees", "-id"),
}


class Bigrams(Func):
    """`investdesk_bigrams(text)`: the text's two-character substrings, as the GIN index
    `enterprise_search_bigrams` holds them for `search_text` (PostgreSQL only, migration 0005)."""

    function = "investdesk_bigrams"
    output_field = ArrayField(TextField())


def _search(q: str) -> Q:
    matches = Q(search_text__contains=q)
    if connection.vendor == "postgresql" and len(q) == 2:
        # pg_trgm finds no trigram in a two-character pattern: the bigram index serves it instead.
        # The LIKE stays beside it: where the planner rather walks the newest rows (a common pair finds
        # its 51 soon) it filters with the cheap LIKE first and computes bigrams of matching rows only.
        # With `@>` alone, estimated at 3,000 rows for 华兴 (297 really), the planner walked anyway and
        # computed the bigrams of 200,000 rows: 7.7 s at a million enterprises.
        matches &= Q(ArrayContains(Bigrams("search_text"), [q]))
    return matches


def industries() -> QuerySet[Industry]:
    return Industry.objects.filter(is_active=True)


def enterprises_for_user(*, user, filters: EnterpriseFilter | None = None) -> QuerySet[Enterprise]:
    f = filters or EnterpriseFilter()
    qs = policy.visible(user, Enterprise.objects.filter(merged_into__isnull=True))
    q = normalize_query(f.q)
    if q:
        matches = _search(q)
        if mobile := normalize_mobile(f.q or ""):
            # Mobile numbers are encrypted: only a whole one matches, through its blind index.
            matches |= Exists(
                Contact.objects.filter(blind_index_q(Contact, "mobile", mobile), enterprise=OuterRef("pk"))
            )
        qs = qs.filter(matches)
    if f.city:
        qs = qs.filter(city=f.city)
    if f.industry:
        qs = qs.filter(industry_id=f.industry)
    if f.ownership:
        qs = qs.filter(ownership=f.ownership)
    if f.status:
        qs = qs.filter(status=f.status)
    for flag in f.flags:
        if flag in FLAG_FIELDS:
            qs = qs.filter(**{FLAG_FIELDS[flag]: True})
    qs = policy.within_unit(qs, f.unit)
    if f.liaison:
        qs = qs.filter(liaison_id=f.liaison)
    if f.action:
        qs = qs.filter(service_actions=f.action)
    if f.visited_since:
        qs = qs.filter(last_visit_on__gte=f.visited_since)
    if f.not_visited_since:
        qs = qs.filter(Q(last_visit_on__lt=f.not_visited_since) | Q(last_visit_on__isnull=True))
    return qs.select_related("industry", "owner_unit", "liaison").order_by(
        *ORDERINGS.get(f.order, ORDERINGS["-updated_at"])
    )


def enterprise_get_for_user(*, user, enterprise_id: int) -> Enterprise:
    return policy.get_visible_or_404(
        user, Enterprise.objects.select_related("industry", "owner_unit", "liaison", "merged_into"), pk=enterprise_id
    )


def enterprise_get_editable(*, user, enterprise_id: int) -> Enterprise:
    return policy.get_editable_or_404(user, Enterprise.objects.select_related("owner_unit"), pk=enterprise_id)


def contacts_of(*, user, enterprise: Enterprise) -> QuerySet[Contact]:
    return policy.visible(user, Contact.objects.filter(enterprise=enterprise))


def contact_get_editable(*, user, contact_id: int) -> Contact:
    return policy.get_editable_or_404(user, Contact.objects.select_related("enterprise"), pk=contact_id)


def primary_contacts(enterprises) -> dict[int, Contact]:
    """The primary (or first) contact of each enterprise of a page, in one query."""
    # Ranked in the database: only one contact per enterprise is read (and its mobile decrypted),
    # however many an enterprise has.
    first = Window(RowNumber(), partition_by=[F("enterprise_id")], order_by=[F("is_primary").desc(), F("id").asc()])
    contacts = Contact.objects.filter(enterprise__in=[e.pk for e in enterprises]).annotate(rank=first)
    return {contact.enterprise_id: contact for contact in contacts.filter(rank=1)}


# --- visits ---------------------------------------------------------------------------------------


def visits_for_user(*, user, enterprise: Enterprise | None = None, action: ServiceAction | None = None):
    qs = policy.visible(user, Visit.objects.all())
    if enterprise is not None:
        qs = qs.filter(enterprise=enterprise)
    if action is not None:
        qs = qs.filter(action=action)
    return (
        qs.select_related("enterprise", "action", "owner_unit", "created_by")
        .prefetch_related("units", "staff", Prefetch("problems", queryset=VisitProblem.objects.order_by("id")))
        .order_by("-visited_on", "-id")
    )


def visit_get_for_user(*, user, visit_id: int) -> Visit:
    return policy.get_visible_or_404(
        user,
        Visit.objects.select_related("enterprise", "action", "owner_unit").prefetch_related(
            "staff", "units", "contacts", "answers__question", "problems"
        ),
        pk=visit_id,
    )


def visit_get_editable(*, user, visit_id: int) -> Visit:
    return policy.get_editable_or_404(user, Visit.objects.select_related("enterprise", "action"), pk=visit_id)


@dataclass(frozen=True)
class OtherVisit:
    visited_on: datetime.date
    units: str
    mode: str
    status: str


def recent_visits_by_others(*, user, enterprise: Enterprise, days: int = 90) -> list[OtherVisit]:
    """Visits to this enterprise by other units in the last `days` days, so nobody visits twice by
    accident. Only when, who (units) and how are shown: the content stays with the visiting unit."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    mine = policy.visible(user, Visit.objects.filter(enterprise=enterprise)).values("pk")
    others = (
        Visit.objects.filter(enterprise=enterprise, visited_on__gte=since)
        .exclude(pk__in=mine)
        .prefetch_related("units")
        .order_by("-visited_on")
    )
    return [
        OtherVisit(
            v.visited_on, "、".join(u.label for u in v.units.all()), v.get_mode_display(), v.get_status_display()
        )
        for v in others
    ]


def stale_key_enterprises(*, user, days: int = 30, liaison_id: int | None = None) -> QuerySet[Enterprise]:
    """Key enterprises nobody has visited for `days` days (or ever), by liaison officer."""
    cutoff = timezone.localdate() - datetime.timedelta(days=days)
    qs = enterprises_for_user(user=user, filters=EnterpriseFilter(flags=["key"], not_visited_since=cutoff))
    qs = qs.exclude(status=Enterprise.Status.CLOSED)
    if liaison_id:
        qs = qs.filter(liaison_id=liaison_id)
    return qs.order_by("liaison__name", "last_visit_on", "id")


# --- duplicates -----------------------------------------------------------------------------------


def duplicate_groups(*, user, limit: int = 100) -> list[list[Enterprise]]:
    """Enterprises the user can see whose names fold to the same key (繁简, punctuation, spaces)."""
    visible = enterprises_for_user(user=user)
    keys = (
        visible.order_by()
        .values("name_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("name_key", flat=True)[:limit]
    )
    groups: dict[str, list[Enterprise]] = {}
    for enterprise in visible.filter(name_key__in=list(keys)).order_by("name_key", "id"):
        groups.setdefault(enterprise.name_key, []).append(enterprise)
    return list(groups.values())


# --- chambers -------------------------------------------------------------------------------------


def chambers_for_user(*, user) -> QuerySet[Chamber]:
    return policy.visible(user, Chamber.objects.all()).annotate(member_count=Count("members")).order_by("kind", "name")


def chamber_get_for_user(*, user, chamber_id: int) -> Chamber:
    return policy.get_visible_or_404(user, Chamber.objects.prefetch_related("people"), pk=chamber_id)


# --- service actions ------------------------------------------------------------------------------


def service_actions_for_user(*, user) -> QuerySet[ServiceAction]:
    return (
        policy.visible(user, ServiceAction.objects.all())
        .select_related("owner_unit")
        .annotate(target_count=Count("targets", distinct=True))
        .order_by("-starts_on", "name")
    )


def service_action_get_for_user(*, user, action_id: int) -> ServiceAction:
    return policy.get_visible_or_404(
        user, ServiceAction.objects.select_related("owner_unit").prefetch_related("units", "questions"), pk=action_id
    )


@dataclass
class UnitProgress:
    unit: Unit
    targets: int
    visited: int

    @property
    def rate(self) -> float:
        return self.visited / self.targets if self.targets else 0.0


@dataclass
class ActionProgress:
    targets: int
    visited: int
    visits: int
    problems: int
    enterprises_with_problems: int
    by_unit: list[UnitProgress]

    @property
    def not_visited(self) -> int:
        return self.targets - self.visited

    @property
    def rate(self) -> float:
        return self.visited / self.targets if self.targets else 0.0


def service_action_progress(*, action: ServiceAction) -> ActionProgress:
    """The action's figures, computed once for its page, the API and (later) the dashboard and bulletin.

    A target counts as visited when a completed visit of this action reached it. Figures cover the
    whole action (the action's page is visible only to those the action concerns).
    """
    completed = Visit.objects.filter(action=action, status=Visit.Status.COMPLETED)
    visited_ids = set(completed.values_list("enterprise_id", flat=True))
    targets = list(action.targets.select_related("owner_unit").only("id", "owner_unit"))
    problems = VisitProblem.objects.filter(visit__in=completed)
    by_unit: dict[int, UnitProgress] = {}
    for enterprise in targets:
        row = by_unit.setdefault(enterprise.owner_unit_id, UnitProgress(enterprise.owner_unit, 0, 0))
        row.targets += 1
        row.visited += enterprise.pk in visited_ids
    target_ids = {e.pk for e in targets}
    return ActionProgress(
        targets=len(targets),
        visited=len(visited_ids & target_ids),
        visits=completed.count(),
        problems=problems.count(),
        enterprises_with_problems=problems.values("visit__enterprise").distinct().count(),
        by_unit=sorted(by_unit.values(), key=lambda r: (-r.targets, r.unit.path)),
    )


def service_action_unvisited(*, user, action: ServiceAction) -> QuerySet[Enterprise]:
    done = Visit.objects.filter(action=action, status=Visit.Status.COMPLETED, enterprise=OuterRef("pk"))
    return (
        policy.visible(user, action.targets.filter(merged_into__isnull=True))
        .annotate(done=Exists(done))
        .filter(done=False)
        .select_related("owner_unit", "liaison")
        .order_by("owner_unit__path", "name_key")
    )


def home_enterprises_panel(*, user) -> dict | None:
    """Key enterprises the person looks after that nobody has visited for 30 days."""
    if not policy.can(user, policy.Capability.EDIT_RECORDS):
        return None
    stale = stale_key_enterprises(user=user, days=30, liaison_id=user.pk).count()
    return {"template": "enterprises/home_panel.html", "stale": stale}
