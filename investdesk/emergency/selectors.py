"""Every read of emergency response, scoped by the policy. The figures leaders report — donation
totals, volunteer person-times, shipments by state, critical enterprises not producing — are computed
here, once, for pages, exports, the API and the work bulletin."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from investdesk.core import policy
from investdesk.emergency.models import (
    CriticalEnterprise,
    Donation,
    Incident,
    Shipment,
    VolunteerService,
)
from investdesk.lib.chinese_text import normalize_query

ZERO = Decimal(0)


# --- incidents ------------------------------------------------------------------------------------


def incidents() -> QuerySet[Incident]:
    """Incidents are the agency's shared context: every user reads them."""
    return Incident.objects.all()


def incident_get(*, incident_id) -> Incident:
    from django.http import Http404

    incident = Incident.objects.filter(pk=incident_id).first() if isinstance(incident_id, int) else None
    if incident is None:
        raise Http404
    return incident


def current_incident() -> Incident | None:
    """The latest incident still open, else the latest one."""
    today = timezone.localdate()
    open_ = Incident.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today)
    return open_.order_by("-starts_on").first() or Incident.objects.order_by("-starts_on").first()


@dataclass
class Scope:
    """What a figure is about: an incident, a unit and its sub-units, a period of dates (inclusive)."""

    incident: int | None = None
    unit: int | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None

    def apply(self, qs: QuerySet, *, date_field: str, unit_field: str) -> QuerySet:
        if self.incident:
            qs = qs.filter(incident_id=self.incident)
        qs = policy.within_unit(qs, self.unit, unit_field)
        if self.start:
            qs = qs.filter(**{f"{date_field}__gte": self.start})
        if self.end:
            qs = qs.filter(**{f"{date_field}__lte": self.end})
        return qs


# --- donations ------------------------------------------------------------------------------------


@dataclass
class DonationFilter:
    q: str | None = None
    donor_kind: str | None = None
    kind: str | None = None
    state: str | None = None
    credited_to: int | None = None  # a chamber: its own gifts and those it mobilised


def donations_for_user(*, user, scope: Scope | None = None, filters: DonationFilter | None = None):
    f = filters or DonationFilter()
    qs = policy.visible(user, Donation.objects.all())
    qs = (scope or Scope()).apply(qs, date_field="pledged_on", unit_field="owner_unit")
    term = normalize_query(f.q)
    if term:
        qs = qs.filter(search_text__contains=term)
    if f.donor_kind:
        qs = qs.filter(donor_kind=f.donor_kind)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.credited_to:
        qs = qs.filter(Q(chamber_id=f.credited_to) | Q(mobilised_by_id=f.credited_to))
    return qs.select_related("incident", "enterprise", "chamber", "mobilised_by", "owner_unit").order_by(
        "-pledged_on", "-id"
    )


def donation_get_for_user(*, user, donation_id: int) -> Donation:
    return policy.get_visible_or_404(
        user,
        Donation.objects.select_related("incident", "enterprise", "chamber", "mobilised_by", "owner_unit"),
        pk=donation_id,
    )


@dataclass
class DonationTotals:
    count: int = 0
    pledged: Decimal = ZERO  # yuan: money pledged plus the estimated value of goods
    received: Decimal = ZERO
    money_pledged: Decimal = ZERO
    money_received: Decimal = ZERO
    goods_pledged: Decimal = ZERO  # estimated value
    goods_received: Decimal = ZERO
    not_fully_received: int = 0  # pledges with something still to arrive: the count is incomplete
    by_donor_kind: list = field(default_factory=list)  # [(key, label, count, pledged, received)]
    chambers: list = field(default_factory=list)  # [(chamber_id, name, own, mobilised, total)]
    leaderboard: list = field(default_factory=list)  # [(donor name, donor kind label, pledged, received)]

    @property
    def only_pledged(self) -> Decimal:
        return self.pledged - self.received

    @property
    def only_pledged_share(self) -> float:
        return float(self.only_pledged / self.pledged) if self.pledged else 0.0

    @property
    def incomplete(self) -> bool:
        """据不完全统计: some pledges have not fully arrived, so the totals may still change."""
        return self.not_fully_received > 0


def donation_totals(*, user, scope: Scope | None = None, top: int = 10) -> DonationTotals:
    """Totals of the pledges in scope (by pledge date). Each gift counts once; a chamber's credit
    adds its own gifts and the gifts it mobilised (soft credit), shown beside the totals, never in
    them."""
    qs = donations_for_user(user=user, scope=scope).order_by()
    money, goods = Q(kind=Donation.Kind.MONEY), Q(kind=Donation.Kind.GOODS)
    t = qs.aggregate(
        count=Count("id"),
        pledged=Sum("value"),
        received=Sum("received_value"),
        money_pledged=Sum("value", filter=money),
        money_received=Sum("received_value", filter=money),
        goods_pledged=Sum("value", filter=goods),
        goods_received=Sum("received_value", filter=goods),
        open=Count("id", filter=~Q(state=Donation.State.RECEIVED)),
    )
    totals = DonationTotals(
        count=t["count"],
        pledged=t["pledged"] or ZERO,
        received=t["received"] or ZERO,
        money_pledged=t["money_pledged"] or ZERO,
        money_received=t["money_received"] or ZERO,
        goods_pledged=t["goods_pledged"] or ZERO,
        goods_received=t["goods_received"] or ZERO,
        not_fully_received=t["open"],
    )
    kinds = {
        r["donor_kind"]: r
        for r in qs.values("donor_kind").annotate(n=Count("id"), p=Sum("value"), r=Sum("received_value"))
    }
    totals.by_donor_kind = [
        (key, label, kinds.get(key, {}).get("n", 0), kinds.get(key, {}).get("p") or ZERO,
         kinds.get(key, {}).get("r") or ZERO)
        for key, label in Donation.DonorKind.choices
    ]  # fmt: skip
    own = {
        r["chamber_id"]: r["v"] for r in qs.filter(chamber__isnull=False).values("chamber_id").annotate(v=Sum("value"))
    }
    mobilised = {
        r["mobilised_by_id"]: r["v"]
        for r in qs.filter(mobilised_by__isnull=False).values("mobilised_by_id").annotate(v=Sum("value"))
    }
    from investdesk.enterprises.models import Chamber

    names = dict(Chamber.objects.filter(pk__in={*own, *mobilised}).values_list("pk", "name"))
    totals.chambers = sorted(
        (
            (pk, names[pk], own.get(pk, ZERO), mobilised.get(pk, ZERO), own.get(pk, ZERO) + mobilised.get(pk, ZERO))
            for pk in names
        ),
        key=lambda row: (-row[4], row[1]),
    )
    labels = dict(Donation.DonorKind.choices)
    totals.leaderboard = [
        (r["donor_name"], labels.get(r["donor_kind"], ""), r["p"], r["r"])
        for r in qs.values("donor_name", "donor_kind")
        .annotate(p=Sum("value"), r=Sum("received_value"))
        .order_by("-p", "donor_name")[:top]
    ]
    return totals


def donor_donations(*, user, donation: Donation) -> QuerySet[Donation]:
    """All the gifts of the same donor in the same incident (for the certificate)."""
    same = (
        Q(enterprise=donation.enterprise)
        if donation.enterprise_id
        else (
            Q(chamber=donation.chamber)
            if donation.chamber_id
            else Q(donor_kind="person", donor_name=donation.donor_name)
        )
    )
    return donations_for_user(user=user, scope=Scope(incident=donation.incident_id)).filter(same)


# --- shipments ------------------------------------------------------------------------------------


def shipments_for_user(*, user, scope: Scope | None = None, state: str | None = None, q: str | None = None):
    """Shipments in scope; a period selects them by the day they were entered."""
    qs = policy.visible(user, Shipment.objects.all())
    scope = scope or Scope()
    qs = scope.apply(qs, date_field="created_at__date", unit_field="owner_unit")
    if state:
        qs = qs.filter(state=state)
    term = (q or "").strip()
    if term:
        qs = qs.filter(Q(goods__icontains=term) | Q(destination__icontains=term) | Q(plate__icontains=term))
    return qs.select_related("incident", "donation", "owner_unit", "case").order_by("-updated_at", "-id")


def shipment_get_for_user(*, user, shipment_id: int) -> Shipment:
    return policy.get_visible_or_404(
        user, Shipment.objects.select_related("incident", "donation", "owner_unit", "case"), pk=shipment_id
    )


def shipment_board(*, user, scope: Scope | None = None) -> list[tuple[str, str, list[Shipment]]]:
    rows = list(shipments_for_user(user=user, scope=scope))
    return [(key, label, [s for s in rows if s.state == key]) for key, label in Shipment.State.choices]


def shipment_counts(*, user, scope: Scope | None = None) -> dict[str, int]:
    counts = dict(shipments_for_user(user=user, scope=scope).order_by().values_list("state").annotate(n=Count("id")))
    return {key: counts.get(key, 0) for key in Shipment.State.values}


# --- volunteer service ----------------------------------------------------------------------------


def volunteer_for_user(*, user, scope: Scope | None = None, person=None) -> QuerySet[VolunteerService]:
    qs = policy.visible(user, VolunteerService.objects.all())
    qs = (scope or Scope()).apply(qs, date_field="on", unit_field="unit")
    if person is not None:
        qs = qs.filter(person=person)
    return qs.select_related("person", "unit", "incident").order_by("-on", "-id")


@dataclass
class VolunteerFigures:
    person_times: int  # 人次: one per stint
    people: int  # distinct persons
    communities: int  # distinct (district, community)
    tests_assisted: int
    records_entered: int
    households_surveyed: int
    hours: Decimal


def volunteer_figures(*, user, scope: Scope | None = None) -> VolunteerFigures:
    """The figures the agency reports: person-times (count of stints), distinct communities served,
    and the sums of testing assisted, records entered and households surveyed."""
    qs = volunteer_for_user(user=user, scope=scope).order_by()
    t = qs.aggregate(
        n=Count("id"),
        people=Count("person", distinct=True),
        tests=Sum("tests_assisted"),
        records=Sum("records_entered"),
        households=Sum("households_surveyed"),
        hours=Sum("hours"),
    )
    return VolunteerFigures(
        person_times=t["n"],
        people=t["people"],
        communities=qs.values("district", "community").distinct().count(),
        tests_assisted=t["tests"] or 0,
        records_entered=t["records"] or 0,
        households_surveyed=t["households"] or 0,
        hours=t["hours"] or ZERO,
    )


def volunteer_by_unit(*, user, scope: Scope | None = None) -> list[dict]:
    qs = volunteer_for_user(user=user, scope=scope).order_by()
    return list(
        qs.values("unit__name", "unit_id")
        .annotate(n=Count("id"), people=Count("person", distinct=True), tests=Sum("tests_assisted"))
        .order_by("-n", "unit__name")
    )


# --- production continuity ------------------------------------------------------------------------


def critical_for_user(*, user, scope: Scope | None = None, not_normal: bool = False, q: str | None = None):
    """Critical enterprises of the incident and unit in scope, with their current status (a period does
    not apply: the list is the state of now)."""
    qs = policy.visible(user, CriticalEnterprise.objects.all())
    scope = scope or Scope()
    qs = Scope(incident=scope.incident, unit=scope.unit).apply(qs, date_field="status_on", unit_field="owner_unit")
    if not_normal:
        qs = qs.exclude(status=CriticalEnterprise.Production.NORMAL)
    term = normalize_query(q)
    if term:
        qs = qs.filter(enterprise__search_text__contains=term)
    return qs.select_related("enterprise", "incident", "owner_unit").order_by("status", "enterprise__name")


def critical_get_for_user(*, user, critical_id: int) -> CriticalEnterprise:
    return policy.get_visible_or_404(
        user, CriticalEnterprise.objects.select_related("enterprise", "incident", "owner_unit"), pk=critical_id
    )


def critical_counts(*, user, scope: Scope | None = None) -> dict[str, int]:
    counts = dict(critical_for_user(user=user, scope=scope).order_by().values_list("status").annotate(n=Count("id")))
    return {key: counts.get(key, 0) for key in CriticalEnterprise.Production.values}


# --- home -----------------------------------------------------------------------------------------


def home_emergency_panel(*, user) -> dict | None:
    """During an open incident: what the person logged, and the incident's volunteer figures."""
    incident = current_incident()
    if incident is None or not incident.is_active or not user.unit_id:
        return None
    mine = VolunteerService.objects.filter(incident=incident, person=user).count()
    return {"template": "emergency/home_panel.html", "incident": incident, "mine": mine}
