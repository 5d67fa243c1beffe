"""Every write of emergency response. Receipts never exceed their pledge; shipments move through
their states with each change recorded; a blocked shipment or a stopped critical enterprise becomes
a case in one step."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from investdesk.core import policy
from investdesk.core.audit import audit_log, diff, snapshot
from investdesk.core.errors import DomainError
from investdesk.core.fields import encrypted_changes, encrypted_values
from investdesk.core.models import AuditEntry, Unit
from investdesk.core.versioning import check_upload, full_clean, lock_for_update
from investdesk.emergency.models import (
    CriticalEnterprise,
    Donation,
    Incident,
    ProductionUpdate,
    Receipt,
    Shipment,
    ShipmentEvent,
    VolunteerService,
    plain_number,
)
from investdesk.enterprises.services import _check_owner_unit
from investdesk.lib.chinese_text import search_key
from investdesk.lib.identifiers import IdentifierError, validate_resident_id
from investdesk.lib.phones import normalize_mobile


def _require_editor(actor) -> None:
    if not policy.can(actor, policy.Capability.EDIT_RECORDS):
        raise DomainError(_("Your role may read records but not change them."))


def _today() -> datetime.date:
    return timezone.localdate()


def _not_future(day: datetime.date | None, field: str) -> None:
    if day is not None and day > _today():
        raise DomainError(_("This date is in the future."), field=field)


# --- incidents ------------------------------------------------------------------------------------


def _require_coordinator(actor) -> None:
    if not policy.can(actor, policy.Capability.DISPATCH):
        raise DomainError(_("Only bureau leaders and dispatchers declare incidents."))


@transaction.atomic
def incident_create(*, actor, name: str, kind: str, starts_on, ends_on=None, areas: str = "", description: str = ""):
    _require_coordinator(actor)
    incident = Incident(
        name=(name or "").strip(), kind=kind, starts_on=starts_on, ends_on=ends_on, areas=areas, description=description
    )
    _clean_incident(incident)
    incident.save()
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=incident, changes=diff({}, snapshot(incident)))
    return incident


@transaction.atomic
def incident_update(*, actor, incident: Incident, version: int | None, **fields) -> Incident:
    _require_coordinator(actor)
    unknown = set(fields) - {"name", "kind", "starts_on", "ends_on", "areas", "description"}
    if unknown:
        raise TypeError(f"incident_update does not take {sorted(unknown)}")
    incident = lock_for_update(Incident, incident.pk, version)
    before = snapshot(incident)
    for key, value in fields.items():
        setattr(incident, key, value)
    _clean_incident(incident)
    changes = diff(before, snapshot(incident))
    if changes:
        incident.version += 1
        incident.save()
        audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=incident, changes=changes)
    return incident


def _clean_incident(incident: Incident) -> None:
    full_clean(incident)
    if incident.ends_on and incident.ends_on < incident.starts_on:
        raise DomainError(_("The end cannot be before the start."), field="ends_on")


def _in_incident(incident: Incident, day: datetime.date, field: str) -> None:
    if day < incident.starts_on:
        raise DomainError(
            _("The incident started on %(date)s; this date is before it.") % {"date": incident.starts_on}, field=field
        )


# --- donations ------------------------------------------------------------------------------------


def _donor(donation: Donation) -> None:
    """The donor's name follows the registry record it names; the record must match the type."""
    kind = donation.donor_kind
    if kind == Donation.DonorKind.ENTERPRISE:
        if donation.enterprise is None:
            raise DomainError(_("Choose the donating enterprise."), field="enterprise")
        donation.chamber = None
        donation.donor_name = donation.enterprise.name
    elif kind == Donation.DonorKind.CHAMBER:
        if donation.chamber is None:
            raise DomainError(_("Choose the donating chamber."), field="chamber")
        donation.enterprise = None
        donation.donor_name = donation.chamber.name
        if donation.mobilised_by_id == donation.chamber_id:
            donation.mobilised_by = None  # a chamber's own gift is its own, not soft credit
    else:
        donation.enterprise = donation.chamber = None
        donation.donor_name = (donation.donor_name or "").strip()
        if not donation.donor_name:
            raise DomainError(_("Give the donor's name."), field="donor_name")


def _pledge_terms(donation: Donation) -> None:
    if donation.kind == Donation.Kind.MONEY:
        if not donation.amount or donation.amount <= 0:
            raise DomainError(_("Give the amount pledged, in yuan."), field="amount")
        donation.value = donation.amount
        donation.item, donation.quantity, donation.measure = "", None, ""
    else:
        if not (donation.item or "").strip():
            raise DomainError(_("Say what goods are given."), field="item")
        if not donation.quantity or donation.quantity <= 0:
            raise DomainError(_("Give the quantity of goods."), field="quantity")
        if not (donation.measure or "").strip():
            raise DomainError(_("Give the unit of measure (吨, 箱, 件, …)."), field="measure")
        if donation.value is None or donation.value < 0:
            raise DomainError(_("Give the estimated value of the goods, in yuan."), field="value")
        donation.amount = None
    if donation.received_quantity > donation.pledged:
        raise DomainError(
            _("More has already been received than this pledge; correct the receipts first."),
            field="amount" if donation.kind == Donation.Kind.MONEY else "quantity",
        )


DONATION_FIELDS = {
    "donor_kind", "enterprise", "chamber", "donor_name", "donor_title", "mobilised_by", "kind", "pledged_on",
    "amount", "item", "quantity", "measure", "value", "recipient", "note",
}  # fmt: skip


@transaction.atomic
def donation_pledge(*, actor, incident: Incident, owner_unit: Unit | None = None, **fields) -> Donation:
    """认捐: record a pledge. `owner_unit` is the recording unit (the actor's by default)."""
    _require_editor(actor)
    unknown = set(fields) - DONATION_FIELDS
    if unknown:
        raise TypeError(f"donation_pledge does not take {sorted(unknown)}")
    fields.setdefault("value", fields.get("amount"))
    donation = Donation(incident=incident, owner_unit=owner_unit or actor.unit, created_by=actor, **fields)
    if donation.owner_unit is None:
        raise DomainError(_("You belong to no unit, so you cannot record donations."))
    _check_owner_unit(actor, donation.owner_unit)
    _save_donation(donation)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=donation, changes=diff({}, snapshot(donation)))
    return donation


@transaction.atomic
def donation_update(*, actor, donation: Donation, version: int | None, **fields) -> Donation:
    _require_editor(actor)
    unknown = set(fields) - DONATION_FIELDS
    if unknown:
        raise TypeError(f"donation_update does not take {sorted(unknown)}")
    donation = lock_for_update(Donation, donation.pk, version)
    before = snapshot(donation)
    for key, value in fields.items():
        setattr(donation, key, value)
    _save_donation(donation, bump=True)
    changes = diff(before, snapshot(donation))
    if changes:
        audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=donation, changes=changes)
    return donation


def _save_donation(donation: Donation, *, bump: bool = False) -> None:
    if donation.donor_kind not in Donation.DonorKind.values:
        raise DomainError(_("Choose the donor type."), field="donor_kind")
    if donation.kind not in Donation.Kind.values:
        raise DomainError(_("Choose money or goods."), field="kind")
    _donor(donation)
    _pledge_terms(donation)
    if donation.pledged_on is None:
        raise DomainError(_("Give the date of the pledge."), field="pledged_on")
    _not_future(donation.pledged_on, "pledged_on")
    _in_incident(donation.incident, donation.pledged_on, "pledged_on")
    donation.search_text = search_key(donation.donor_name, donation.item, donation.recipient)
    full_clean(donation, exclude=["search_text"])
    if bump:
        donation.version += 1
    donation.save()


@transaction.atomic
def receipt_add(
    *, actor, donation: Donation, received_on: datetime.date, quantity: Decimal, voucher=None, note: str = ""
) -> Receipt:
    """到账/到货: part or all of the pledge arrived. More than what is still outstanding is refused."""
    _require_editor(actor)
    donation = lock_for_update(Donation, donation.pk, None)
    if quantity is None or quantity <= 0:
        raise DomainError(_("Give the amount or quantity received."), field="quantity")
    if received_on is None:
        raise DomainError(_("Give the date it was received."), field="received_on")
    _not_future(received_on, "received_on")
    if received_on < donation.pledged_on:
        raise DomainError(_("A receipt cannot come before the pledge."), field="received_on")
    if quantity > donation.outstanding:
        raise DomainError(
            _("Only %(left)s is still outstanding on this pledge; record a new pledge for anything beyond it.")
            % {"left": plain_number(donation.outstanding) + (donation.measure or _("yuan"))},
            field="quantity",
        )
    if voucher:
        check_upload(voucher, field="voucher")
    # Goods are valued pro rata of the pledge's estimate; the receipt that completes a pledge takes
    # what is left of its value, so a fully received pledge is received at exactly its value.
    if donation.kind == Donation.Kind.MONEY:
        value = quantity
    elif quantity == donation.outstanding:
        value = donation.value - donation.received_value
    else:
        value = donation.value * quantity / donation.quantity
    receipt = Receipt(
        donation=donation,
        received_on=received_on,
        quantity=quantity,
        value=value.quantize(Decimal("0.01")),
        note=note,
        recorded_by=actor,
    )
    if voucher:
        receipt.voucher.save(voucher.name[-100:], voucher, save=False)
    receipt.save()
    _refresh_received(donation)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=receipt, note=str(donation))
    return receipt


def _refresh_received(donation: Donation) -> None:
    totals = donation.receipts.aggregate(q=Sum("quantity"), v=Sum("value"))
    donation.received_quantity = totals["q"] or Decimal(0)
    donation.received_value = totals["v"] or Decimal(0)
    if donation.received_quantity <= 0:
        donation.state = Donation.State.PLEDGED
    elif donation.received_quantity < donation.pledged:
        donation.state = Donation.State.PARTLY
    else:
        donation.state = Donation.State.RECEIVED
    donation.version += 1
    donation.save(update_fields=["received_quantity", "received_value", "state", "version"])


@transaction.atomic
def receipt_delete(*, actor, receipt: Receipt) -> None:
    """A receipt entered by mistake is removed (audited), and the pledge's state follows."""
    _require_editor(actor)
    donation = lock_for_update(Donation, receipt.donation_id, None)
    audit_log(actor=actor, action=AuditEntry.Action.DELETE, target=receipt, note=str(donation))
    receipt.delete()
    _refresh_received(donation)


# --- shipments ------------------------------------------------------------------------------------

# Where a shipment may go from each state. Blocked returns to where the trip can resume.
SHIPMENT_MOVES = {
    Shipment.State.PLANNED: {Shipment.State.LOADING, Shipment.State.BLOCKED},
    Shipment.State.LOADING: {Shipment.State.IN_TRANSIT, Shipment.State.BLOCKED},
    Shipment.State.IN_TRANSIT: {Shipment.State.DELIVERED, Shipment.State.BLOCKED},
    Shipment.State.BLOCKED: {Shipment.State.PLANNED, Shipment.State.LOADING, Shipment.State.IN_TRANSIT},
    Shipment.State.DELIVERED: set(),
}
SHIPMENT_FIELDS = {
    "donation", "goods", "quantity", "measure", "origin", "destination", "township", "carrier", "plate", "driver",
    "driver_phone", "driver_id_number", "transit_pass",
}  # fmt: skip


def _clean_shipment(shipment: Shipment) -> None:
    if shipment.quantity is None or shipment.quantity <= 0:
        raise DomainError(_("Give the quantity shipped."), field="quantity")
    gift = shipment.donation
    if gift is not None:
        if gift.kind != Donation.Kind.GOODS:
            raise DomainError(_("Only a donation of goods can be shipped."), field="donation")
        if gift.incident_id != shipment.incident_id:
            raise DomainError(_("The donation belongs to another incident."), field="donation")
        if shipment.measure != gift.measure:
            raise DomainError(
                _("The donation is counted in %(measure)s; ship it in the same measure.") % {"measure": gift.measure},
                field="measure",
            )
        shipped = Shipment.objects.filter(donation=gift).exclude(pk=shipment.pk).aggregate(q=Sum("quantity"))["q"] or 0
        if shipped + shipment.quantity > gift.quantity:
            raise DomainError(
                _("Only %(left)s of this donation is left to ship.")
                % {"left": plain_number(gift.quantity - shipped) + gift.measure},
                field="quantity",
            )
    if shipment.driver_phone:
        mobile = normalize_mobile(shipment.driver_phone)
        if mobile is None:
            raise DomainError(_("Enter an 11-digit mainland mobile number."), field="driver_phone")
        shipment.driver_phone = mobile
    if shipment.driver_id_number:
        try:
            shipment.driver_id_number = validate_resident_id(shipment.driver_id_number)
        except IdentifierError as exc:
            raise DomainError(str(exc), field="driver_id_number") from None
    shipment.plate = (shipment.plate or "").replace(" ", "").upper()
    full_clean(shipment)


@transaction.atomic
def shipment_create(
    *, actor, incident: Incident, owner_unit: Unit | None = None, at: datetime.datetime | None = None, **fields
) -> Shipment:
    """A planned shipment; `at` is when it was planned (now by default, never in the future)."""
    _require_editor(actor)
    unknown = set(fields) - SHIPMENT_FIELDS
    if unknown:
        raise TypeError(f"shipment_create does not take {sorted(unknown)}")
    at = at or timezone.now()
    if at > timezone.now():
        raise DomainError(_("This time is in the future."), field="at")
    shipment = Shipment(incident=incident, owner_unit=owner_unit or actor.unit, created_at=at, updated_at=at, **fields)
    if shipment.owner_unit is None:
        raise DomainError(_("You belong to no unit, so you cannot record shipments."))
    _check_owner_unit(actor, shipment.owner_unit)
    _clean_shipment(shipment)
    shipment.save()
    ShipmentEvent.objects.create(shipment=shipment, actor=actor, at=at, to_state=shipment.state)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=shipment, changes=diff({}, snapshot(shipment)))
    return shipment


@transaction.atomic
def shipment_update(*, actor, shipment: Shipment, version: int | None, **fields) -> Shipment:
    _require_editor(actor)
    unknown = set(fields) - SHIPMENT_FIELDS
    if unknown:
        raise TypeError(f"shipment_update does not take {sorted(unknown)}")
    shipment = lock_for_update(Shipment, shipment.pk, version)
    before, before_personal = snapshot(shipment), encrypted_values(shipment)
    for key, value in fields.items():
        setattr(shipment, key, value)
    _clean_shipment(shipment)
    changes = diff(before, snapshot(shipment)) | encrypted_changes(before_personal, shipment)
    if changes:
        shipment.version += 1
        shipment.updated_at = timezone.now()
        shipment.save()
        audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=shipment, changes=changes)
    return shipment


@transaction.atomic
def shipment_move(
    *, actor, shipment: Shipment, to: str, version: int | None, reason: str = "", at: datetime.datetime | None = None
) -> Shipment:
    """planned → loading → in transit → delivered, or blocked (with its reason) from any open state."""
    _require_editor(actor)
    shipment = lock_for_update(Shipment, shipment.pk, version)
    if to not in Shipment.State.values:
        raise DomainError(_("Unknown state."), field="state")
    if to not in SHIPMENT_MOVES[shipment.state]:
        raise DomainError(
            _("A shipment that is %(from)s cannot become %(to)s.")
            % {"from": shipment.get_state_display(), "to": Shipment.State(to).label},
            field="state",
        )
    reason = (reason or "").strip()
    if to == Shipment.State.BLOCKED and not reason:
        raise DomainError(_("Say why the shipment is blocked."), field="reason")
    if to == Shipment.State.IN_TRANSIT and shipment.transit_pass in (Shipment.Pass.APPLIED, Shipment.Pass.REFUSED):
        raise DomainError(_("The transit pass has not been granted."), field="state")
    at = at or timezone.now()
    if at > timezone.now():
        raise DomainError(_("This time is in the future."), field="at")
    last = shipment.events.order_by("-at", "-id").first()
    if last is not None and at < last.at:
        raise DomainError(_("This time is before the shipment's last change."), field="at")
    ShipmentEvent.objects.create(
        shipment=shipment, actor=actor, at=at, from_state=shipment.state, to_state=to, note=reason
    )
    shipment.state = to
    shipment.state_reason = reason if to == Shipment.State.BLOCKED else ""
    if to == Shipment.State.IN_TRANSIT and shipment.departed_at is None:
        shipment.departed_at = at
    if to == Shipment.State.DELIVERED:
        shipment.delivered_at = at
    shipment.version += 1
    shipment.updated_at = timezone.now()
    shipment.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=shipment, note=f"state → {to}")
    return shipment


def _transport_unit() -> Unit | None:
    return Unit.objects.filter(code=settings.TRANSPORT_UNIT_CODE, is_active=True).first()


def _raise_case(*, actor, enterprise, title: str, description: str, source: str, suggest: Unit | None, category=None):
    """Register a case; a dispatcher's (or leader's) case goes straight to the suggested unit. Without
    a category given, a transport problem files under the logistics category (物流)."""
    from investdesk.cases import services as case_services
    from investdesk.cases.models import Case, CaseCategory

    active = CaseCategory.objects.filter(is_active=True)
    category = category or active.filter(name__contains="物流").first() or active.order_by("pk").first()
    if category is None:
        raise DomainError(_("No case category exists yet; an administrator must add one."))
    if suggest is not None:
        description += "\n" + _("Suggested lead unit: %(unit)s") % {"unit": suggest.name}
    case = case_services.case_register(
        actor=actor,
        enterprise=enterprise,
        title=title[:100],
        description=description,
        category=category,
        source=source,
        urgency=Case.Urgency.URGENT,
    )
    if suggest is not None and policy.can(actor, policy.Capability.DISPATCH):
        case = case_services.case_act(actor=actor, case=case, action="assign", version=None, lead_unit=suggest)
    return case


@transaction.atomic
def shipment_raise_case(*, actor, shipment: Shipment, enterprise):
    """One step from a blocked shipment to a case for the transport department."""
    shipment = lock_for_update(Shipment, shipment.pk, None)
    if shipment.state != Shipment.State.BLOCKED:
        raise DomainError(_("Only a blocked shipment becomes a case."), field="state")
    if shipment.case_id:
        raise DomainError(_("This shipment is already case %(number)s.") % {"number": shipment.case.number})
    if enterprise is None:
        raise DomainError(_("Choose the enterprise the case concerns."), field="enterprise")
    case = _raise_case(
        actor=actor,
        enterprise=enterprise,
        title=_("Relief shipment blocked: %(goods)s to %(place)s")
        % {"goods": shipment.goods, "place": shipment.destination},
        description=_("%(goods)s %(quantity)s%(measure)s from %(origin)s to %(place)s, vehicle %(plate)s: %(reason)s")
        % {
            "goods": shipment.goods,
            "quantity": plain_number(shipment.quantity),
            "measure": shipment.measure,
            "origin": shipment.origin,
            "place": f"{shipment.destination}{shipment.township}",
            "plate": shipment.plate or "—",
            "reason": shipment.state_reason,
        },
        source="referral",
        suggest=_transport_unit(),
    )
    shipment.case = case
    shipment.version += 1
    shipment.save(update_fields=["case", "version"])
    return case


# --- volunteer service ----------------------------------------------------------------------------


@transaction.atomic
def volunteer_log(
    *,
    actor,
    incident: Incident,
    on: datetime.date,
    district: str,
    community: str,
    hours: Decimal,
    tasks: list[str],
    person=None,
    tests_assisted: int = 0,
    records_entered: int = 0,
    households_surveyed: int = 0,
    note: str = "",
) -> VolunteerService:
    """One stint. Staff log their own; logging for a colleague needs to edit that colleague's unit."""
    _require_editor(actor)
    person = person or actor
    if person.pk != actor.pk and not _may_log_for(actor, person):
        raise DomainError(_("You may log stints only for yourself or for people of your unit."), field="person")
    if person.unit_id is None:
        raise DomainError(_("This person belongs to no unit."), field="person")
    if on is None:
        raise DomainError(_("Give the date."), field="on")
    _not_future(on, "on")
    _in_incident(incident, on, "on")
    if incident.ends_on and on > incident.ends_on:
        raise DomainError(_("The incident ended on %(date)s.") % {"date": incident.ends_on}, field="on")
    tasks = [t for t in dict.fromkeys(tasks or []) if t]
    bad = [t for t in tasks if t not in VolunteerService.Task.values]
    if not tasks or bad:
        raise DomainError(_("Choose at least one task from the list."), field="tasks")
    if hours is None or not (Decimal("0.5") <= hours <= Decimal(24)):
        raise DomainError(_("Hours must be between 0.5 and 24."), field="hours")
    district, community = (district or "").strip(), (community or "").strip()
    if not district:
        raise DomainError(_("Give the district."), field="district")
    if not community:
        raise DomainError(_("Give the community."), field="community")
    if VolunteerService.objects.filter(person=person, on=on, district=district, community=community).exists():
        raise DomainError(_("This stint is already logged for that day and community."), field="community")
    stint = VolunteerService(
        incident=incident,
        person=person,
        unit=person.unit,
        on=on,
        district=district,
        community=community,
        hours=hours,
        tasks=tasks,
        tests_assisted=tests_assisted or 0,
        records_entered=records_entered or 0,
        households_surveyed=households_surveyed or 0,
        note=note,
        created_by=actor,
    )
    full_clean(stint, exclude=["unit"])
    stint.save()
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=stint, changes=diff({}, snapshot(stint)))
    return stint


def _may_log_for(actor, person) -> bool:
    if policy.can(actor, policy.Capability.SEE_EVERYTHING):
        return True
    return bool(actor.unit_id and person.unit_id and person.unit.path.startswith(actor.unit.path))


@transaction.atomic
def volunteer_delete(*, actor, stint: VolunteerService) -> None:
    _require_editor(actor)
    if stint.person_id != actor.pk and not _may_log_for(actor, stint.person):
        raise DomainError(_("You may remove only your own stints or those of your unit."))
    audit_log(actor=actor, action=AuditEntry.Action.DELETE, target=stint, changes=diff(snapshot(stint), {}))
    stint.delete()


# --- production continuity ------------------------------------------------------------------------


@transaction.atomic
def critical_mark(
    *, actor, incident: Incident, enterprise, why: str, status: str = "normal", on=None, reason: str = ""
) -> CriticalEnterprise:
    """Mark an enterprise critical for the city's operation during the incident."""
    _require_editor(actor)
    if enterprise is None or not policy.visible(actor, type(enterprise).objects.filter(pk=enterprise.pk)).exists():
        raise DomainError(_("Choose an enterprise of the registry you can see."), field="enterprise")
    if CriticalEnterprise.objects.filter(incident=incident, enterprise=enterprise).exists():
        raise DomainError(_("This enterprise is already marked critical for this incident."), field="enterprise")
    on = on or _today()
    critical = CriticalEnterprise(
        incident=incident,
        enterprise=enterprise,
        why=(why or "").strip(),
        status=status,
        status_on=on,
        reason=reason,
        owner_unit=enterprise.owner_unit,
    )
    full_clean(critical, exclude=["incident", "enterprise"])
    _check_status(status, reason)
    _not_future(on, "on")
    _in_incident(incident, on, "on")
    critical.save()
    ProductionUpdate.objects.create(critical=critical, on=on, status=status, reason=reason, recorded_by=actor)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=critical, changes=diff({}, snapshot(critical)))
    return critical


def _check_status(status: str, reason: str) -> None:
    if status not in CriticalEnterprise.Production.values:
        raise DomainError(_("Choose the production status."), field="status")
    if status != CriticalEnterprise.Production.NORMAL and not (reason or "").strip():
        raise DomainError(_("Say why production is not normal."), field="reason")


@transaction.atomic
def production_update(
    *, actor, critical: CriticalEnterprise, on: datetime.date, status: str, reason: str = "", version: int | None = None
) -> ProductionUpdate:
    """A dated update of the production status; the latest date is the current status."""
    _require_editor(actor)
    critical = lock_for_update(CriticalEnterprise, critical.pk, version)
    _check_status(status, reason)
    if on is None:
        raise DomainError(_("Give the date."), field="on")
    _not_future(on, "on")
    _in_incident(critical.incident, on, "on")
    update = ProductionUpdate.objects.create(
        critical=critical, on=on, status=status, reason=(reason or "").strip(), recorded_by=actor
    )
    if on >= critical.status_on:
        critical.status, critical.status_on, critical.reason = status, on, update.reason
    critical.version += 1
    critical.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=critical, note=f"{on} {status} {reason}")
    return update


@transaction.atomic
def critical_raise_case(*, actor, critical: CriticalEnterprise, title: str, description: str, category=None):
    """One step from a production problem to a case of the enterprise (linked on the latest update)."""
    critical = lock_for_update(CriticalEnterprise, critical.pk, None)
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the problem in a few words."), field="title")
    latest = critical.updates.order_by("-on", "-id").first()
    if latest is not None and latest.case_id is not None:
        raise DomainError(
            _("This production problem is already case %(number)s; record a new status first.")
            % {"number": latest.case.number},
            field="title",
        )
    case = _raise_case(
        actor=actor,
        enterprise=critical.enterprise,
        title=title,
        description=(description or "").strip() or critical.reason or title,
        source="visit",
        suggest=None,
        category=category,
    )
    if latest is not None:
        latest.case = case
        latest.save(update_fields=["case"])
    return case
