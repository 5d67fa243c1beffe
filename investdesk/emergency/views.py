"""Emergency response pages: thin views over the services and selectors."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from investdesk.core import policy
from investdesk.core.audit import audit_log
from investdesk.core.errors import DomainError
from investdesk.core.exports import export_unmasked, xlsx_export
from investdesk.core.forms import apply_domain_error
from investdesk.core.models import AuditEntry, Unit
from investdesk.core.personal import Withheld
from investdesk.emergency import selectors, services
from investdesk.emergency.forms import (
    CriticalCaseForm,
    CriticalForm,
    DonationForm,
    IncidentForm,
    ProductionForm,
    RaiseCaseForm,
    ReceiptForm,
    ShipmentForm,
    ShipmentMoveForm,
    VolunteerForm,
)
from investdesk.emergency.models import CriticalEnterprise, Donation, Receipt, Shipment, VolunteerService
from investdesk.enterprises import selectors as enterprise_selectors
from investdesk.lib.paging import page_of
from investdesk.lib.params import int_or_none

DONATION_FIELDS = ["donor_kind", "enterprise", "chamber", "donor_name", "donor_title", "mobilised_by", "kind",
                   "pledged_on", "amount", "item", "quantity", "measure", "value", "recipient", "note"]  # fmt: skip
SHIPMENT_FIELDS = ["donation", "goods", "quantity", "measure", "origin", "destination", "township", "carrier", "plate",
                   "driver", "driver_phone", "driver_id_number", "transit_pass"]  # fmt: skip
# Personal data: shown in full (and audited) only to people with VIEW_PERSONAL.
DRIVER_PERSONAL = ("driver_phone", "driver_id_number")


def _date(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _scope(request, incident=None) -> selectors.Scope:
    """The scope in the address: ?incident=&unit=&from=&to= (bad values are ignored)."""
    return selectors.Scope(
        incident=incident.pk if incident else int_or_none(request.GET.get("incident")),
        unit=int_or_none(request.GET.get("unit")),
        start=_date(request.GET.get("from")),
        end=_date(request.GET.get("to")),
    )


def _incident(request, incident_id=None):
    """The incident named in the path or the address, else the current one."""
    incident_id = incident_id if incident_id is not None else int_or_none(request.GET.get("incident"))
    if incident_id is not None:
        return selectors.incident_get(incident_id=incident_id)
    return selectors.current_incident()


def _next(request) -> str | None:
    """A return address from the form, only if it is one of ours."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


def _no_incident(request):
    return render(
        request, "emergency/no_incident.html", {"may_declare": policy.can(request.user, policy.Capability.DISPATCH)}
    )


# --- incidents ------------------------------------------------------------------------------------


@login_required
def incidents(request):
    rows = []
    for incident in selectors.incidents():
        scope = selectors.Scope(incident=incident.pk)
        rows.append(
            {
                "incident": incident,
                "donations": selectors.donation_totals(user=request.user, scope=scope, top=0),
                "volunteer": selectors.volunteer_figures(user=request.user, scope=scope),
                "shipments": selectors.shipment_counts(user=request.user, scope=scope),
                "critical": selectors.critical_counts(user=request.user, scope=scope),
            }
        )
        rows[-1]["shipments_total"] = sum(rows[-1]["shipments"].values())
    return render(
        request,
        "emergency/incidents.html",
        {"rows": rows, "may_declare": policy.can(request.user, policy.Capability.DISPATCH)},
    )


@login_required
def incident_form(request, incident_id: int | None = None):
    policy.require(request.user, policy.Capability.DISPATCH)
    incident = selectors.incident_get(incident_id=incident_id) if incident_id else None
    fields = ["name", "kind", "starts_on", "ends_on", "areas", "description", "version"]
    initial = {f: getattr(incident, f) for f in fields} if incident else {}
    form = IncidentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = data.pop("version")
        try:
            if incident:
                incident = services.incident_update(actor=request.user, incident=incident, version=version, **data)
            else:
                incident = services.incident_create(actor=request.user, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("emergency:incident", incident_id=incident.pk)
    return render(
        request,
        "emergency/form.html",
        {"form": form, "title": _("Edit incident") if incident else _("Declare an incident"), "incident": incident},
        status=400 if form.errors else 200,
    )


@login_required
def incident_detail(request, incident_id: int):
    incident = _incident(request, incident_id)
    scope = _scope(request, incident)
    return render(
        request,
        "emergency/incident.html",
        {
            "incident": incident,
            "scope": scope,
            "donations": selectors.donation_totals(user=request.user, scope=scope),
            "volunteer": selectors.volunteer_figures(user=request.user, scope=scope),
            "volunteer_units": selectors.volunteer_by_unit(user=request.user, scope=scope),
            "shipments": selectors.shipment_counts(user=request.user, scope=scope),
            "shipment_states": Shipment.State.choices,
            "not_producing": selectors.critical_for_user(user=request.user, scope=scope, not_normal=True),
            "critical": selectors.critical_counts(user=request.user, scope=scope),
            "may_edit": policy.can(request.user, policy.Capability.DISPATCH),
        },
    )


# --- donations ------------------------------------------------------------------------------------


def _donation_filters(request) -> selectors.DonationFilter:
    return selectors.DonationFilter(
        q=request.GET.get("q") or None,
        donor_kind=request.GET.get("donor_kind") or None,
        kind=request.GET.get("kind") or None,
        state=request.GET.get("state") or None,
        credited_to=int_or_none(request.GET.get("chamber")),
    )


@login_required
def donations(request):
    incident = _incident(request)
    if incident is None:
        return _no_incident(request)
    scope = _scope(request, incident)
    rows = selectors.donations_for_user(user=request.user, scope=scope, filters=_donation_filters(request))
    template = "emergency/donations.html#rows" if request.htmx else "emergency/donations.html"
    return render(
        request,
        template,
        {
            "incident": incident,
            "incidents": selectors.incidents(),
            "page": page_of(rows, request.GET.get("page")),
            "totals": selectors.donation_totals(user=request.user, scope=scope),
            "donor_kinds": Donation.DonorKind.choices,
            "states": Donation.State.choices,
            "kinds": Donation.Kind.choices,
        },
    )


@login_required
def donations_export(request):
    incident = _incident(request)
    if incident is None:
        raise Http404
    scope = _scope(request, incident)
    qs = selectors.donations_for_user(user=request.user, scope=scope, filters=_donation_filters(request))
    rows = [(d.pledged_on, d.donor_name, d.get_donor_kind_display(), d.mobilised_by.name if d.mobilised_by else "",
             d.get_kind_display(), d.description if d.kind == "goods" else "", d.value, d.received_value,
             d.get_state_display(), d.recipient, d.owner_unit.name) for d in qs.iterator()]  # fmt: skip
    headers = [_("Pledged on"), _("Donor"), _("Donor type"), _("Mobilised by (chamber)"), _("Money or goods"),
               _("Goods"), _("Pledged (yuan)"), _("Received (yuan)"), _("State"), _("Recipient"),
               _("Recording unit")]  # fmt: skip
    return xlsx_export(
        actor=request.user, title=_("Donations"), headers=headers, rows=rows, note="donations",
        name=f"{incident.name}-{_('Donations')}", widths=[12, 30, 10, 24, 8, 20, 16, 16, 10, 20, 24],
    )  # fmt: skip


def _donation_form(request, data=None, **kwargs):
    return DonationForm(
        data,
        enterprises=enterprise_selectors.enterprises_for_user(user=request.user).order_by("name_key"),
        chambers=enterprise_selectors.chambers_for_user(user=request.user),
        **kwargs,
    )


@login_required
def donation_form(request, donation_id: int | None = None):
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    donation = policy.get_editable_or_404(request.user, Donation.objects.all(), pk=donation_id) if donation_id else None
    incident = donation.incident if donation else _incident(request)
    if incident is None:
        return _no_incident(request)
    initial = {f: getattr(donation, f) for f in [*DONATION_FIELDS, "version"]} if donation else {
        "pledged_on": timezone.localdate(), "donor_kind": "enterprise", "kind": "money"}  # fmt: skip
    form = _donation_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = data.pop("version")
        try:
            if donation:
                donation = services.donation_update(actor=request.user, donation=donation, version=version, **data)
            else:
                donation = services.donation_pledge(actor=request.user, incident=incident, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("emergency:donation", donation_id=donation.pk)
    return render(
        request,
        "emergency/donation_form.html",
        {"form": form, "donation": donation, "incident": incident},
        status=400 if form.errors else 200,
    )


@login_required
def donation_detail(request, donation_id: int, receipt_form=None):
    donation = selectors.donation_get_for_user(user=request.user, donation_id=donation_id)
    return render(
        request,
        "emergency/donation.html",
        {
            "donation": donation,
            "receipts": donation.receipts.select_related("recorded_by"),
            "shipments": donation.shipments.all(),
            "can_edit": policy.can_edit(request.user, donation),
            "receipt_form": receipt_form or ReceiptForm(initial={"received_on": timezone.localdate()}),
        },
        status=400 if receipt_form is not None else 200,
    )


@login_required
@require_POST
def receipt_add(request, donation_id: int):
    donation = policy.get_editable_or_404(request.user, Donation.objects.all(), pk=donation_id)
    form = ReceiptForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.receipt_add(actor=request.user, donation=donation, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Receipt recorded."))
            return redirect("emergency:donation", donation_id=donation.pk)
    return donation_detail(request, donation_id, receipt_form=form)


@login_required
@require_POST
def receipt_delete(request, donation_id: int, receipt_id: int):
    donation = policy.get_editable_or_404(request.user, Donation.objects.all(), pk=donation_id)
    receipt = Receipt.objects.filter(pk=receipt_id, donation=donation).first()
    if receipt is None:
        raise Http404
    services.receipt_delete(actor=request.user, receipt=receipt)
    messages.success(request, _("Receipt removed."))
    return redirect("emergency:donation", donation_id=donation.pk)


@login_required
def voucher(request, donation_id: int, receipt_id: int):
    donation = selectors.donation_get_for_user(user=request.user, donation_id=donation_id)
    receipt = Receipt.objects.filter(pk=receipt_id, donation=donation).exclude(voucher="").first()
    if receipt is None:
        raise Http404
    audit_log(actor=request.user, action=AuditEntry.Action.EXPORT, target=donation, note=f"voucher {receipt.pk}")
    return FileResponse(
        receipt.voucher.open("rb"), as_attachment=True, filename=receipt.voucher.name.rsplit("/", 1)[-1]
    )


@login_required
def certificate(request, donation_id: int):
    """捐赠证书: the donor's gifts to the incident, received so far, on one printable page."""
    donation = selectors.donation_get_for_user(user=request.user, donation_id=donation_id)
    gifts = list(selectors.donor_donations(user=request.user, donation=donation))
    received = [g for g in gifts if g.received_value > 0]
    if not received:
        messages.error(request, _("A certificate is issued once something has been received."))
        return redirect("emergency:donation", donation_id=donation.pk)
    return render(
        request,
        "emergency/certificate.html",
        {
            "donation": donation,
            "gifts": received,
            "total": sum(g.received_value for g in received),
            "issued_on": timezone.localdate(),
            "issuer": Unit.objects.filter(parent__isnull=True, kind=Unit.Kind.BUREAU).order_by("sort_order").first(),
        },
    )


# --- shipments ------------------------------------------------------------------------------------


@login_required
def shipments(request):
    incident = _incident(request)
    if incident is None:
        return _no_incident(request)
    scope = _scope(request, incident)
    return render(
        request,
        "emergency/shipments.html",
        {
            "incident": incident,
            "incidents": selectors.incidents(),
            "columns": selectors.shipment_board(user=request.user, scope=scope),
            "moves": {
                state: [(to, Shipment.State(to).label) for to in services.SHIPMENT_MOVES[state] if to != "blocked"]
                for state in Shipment.State.values
            },
        },
    )


@login_required
def shipment_form(request, shipment_id: int | None = None):
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    shipment = policy.get_editable_or_404(request.user, Shipment.objects.all(), pk=shipment_id) if shipment_id else None
    incident = shipment.incident if shipment else _incident(request)
    if incident is None:
        return _no_incident(request)
    initial = {f: getattr(shipment, f) for f in [*SHIPMENT_FIELDS, "version"]} if shipment else {}
    withheld = Withheld(request, shipment, DRIVER_PERSONAL, initial, note="driver (edit)")
    if not shipment and request.GET.get("donation"):
        gift = Donation.objects.filter(pk=int_or_none(request.GET["donation"]) or 0, kind="goods").first()
        if gift:
            initial.update(donation=gift.pk, goods=gift.item, quantity=gift.quantity, measure=gift.measure)
    donations_ = selectors.donations_for_user(
        user=request.user, scope=selectors.Scope(incident=incident.pk), filters=selectors.DonationFilter(kind="goods")
    )
    form = ShipmentForm(request.POST or None, initial=initial, donations=donations_)
    withheld.explain(form)
    if request.method == "POST" and form.is_valid():
        data = withheld.keep_blank(form.cleaned_data)
        version = data.pop("version")
        try:
            if shipment:
                shipment = services.shipment_update(actor=request.user, shipment=shipment, version=version, **data)
            else:
                shipment = services.shipment_create(actor=request.user, incident=incident, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("emergency:shipment", shipment_id=shipment.pk)
    return render(
        request,
        "emergency/form.html",
        {"form": form, "title": _("Edit shipment") if shipment else _("New shipment"), "incident": incident},
        status=400 if form.errors else 200,
    )


@login_required
def shipment_detail(request, shipment_id: int, move_form=None, case_form=None):
    shipment = selectors.shipment_get_for_user(user=request.user, shipment_id=shipment_id)
    enterprises = enterprise_selectors.enterprises_for_user(user=request.user).order_by("name_key")
    donor = shipment.donation.enterprise_id if shipment.donation_id else None
    see_personal = policy.can(request.user, policy.Capability.VIEW_PERSONAL)
    if see_personal and (shipment.driver_phone or shipment.driver_id_number):
        audit_log(actor=request.user, action=AuditEntry.Action.VIEW_PERSONAL, target=shipment, note="driver")
    return render(
        request,
        "emergency/shipment.html",
        {
            "shipment": shipment,
            "see_personal": see_personal,
            "events": shipment.events.select_related("actor"),
            "can_edit": policy.can_edit(request.user, shipment),
            "moves": [(s, Shipment.State(s).label) for s in services.SHIPMENT_MOVES[shipment.state]],
            "move_form": move_form or ShipmentMoveForm(initial={"version": shipment.version}),
            "case_form": case_form or RaiseCaseForm(initial={"enterprise": donor}, enterprises=enterprises),
        },
        status=400 if (move_form or case_form) is not None else 200,
    )


@login_required
@require_POST
def shipment_move(request, shipment_id: int):
    shipment = policy.get_editable_or_404(request.user, Shipment.objects.all(), pk=shipment_id)
    form = ShipmentMoveForm(request.POST)
    if form.is_valid():
        try:
            services.shipment_move(
                actor=request.user,
                shipment=shipment,
                to=form.cleaned_data["state"],
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect(_next(request) or reverse("emergency:shipment", args=[shipment.pk]))
    return shipment_detail(request, shipment_id, move_form=form)


@login_required
@require_POST
def shipment_case(request, shipment_id: int):
    shipment = policy.get_editable_or_404(request.user, Shipment.objects.all(), pk=shipment_id)
    enterprises = enterprise_selectors.enterprises_for_user(user=request.user)
    form = RaiseCaseForm(request.POST, enterprises=enterprises)
    if form.is_valid():
        try:
            case = services.shipment_raise_case(
                actor=request.user, shipment=shipment, enterprise=form.cleaned_data["enterprise"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Case %(number)s registered.") % {"number": case.number})
            return redirect("emergency:shipment", shipment_id=shipment.pk)
    return shipment_detail(request, shipment_id, case_form=form)


# --- volunteer service ----------------------------------------------------------------------------


@login_required
def volunteer(request):
    """The unit's stints and figures; the quick log form for the person's own stint on top."""
    incident = _incident(request)
    if incident is None:
        return _no_incident(request)
    scope = _scope(request, incident)
    mine = request.GET.get("mine") == "1"
    rows = selectors.volunteer_for_user(user=request.user, scope=scope, person=request.user if mine else None)
    return render(
        request,
        "emergency/volunteer.html",
        {
            "incident": incident,
            "incidents": selectors.incidents(),
            "scope": scope,
            "mine": mine,
            "figures": selectors.volunteer_figures(user=request.user, scope=scope),
            "by_unit": selectors.volunteer_by_unit(user=request.user, scope=scope),
            "page": page_of(rows, request.GET.get("page")),
        },
    )


@login_required
def volunteer_log(request):
    """Phone-sized: the person logs their own stint in a few taps."""
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    incident = _incident(request)
    if incident is None:
        return _no_incident(request)
    last = VolunteerService.objects.filter(person=request.user).order_by("-on", "-id").first()
    initial = {"on": timezone.localdate(), "hours": 4}
    if last:  # the same community as last time, most likely
        initial.update(district=last.district, community=last.community, tasks=last.tasks)
    form = VolunteerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        for name in ("tests_assisted", "records_entered", "households_surveyed"):
            data[name] = data[name] or 0
        try:
            services.volunteer_log(actor=request.user, incident=incident, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Thank you: your stint is logged."))
            return redirect(f"{request.path}?incident={incident.pk}")
    return render(
        request,
        "emergency/volunteer_log.html",
        {
            "form": form,
            "incident": incident,
            "mine": selectors.volunteer_for_user(
                user=request.user, scope=selectors.Scope(incident=incident.pk), person=request.user
            )[:5],
            "count": VolunteerService.objects.filter(incident=incident, person=request.user).count(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def volunteer_delete(request, stint_id: int):
    stint = policy.get_visible_or_404(request.user, VolunteerService.objects.select_related("person"), pk=stint_id)
    try:
        services.volunteer_delete(actor=request.user, stint=stint)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Stint removed."))
    return redirect(_next(request) or reverse("emergency:volunteer"))


@login_required
def volunteer_export(request):
    incident = _incident(request)
    if incident is None:
        raise Http404
    scope = _scope(request, incident)
    qs = selectors.volunteer_for_user(user=request.user, scope=scope)
    rows = [(s.on, s.person.name, s.unit.name, s.district, s.community, s.hours, "、".join(s.task_labels),
             s.tests_assisted, s.records_entered, s.households_surveyed) for s in qs.iterator()]  # fmt: skip
    headers = [_("Date"), _("Person"), _("Unit"), _("District"), _("Community"), _("Hours"), _("Tasks"),
               _("Testing person-times assisted"), _("Records entered"), _("Households surveyed")]  # fmt: skip
    return xlsx_export(
        actor=request.user, title=_("Volunteer service"), headers=headers, rows=rows, note="volunteer",
        name=f"{incident.name}-{_('Volunteer service')}", widths=[12, 10, 26, 10, 16, 6, 24, 12, 10, 10],
    )  # fmt: skip


# --- production continuity ------------------------------------------------------------------------


@login_required
def continuity(request, critical_form=None):
    incident = _incident(request)
    if incident is None:
        return _no_incident(request)
    scope = _scope(request, incident)
    not_normal = request.GET.get("not_normal") == "1"
    enterprises = enterprise_selectors.enterprises_for_user(user=request.user).order_by("name_key")
    return render(
        request,
        "emergency/continuity.html",
        {
            "incident": incident,
            "incidents": selectors.incidents(),
            "not_normal": not_normal,
            "rows": selectors.critical_for_user(
                user=request.user, scope=scope, not_normal=not_normal, q=request.GET.get("q")
            ),
            "counts": selectors.critical_counts(user=request.user, scope=scope),
            "form": critical_form or CriticalForm(enterprises=enterprises),
            "may_edit": policy.can(request.user, policy.Capability.EDIT_RECORDS),
        },
        status=400 if critical_form is not None else 200,
    )


@login_required
@require_POST
def critical_mark(request):
    incident = _incident(request)
    if incident is None:
        raise Http404
    enterprises = enterprise_selectors.enterprises_for_user(user=request.user)
    form = CriticalForm(request.POST, enterprises=enterprises)
    if form.is_valid():
        try:
            critical = services.critical_mark(actor=request.user, incident=incident, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("emergency:critical", critical_id=critical.pk)
    return continuity(request, critical_form=form)


@login_required
def critical_detail(request, critical_id: int, update_form=None, case_form=None):
    critical = selectors.critical_get_for_user(user=request.user, critical_id=critical_id)
    return render(
        request,
        "emergency/critical.html",
        {
            "critical": critical,
            "updates": critical.updates.select_related("recorded_by", "case"),
            "can_edit": policy.can_edit(request.user, critical),
            "update_form": update_form
            or ProductionForm(initial={"on": timezone.localdate(), "version": critical.version}),
            "case_form": case_form or CriticalCaseForm(initial={"title": critical.reason}),
        },
        status=400 if (update_form or case_form) is not None else 200,
    )


@login_required
@require_POST
def production_update(request, critical_id: int):
    critical = policy.get_editable_or_404(request.user, CriticalEnterprise.objects.all(), pk=critical_id)
    form = ProductionForm(request.POST)
    if form.is_valid():
        try:
            services.production_update(actor=request.user, critical=critical, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("emergency:critical", critical_id=critical.pk)
    return critical_detail(request, critical_id, update_form=form)


@login_required
@require_POST
def critical_case(request, critical_id: int):
    critical = policy.get_editable_or_404(
        request.user, CriticalEnterprise.objects.select_related("enterprise"), pk=critical_id
    )
    form = CriticalCaseForm(request.POST)
    if form.is_valid():
        try:
            case = services.critical_raise_case(actor=request.user, critical=critical, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Case %(number)s registered.") % {"number": case.number})
            return redirect("cases:detail", case_id=case.pk)
    return critical_detail(request, critical_id, case_form=form)


@login_required
def shipments_export(request):
    incident = _incident(request)
    if incident is None:
        raise Http404
    qs = selectors.shipments_for_user(
        user=request.user, scope=_scope(request, incident), state=request.GET.get("state")
    )
    rows = [(s.goods, s.quantity, s.measure, s.origin, f"{s.destination}{s.township}", s.carrier, s.plate, s.driver,
             s.driver_phone, s.get_transit_pass_display(), s.get_state_display(), s.state_reason,
             timezone.localtime(s.departed_at).replace(tzinfo=None) if s.departed_at else None,
             timezone.localtime(s.delivered_at).replace(tzinfo=None) if s.delivered_at else None,
             s.case.number if s.case_id else "", s.owner_unit.name) for s in qs.iterator()]  # fmt: skip
    headers = [_("Goods"), _("Quantity"), _("Unit of measure"), _("Origin"), _("Destination"), _("Carrier"),
               _("Vehicle plate"), _("Driver"), _("Driver's phone"), _("Transit pass"), _("State"), _("Reason"),
               _("Departed at"), _("Delivered at"), _("Case"), _("Owning unit")]  # fmt: skip
    return xlsx_export(
        actor=request.user, title=_("Shipments"), headers=headers, rows=rows, note="shipments",
        name=f"{incident.name}-{_('Shipments')}", personal={8}, unmasked=export_unmasked(request),
    )  # fmt: skip


@login_required
def continuity_export(request):
    incident = _incident(request)
    if incident is None:
        raise Http404
    qs = selectors.critical_for_user(
        user=request.user, scope=_scope(request, incident), not_normal=request.GET.get("not_normal") == "1"
    )
    rows = [(c.enterprise.name, c.why, c.get_status_display(), c.status_on, c.reason, c.owner_unit.name)
            for c in qs.iterator()]  # fmt: skip
    headers = [_("Enterprise"), _("Why it is critical"), _("Production"), _("As of"), _("Reason"), _("Owning unit")]
    return xlsx_export(
        actor=request.user, title=_("Production continuity"), headers=headers, rows=rows, note="critical",
        name=f"{incident.name}-{_('Production continuity')}", widths=[30, 30, 10, 12, 30, 24],
    )  # fmt: skip
