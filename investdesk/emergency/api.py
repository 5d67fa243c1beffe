"""/api/v1 endpoints of emergency response: incidents, donations with their receipts, shipments with
their state changes, volunteer services and production continuity."""

import datetime
from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from investdesk.core import policy
from investdesk.core.errors import DomainError
from investdesk.core.models import User
from investdesk.emergency import selectors, services
from investdesk.emergency.models import CriticalEnterprise, Donation, Shipment
from investdesk.enterprises import selectors as enterprise_selectors
from investdesk.lib.masking import mask_id_number, mask_phone

router = Router(tags=["emergency"])


class ScopeQuery(Schema):
    incident: int | None = None
    unit: int | None = None
    from_: datetime.date | None = Field(None, alias="from")
    to: datetime.date | None = None

    def scope(self) -> selectors.Scope:
        return selectors.Scope(incident=self.incident, unit=self.unit, start=self.from_, end=self.to)


# --- incidents ------------------------------------------------------------------------------------


class IncidentIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    kind: str
    starts_on: datetime.date
    ends_on: datetime.date | None = None
    areas: str = ""
    description: str = ""


class IncidentPatch(Schema):
    version: int
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: str | None = None
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    areas: str | None = None
    description: str | None = None


class IncidentOut(Schema):
    id: int
    name: str
    kind: str
    starts_on: datetime.date
    ends_on: datetime.date | None
    areas: str
    description: str
    version: int


@router.get("/incidents", response=list[IncidentOut])
@paginate
def incident_list(request):
    return selectors.incidents()


@router.post("/incidents", response={201: IncidentOut})
def incident_create(request, payload: IncidentIn):
    return Status(201, services.incident_create(actor=request.auth, **payload.dict()))


@router.get("/incidents/{incident_id}")
def incident_get(request, incident_id: int, query: Query[ScopeQuery]):
    """The incident and its figures in the caller's scope (as of `to`, within `unit`)."""
    incident = selectors.incident_get(incident_id=incident_id)
    scope = query.scope()
    scope.incident = incident.pk
    totals = selectors.donation_totals(user=request.auth, scope=scope)
    return {
        **IncidentOut.model_validate(incident).model_dump(),
        "donations": _totals(totals),
        "volunteer": selectors.volunteer_figures(user=request.auth, scope=scope).__dict__,
        "shipments": selectors.shipment_counts(user=request.auth, scope=scope),
        "critical": selectors.critical_counts(user=request.auth, scope=scope),
    }


@router.patch("/incidents/{incident_id}", response=IncidentOut)
def incident_patch(request, incident_id: int, payload: IncidentPatch):
    incident = selectors.incident_get(incident_id=incident_id)
    data = payload.dict(exclude_unset=True)
    return services.incident_update(actor=request.auth, incident=incident, version=data.pop("version"), **data)


def _incident(incident_id: int):
    try:
        return selectors.incident_get(incident_id=incident_id)
    except Http404:
        raise DomainError(_("No incident has this id."), field="incident_id") from None


# --- donations ------------------------------------------------------------------------------------


def _totals(t: selectors.DonationTotals) -> dict:
    return {
        "count": t.count,
        "pledged": t.pledged,
        "received": t.received,
        "only_pledged": t.only_pledged,
        "only_pledged_share": t.only_pledged_share,
        "money_pledged": t.money_pledged,
        "money_received": t.money_received,
        "goods_pledged": t.goods_pledged,
        "goods_received": t.goods_received,
        "incomplete": t.incomplete,
        "by_donor_kind": [
            {"donor_kind": k, "count": n, "pledged": p, "received": r} for k, _label, n, p, r in t.by_donor_kind
        ],
        "chambers": [
            {"chamber_id": pk, "name": name, "own": own, "mobilised": mob, "credit": total}
            for pk, name, own, mob, total in t.chambers
        ],
        "leaderboard": [{"donor": name, "pledged": p, "received": r} for name, _kind, p, r in t.leaderboard],
    }


class DonationQuery(ScopeQuery):
    q: str | None = None
    donor_kind: str | None = None
    kind: str | None = None
    state: str | None = None
    chamber: int | None = None

    def filters(self) -> selectors.DonationFilter:
        return selectors.DonationFilter(
            q=self.q, donor_kind=self.donor_kind, kind=self.kind, state=self.state, credited_to=self.chamber
        )


class DonationIn(Schema):
    """Money: `amount` in yuan. Goods: `item`, `quantity`, `measure` and the estimated `value`."""

    incident_id: int
    donor_kind: str
    enterprise_id: int | None = None
    chamber_id: int | None = None
    donor_name: str = ""
    donor_title: str = ""
    mobilised_by_id: int | None = None
    kind: str
    pledged_on: datetime.date
    amount: Decimal | None = None
    item: str = ""
    quantity: Decimal | None = None
    measure: str = ""
    value: Decimal | None = None
    recipient: str = ""
    note: str = ""


class DonationPatch(Schema):
    version: int
    donor_title: str | None = None
    mobilised_by_id: int | None = None
    pledged_on: datetime.date | None = None
    amount: Decimal | None = None
    item: str | None = None
    quantity: Decimal | None = None
    measure: str | None = None
    value: Decimal | None = None
    recipient: str | None = None
    note: str | None = None


class DonationOut(Schema):
    id: int
    incident_id: int
    donor_kind: str
    enterprise_id: int | None
    chamber_id: int | None
    donor_name: str
    donor_title: str
    mobilised_by_id: int | None
    kind: str
    pledged_on: datetime.date
    amount: Decimal | None
    item: str
    quantity: Decimal | None
    measure: str
    value: Decimal
    received_quantity: Decimal
    received_value: Decimal
    state: str
    recipient: str
    owner_unit_id: int
    version: int


class ReceiptIn(Schema):
    received_on: datetime.date
    quantity: Decimal = Field(..., gt=0)
    note: str = ""


class ReceiptOut(Schema):
    id: int
    received_on: datetime.date
    quantity: Decimal
    value: Decimal
    note: str
    has_voucher: bool = False

    @staticmethod
    def resolve_has_voucher(obj) -> bool:
        return bool(obj.voucher)


def _chamber(user, chamber_id, field):
    if chamber_id is None:
        return None
    chamber = enterprise_selectors.chambers_for_user(user=user).filter(pk=chamber_id).first()
    if chamber is None:
        raise DomainError(_("No chamber you can see has this id."), field=field)
    return chamber


def _enterprise(user, enterprise_id, field="enterprise_id"):
    if enterprise_id is None:
        return None
    enterprise = enterprise_selectors.enterprises_for_user(user=user).filter(pk=enterprise_id).first()
    if enterprise is None:
        raise DomainError(_("No enterprise you can see has this id."), field=field)
    return enterprise


@router.get("/donations", response=list[DonationOut])
@paginate
def donation_list(request, query: Query[DonationQuery]):
    return selectors.donations_for_user(user=request.auth, scope=query.scope(), filters=query.filters())


@router.get("/donations-totals")
def donation_totals(request, query: Query[ScopeQuery]):
    """Totals in yuan (money and the estimated value of goods), each gift counted once; chambers'
    credit (own gifts and those they mobilised) beside them; `incomplete` means 据不完全统计."""
    return _totals(selectors.donation_totals(user=request.auth, scope=query.scope()))


@router.post("/donations", response={201: DonationOut})
def donation_create(request, payload: DonationIn):
    data = payload.dict()
    incident = _incident(data.pop("incident_id"))
    data["enterprise"] = _enterprise(request.auth, data.pop("enterprise_id"))
    data["chamber"] = _chamber(request.auth, data.pop("chamber_id"), "chamber_id")
    data["mobilised_by"] = _chamber(request.auth, data.pop("mobilised_by_id"), "mobilised_by_id")
    return Status(201, services.donation_pledge(actor=request.auth, incident=incident, **data))


@router.get("/donations/{donation_id}", response=DonationOut)
def donation_get(request, donation_id: int):
    return selectors.donation_get_for_user(user=request.auth, donation_id=donation_id)


@router.patch("/donations/{donation_id}", response=DonationOut)
def donation_patch(request, donation_id: int, payload: DonationPatch):
    donation = policy.get_editable_or_404(request.auth, Donation.objects.all(), pk=donation_id)
    data = payload.dict(exclude_unset=True)
    if "mobilised_by_id" in data:
        data["mobilised_by"] = _chamber(request.auth, data.pop("mobilised_by_id"), "mobilised_by_id")
    return services.donation_update(actor=request.auth, donation=donation, version=data.pop("version"), **data)


@router.get("/donations/{donation_id}/receipts", response=list[ReceiptOut])
def receipt_list(request, donation_id: int):
    return list(selectors.donation_get_for_user(user=request.auth, donation_id=donation_id).receipts.all())


@router.post("/donations/{donation_id}/receipts", response={201: ReceiptOut})
def receipt_create(request, donation_id: int, payload: ReceiptIn):
    donation = policy.get_editable_or_404(request.auth, Donation.objects.all(), pk=donation_id)
    return Status(201, services.receipt_add(actor=request.auth, donation=donation, **payload.dict()))


# --- shipments ------------------------------------------------------------------------------------


class ShipmentIn(Schema):
    incident_id: int
    donation_id: int | None = None
    goods: str = Field(..., min_length=1, max_length=100)
    quantity: Decimal
    measure: str = Field(..., min_length=1, max_length=10)
    origin: str = Field(..., min_length=1, max_length=100)
    destination: str = Field(..., min_length=1, max_length=60)
    township: str = ""
    carrier: str = ""
    plate: str = ""
    driver: str = ""
    driver_phone: str = ""
    driver_id_number: str = Field("", description="居民身份证号 (18 characters), for a transit pass application")
    transit_pass: str = "not_needed"


class ShipmentPatch(Schema):
    version: int
    quantity: Decimal | None = None
    destination: str | None = None
    township: str | None = None
    carrier: str | None = None
    plate: str | None = None
    driver: str | None = None
    driver_phone: str | None = None
    driver_id_number: str | None = None
    transit_pass: str | None = None


class ShipmentOut(Schema):
    id: int
    incident_id: int
    donation_id: int | None
    goods: str
    quantity: Decimal
    measure: str
    origin: str
    destination: str
    township: str
    carrier: str
    plate: str
    driver: str
    driver_phone: str = Field(..., description="masked")
    driver_id_number: str = Field(..., description="masked")
    transit_pass: str
    state: str
    state_reason: str
    departed_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    case_id: int | None
    owner_unit_id: int
    version: int

    @staticmethod
    def resolve_driver_phone(obj) -> str:
        return mask_phone(obj.driver_phone)

    @staticmethod
    def resolve_driver_id_number(obj) -> str:
        return mask_id_number(obj.driver_id_number)


class StateIn(Schema):
    state: str
    version: int | None = None
    reason: str = ""
    at: datetime.datetime | None = None


class ShipmentQuery(ScopeQuery):
    state: str | None = None
    q: str | None = None


@router.get("/shipments", response=list[ShipmentOut])
@paginate
def shipment_list(request, query: Query[ShipmentQuery]):
    return selectors.shipments_for_user(user=request.auth, scope=query.scope(), state=query.state, q=query.q)


@router.post("/shipments", response={201: ShipmentOut})
def shipment_create(request, payload: ShipmentIn):
    data = payload.dict()
    incident = _incident(data.pop("incident_id"))
    donation_id = data.pop("donation_id")
    if donation_id is not None:
        data["donation"] = selectors.donations_for_user(user=request.auth).filter(pk=donation_id).first()
        if data["donation"] is None:
            raise DomainError(_("No donation you can see has this id."), field="donation_id")
    return Status(201, services.shipment_create(actor=request.auth, incident=incident, **data))


@router.get("/shipments/{shipment_id}", response=ShipmentOut)
def shipment_get(request, shipment_id: int):
    return selectors.shipment_get_for_user(user=request.auth, shipment_id=shipment_id)


@router.patch("/shipments/{shipment_id}", response=ShipmentOut)
def shipment_patch(request, shipment_id: int, payload: ShipmentPatch):
    shipment = policy.get_editable_or_404(request.auth, Shipment.objects.all(), pk=shipment_id)
    data = payload.dict(exclude_unset=True)
    return services.shipment_update(actor=request.auth, shipment=shipment, version=data.pop("version"), **data)


@router.post("/shipments/{shipment_id}/state", response=ShipmentOut)
def shipment_state(request, shipment_id: int, payload: StateIn):
    """planned → loading → in_transit → delivered; blocked (with a reason) from any open state."""
    shipment = policy.get_editable_or_404(request.auth, Shipment.objects.all(), pk=shipment_id)
    return services.shipment_move(
        actor=request.auth,
        shipment=shipment,
        to=payload.state,
        version=payload.version,
        reason=payload.reason,
        at=payload.at,
    )


@router.get("/shipments/{shipment_id}/states")
def shipment_states(request, shipment_id: int):
    shipment = selectors.shipment_get_for_user(user=request.auth, shipment_id=shipment_id)
    return [
        {"at": e.at, "from": e.from_state, "to": e.to_state, "note": e.note, "actor_id": e.actor_id}
        for e in shipment.events.all()
    ]


# --- volunteer service ----------------------------------------------------------------------------


class VolunteerIn(Schema):
    incident_id: int
    person_id: int | None = None  # yourself when absent
    on: datetime.date
    district: str = Field(..., min_length=1, max_length=30)
    community: str = Field(..., min_length=1, max_length=60)
    hours: Decimal
    tasks: list[str]
    tests_assisted: int = Field(0, ge=0)
    records_entered: int = Field(0, ge=0)
    households_surveyed: int = Field(0, ge=0)
    note: str = ""


class VolunteerOut(Schema):
    id: int
    incident_id: int
    person_id: int
    unit_id: int
    on: datetime.date
    district: str
    community: str
    hours: Decimal
    tasks: list[str]
    tests_assisted: int
    records_entered: int
    households_surveyed: int


@router.get("/volunteer-services", response=list[VolunteerOut])
@paginate
def volunteer_list(request, query: Query[ScopeQuery]):
    return selectors.volunteer_for_user(user=request.auth, scope=query.scope())


@router.get("/volunteer-services/figures")
def volunteer_figures(request, query: Query[ScopeQuery]):
    """Person-times (stints), distinct people and communities, and the summed quantities."""
    return selectors.volunteer_figures(user=request.auth, scope=query.scope()).__dict__


@router.post("/volunteer-services", response={201: VolunteerOut})
def volunteer_create(request, payload: VolunteerIn):
    data = payload.dict()
    incident = _incident(data.pop("incident_id"))
    person_id = data.pop("person_id")
    if person_id is not None:
        data["person"] = User.objects.filter(pk=person_id, is_active=True).select_related("unit").first()
        if data["person"] is None:
            raise DomainError(_("No active person has this id."), field="person_id")
    return Status(201, services.volunteer_log(actor=request.auth, incident=incident, **data))


# --- production continuity ------------------------------------------------------------------------


class CriticalIn(Schema):
    incident_id: int
    enterprise_id: int
    why: str = Field(..., min_length=1, max_length=200)
    status: str = "normal"
    on: datetime.date | None = None
    reason: str = ""


class CriticalOut(Schema):
    id: int
    incident_id: int
    enterprise_id: int
    enterprise: str
    why: str
    status: str
    status_on: datetime.date
    reason: str
    owner_unit_id: int
    version: int

    @staticmethod
    def resolve_enterprise(obj) -> str:
        return obj.enterprise.name


class ProductionIn(Schema):
    on: datetime.date
    status: str
    reason: str = ""
    version: int | None = None


class ContinuityQuery(ScopeQuery):
    not_normal: bool = False
    q: str | None = None


@router.get("/continuity", response=list[CriticalOut])
@paginate
def critical_list(request, query: Query[ContinuityQuery]):
    return selectors.critical_for_user(user=request.auth, scope=query.scope(), not_normal=query.not_normal, q=query.q)


@router.post("/continuity", response={201: CriticalOut})
def critical_create(request, payload: CriticalIn):
    data = payload.dict()
    incident = _incident(data.pop("incident_id"))
    enterprise = _enterprise(request.auth, data.pop("enterprise_id"))
    return Status(201, services.critical_mark(actor=request.auth, incident=incident, enterprise=enterprise, **data))


@router.get("/continuity/{critical_id}", response=CriticalOut)
def critical_get(request, critical_id: int):
    return selectors.critical_get_for_user(user=request.auth, critical_id=critical_id)


@router.post("/continuity/{critical_id}/updates", response=CriticalOut)
def critical_update(request, critical_id: int, payload: ProductionIn):
    critical = policy.get_editable_or_404(
        request.auth, CriticalEnterprise.objects.select_related("enterprise"), pk=critical_id
    )
    services.production_update(actor=request.auth, critical=critical, **payload.dict())
    return selectors.critical_get_for_user(user=request.auth, critical_id=critical_id)
