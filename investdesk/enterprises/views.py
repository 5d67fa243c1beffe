"""Pages of the registry. Each view parses input, calls a selector or service, and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from investdesk.core import policy
from investdesk.core.audit import audit_log
from investdesk.core.errors import DomainError
from investdesk.core.exports import UNMASKED_PARAM, export_unmasked, xlsx_export
from investdesk.core.forms import apply_domain_error
from investdesk.core.models import AuditEntry
from investdesk.core.personal import Withheld
from investdesk.enterprises import importer, selectors, services
from investdesk.enterprises.exports import enterprises_table
from investdesk.enterprises.forms import (
    ChamberForm,
    ContactForm,
    EnterpriseFilterForm,
    EnterpriseForm,
    ImportForm,
    MembersForm,
    MergeForm,
    ServiceActionForm,
    TargetsForm,
    VisitForm,
)
from investdesk.enterprises.models import Chamber, Enterprise, ImportBatch, Visit
from investdesk.lib.paging import page_of
from investdesk.lib.params import int_or_none
from investdesk.lib.tabular import MAX_BYTES

ENTERPRISE_FORM_FIELDS = ["name", "name_en", "uscc", "city", "address", "industry", "ownership", "investor_country",
                          "is_key", "is_city_support", "is_fortune500", "is_listed", "employees", "status",
                          "liaison", "note"]  # fmt: skip
# A contact's personal details: masked unless the user has VIEW_PERSONAL (then audited).
CONTACT_PERSONAL = ("mobile", "phone", "email", "wechat")


# --- the list ---------------------------------------------------------------------------------------


@login_required
def enterprise_list(request):
    form = EnterpriseFilterForm(request.GET or None, viewer=request.user)
    enterprises = selectors.enterprises_for_user(user=request.user, filters=form.filters())
    page = page_of(enterprises, request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "primary": selectors.primary_contacts(page.items),
        "can_edit": policy.can(request.user, policy.Capability.EDIT_RECORDS),
    }
    template = "enterprises/list.html#rows" if request.htmx else "enterprises/list.html"
    return render(request, template, context)


@login_required
def enterprise_export(request):
    form = EnterpriseFilterForm(request.GET or None)
    table = enterprises_table(enterprises=selectors.enterprises_for_user(user=request.user, filters=form.filters()))
    query = request.GET.copy()
    query.pop(UNMASKED_PARAM, None)  # the audit note says "unmasked" only when the export was
    return xlsx_export(
        actor=request.user, note=f"enterprises {query.urlencode()}", unmasked=export_unmasked(request), **table
    )


# --- one enterprise ---------------------------------------------------------------------------------


@login_required
def enterprise_detail(request, enterprise_id: int):
    enterprise = selectors.enterprise_get_for_user(user=request.user, enterprise_id=enterprise_id)
    contacts = list(selectors.contacts_of(user=request.user, enterprise=enterprise))
    # Contacts' details in full only for VIEW_PERSONAL, and that view is audited; masked otherwise.
    see_personal = policy.can(request.user, policy.Capability.VIEW_PERSONAL)
    if see_personal and any(getattr(c, name) for c in contacts for name in CONTACT_PERSONAL):
        audit_log(
            actor=request.user,
            action=AuditEntry.Action.VIEW_PERSONAL,
            target=enterprise,
            note=f"contacts ({len(contacts)})",
        )
    return render(
        request,
        "enterprises/detail.html",
        {
            "enterprise": enterprise,
            "contacts": contacts,
            "see_personal": see_personal,
            "visits": selectors.visits_for_user(user=request.user, enterprise=enterprise)[:50],
            "others": selectors.recent_visits_by_others(user=request.user, enterprise=enterprise),
            "can_edit": policy.can_edit(request.user, enterprise),
            "panels": selectors.enterprise_panels(user=request.user, enterprise=enterprise),
        },
    )


@login_required
def enterprise_form(request, enterprise_id: int | None = None):
    enterprise = (
        selectors.enterprise_get_editable(user=request.user, enterprise_id=enterprise_id) if enterprise_id else None
    )
    if enterprise is None:
        policy.require(request.user, policy.Capability.EDIT_RECORDS)
    initial = {f: getattr(enterprise, f) for f in [*ENTERPRISE_FORM_FIELDS, "version"]} if enterprise else {}
    form = EnterpriseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = data.pop("version")
        try:
            if enterprise:
                enterprise = services.enterprise_update(
                    actor=request.user, enterprise=enterprise, version=version, **data
                )
            else:
                enterprise = services.enterprise_create(actor=request.user, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": enterprise.name})
            return redirect("enterprises:detail", enterprise_id=enterprise.pk)
    return render(
        request, "enterprises/form.html", {"form": form, "enterprise": enterprise}, status=400 if form.errors else 200
    )


# --- contacts ---------------------------------------------------------------------------------------


@login_required
def contact_form(request, enterprise_id: int, contact_id: int | None = None):
    enterprise = selectors.enterprise_get_editable(user=request.user, enterprise_id=enterprise_id)
    contact = None
    if contact_id:
        contact = selectors.contact_get_editable(user=request.user, contact_id=contact_id)
        if contact.enterprise_id != enterprise.pk:
            raise Http404
    fields = ["name", "title", "mobile", "phone", "email", "wechat", "preferred_channel", "is_primary", "version"]
    initial = {f: getattr(contact, f) for f in fields} if contact else {}
    withheld = Withheld(request, contact, CONTACT_PERSONAL, initial, note="contact (edit)")
    form = ContactForm(request.POST or None, initial=initial)
    withheld.explain(form)
    if request.method == "POST" and form.is_valid():
        data = withheld.keep_blank(form.cleaned_data)
        version = data.pop("version")
        try:
            if contact:
                services.contact_update(actor=request.user, contact=contact, version=version, **data)
            else:
                services.contact_create(actor=request.user, enterprise=enterprise, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("enterprises:detail", enterprise_id=enterprise.pk)
    return render(
        request,
        "enterprises/contact_form.html",
        {"form": form, "enterprise": enterprise, "contact": contact},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def contact_delete(request, enterprise_id: int, contact_id: int):
    contact = selectors.contact_get_editable(user=request.user, contact_id=contact_id)
    services.contact_delete(actor=request.user, contact=contact)
    messages.success(request, _("Contact deleted."))
    return redirect("enterprises:detail", enterprise_id=contact.enterprise_id)


# --- visits -----------------------------------------------------------------------------------------


def _visit_form(request, *, enterprise: Enterprise, visit: Visit | None):
    actions = selectors.service_actions_for_user(user=request.user)
    action = visit.action if visit else None
    action_id = int_or_none(request.POST.get("action") or request.GET.get("action"))
    if visit is None and action_id:
        action = actions.filter(pk=action_id).first()
    questions = action.questions.all() if action else []
    initial = {
        "visited_on": timezone.localdate(),
        "staff": [request.user],
        "status": Visit.Status.COMPLETED,
        "action": action,
    }
    if visit:
        initial = {
            "visited_on": visit.visited_on,
            "mode": visit.mode,
            "staff": list(visit.staff.all()),
            "contacts": list(visit.contacts.all()),
            "summary": visit.summary,
            "status": visit.status,
            "version": visit.version,
            **{f"q{a.question_id}": a.answer for a in visit.answers.all()},
        }
    return VisitForm(
        request.POST or None,
        initial=initial,
        enterprise=enterprise,
        actions=actions,
        questions=questions,
        editing=visit is not None,
    )


@login_required
def visit_form(request, enterprise_id: int, visit_id: int | None = None):
    enterprise = selectors.enterprise_get_for_user(user=request.user, enterprise_id=enterprise_id)
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    visit = selectors.visit_get_editable(user=request.user, visit_id=visit_id) if visit_id else None
    form = _visit_form(request, enterprise=enterprise, visit=visit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common = {
            "visited_on": data["visited_on"],
            "mode": data["mode"],
            "staff": list(data["staff"]),
            "contacts": list(data["contacts"]),
            "summary": data["summary"],
            "answers": form.answers(),
            "problems": form.problem_list(),
            "status": data["status"],
        }
        try:
            if visit:
                visit = services.visit_update(actor=request.user, visit=visit, version=data["version"], **common)
            else:
                visit = services.visit_create(
                    actor=request.user, enterprise=enterprise, action=data.get("action"), **common
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Visit saved."))
            return redirect("enterprises:visit", visit_id=visit.pk)
    return render(
        request,
        "enterprises/visit_form.html",
        {
            "form": form,
            "enterprise": enterprise,
            "visit": visit,
            "others": selectors.recent_visits_by_others(user=request.user, enterprise=enterprise),
        },
        status=400 if form.errors else 200,
    )


@login_required
def visit_detail(request, visit_id: int):
    visit = selectors.visit_get_for_user(user=request.user, visit_id=visit_id)
    return render(
        request, "enterprises/visit_detail.html", {"visit": visit, "can_edit": policy.can_edit(request.user, visit)}
    )


@login_required
def visit_list(request):
    page = page_of(selectors.visits_for_user(user=request.user), request.GET.get("page"))
    return render(request, "enterprises/visit_list.html", {"page": page})


@login_required
def visit_export(request):
    """The visits the user may see, as .xlsx (the problems raised in each in one cell)."""
    visits = selectors.visits_for_user(user=request.user)
    rows = [(v.visited_on, v.enterprise.name, v.get_mode_display(), v.get_status_display(),
             v.action.name if v.action_id else "", "、".join(u.label for u in v.units.all()),
             "、".join(s.name for s in v.staff.all()), v.summary, "；".join(p.description for p in v.problems.all()))
            for v in visits]  # fmt: skip
    headers = [_("Date"), _("Enterprise"), _("Mode"), _("Status"), _("Service action"), _("Units"), _("Staff"),
               _("Summary"), _("Problems")]  # fmt: skip
    return xlsx_export(
        actor=request.user, title=_("Visits"), headers=headers, rows=rows, note="visits",
        widths=[12, 28, 8, 8, 16, 20, 16, 40, 40],
    )  # fmt: skip


@login_required
def stale_list(request):
    try:
        days = min(max(int(request.GET.get("days", 30)), 1), 3650)
    except ValueError:
        days = 30
    liaison = request.GET.get("liaison")
    enterprises = selectors.stale_key_enterprises(
        user=request.user, days=days, liaison_id=int(liaison) if liaison and liaison.isdigit() else None
    )
    return render(
        request, "enterprises/stale.html", {"page": page_of(enterprises, request.GET.get("page"), 100), "days": days}
    )


# --- import -----------------------------------------------------------------------------------------


@login_required
def import_upload(request):
    """Step 1: the upload. A file that can be read goes to its batch's page (the preview, or the
    check's progress for a large file); one that cannot stays here with the reason."""
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            form.add_error("file", _("The file is larger than 20 MB; split it into smaller files."))
        else:
            try:
                batch = importer.import_upload(actor=request.user, filename=upload.name, content=upload.read())
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return redirect("enterprises:import_batch", batch.pk)
    context = {"form": form, "batches": importer.import_batches(user=request.user)}
    return render(request, "enterprises/import.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def import_confirm(request, batch_id: int):
    try:
        batch = importer.import_confirm(actor=request.user, batch_id=batch_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("enterprises:import")
    if batch.state != ImportBatch.State.DONE:
        return redirect("enterprises:import_batch", batch.pk)  # large: the worker applies it
    counts = batch.summary
    messages.success(request, _("Imported: %(new)d new, %(update)d updated, %(unchanged)d unchanged.") % counts)
    return redirect("enterprises:list")


@login_required
@require_POST
def import_check_again(request, batch_id: int):
    """A large file whose check stopped with its worker: check it again, without a new upload."""
    try:
        importer.import_check_again(actor=request.user, batch_id=batch_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("enterprises:import")
    return redirect("enterprises:import_batch", batch_id)


@login_required
def import_batch(request, batch_id: int):
    """An uploaded file's own page: its check, its preview, then waiting, importing, imported or why
    not (htmx polls the state while the worker has it)."""
    status = importer.import_batch_status(user=request.user, batch_id=batch_id)
    template = "enterprises/import_batch.html#state" if request.htmx else "enterprises/import_batch.html"
    return render(request, template, {"batch": status.batch, "status": status})


# --- duplicates -------------------------------------------------------------------------------------


@login_required
def duplicates(request):
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survivor = selectors.enterprise_get_editable(user=request.user, enterprise_id=form.cleaned_data["survivor"])
        duplicate = selectors.enterprise_get_editable(user=request.user, enterprise_id=form.cleaned_data["duplicate"])
        try:
            services.enterprise_merge(
                actor=request.user, survivor=survivor, duplicate=duplicate, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("%(dup)s was merged into %(name)s.") % {"dup": duplicate.name, "name": survivor.name}
            )
            return redirect("enterprises:detail", enterprise_id=survivor.pk)
    elif request.method == "POST":
        messages.error(request, _("Give a reason for the merge."))
    return render(
        request, "enterprises/duplicates.html", {"groups": selectors.duplicate_groups(user=request.user), "form": form}
    )


# --- chambers ---------------------------------------------------------------------------------------


@login_required
def chamber_list(request):
    return render(
        request,
        "enterprises/chambers.html",
        {
            "chambers": selectors.chambers_for_user(user=request.user),
            "can_edit": policy.can(request.user, policy.Capability.EDIT_RECORDS),
        },
    )


@login_required
def chamber_detail(request, chamber_id: int):
    chamber = selectors.chamber_get_for_user(user=request.user, chamber_id=chamber_id)
    form = MembersForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        policy.get_editable_or_404(request.user, Chamber.objects.all(), pk=chamber.pk)
        upload = form.cleaned_data["file"]
        try:
            enterprises = importer.enterprises_from_list(
                actor=request.user, filename=upload.name, content=upload.read()
            )
            added = services.chamber_add_members(actor=request.user, chamber=chamber, enterprises=enterprises)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(n)d member enterprises added.") % {"n": added})
            return redirect("enterprises:chamber", chamber_id=chamber.pk)
    members = selectors.enterprises_for_user(user=request.user).filter(chambers=chamber)
    people = list(chamber.people.all())
    see_personal = policy.can(request.user, policy.Capability.VIEW_PERSONAL)
    if see_personal and any(p.mobile for p in people):
        audit_log(actor=request.user, action=AuditEntry.Action.VIEW_PERSONAL, target=chamber, note="key people")
    return render(
        request,
        "enterprises/chamber_detail.html",
        {
            "chamber": chamber,
            "people": people,
            "see_personal": see_personal,
            "members": members,
            "form": form,
            "can_edit": policy.can_edit(request.user, chamber),
        },
        status=400 if form.errors else 200,
    )


@login_required
def chamber_form(request, chamber_id: int | None = None):
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    chamber = None
    initial = {}
    # Key people's mobiles are prefilled (and that view audited) only for VIEW_PERSONAL; for anyone
    # else a person written without one keeps the mobile they had.
    see_personal = policy.can(request.user, policy.Capability.VIEW_PERSONAL)
    kept: dict[str, str] = {}
    if chamber_id:
        chamber = policy.get_editable_or_404(request.user, Chamber.objects.prefetch_related("people"), pk=chamber_id)
        people = list(chamber.people.all())
        if see_personal and any(p.mobile for p in people) and request.method == "GET":
            audit_log(
                actor=request.user, action=AuditEntry.Action.VIEW_PERSONAL, target=chamber, note="key people (edit)"
            )
        kept = {} if see_personal else {p.name: p.mobile for p in people if p.mobile}
        initial = {
            "name": chamber.name,
            "kind": chamber.kind,
            "note": chamber.note,
            "version": chamber.version,
            "people": "\n".join(
                "，".join([p.name, p.position, *([p.mobile] if see_personal and p.mobile else [])]) for p in people
            ),
        }
    form = ChamberForm(request.POST or None, initial=initial)
    if kept:
        hint = _("Mobile numbers are not shown: a person written without one keeps it.")
        form.fields["people"].help_text = f"{form.fields['people'].help_text} {hint}"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        data["people"] = [(name, position, mobile or kept.get(name, "")) for name, position, mobile in data["people"]]
        try:
            if chamber:
                chamber = services.chamber_update(
                    actor=request.user,
                    chamber=chamber,
                    version=data["version"],
                    name=data["name"],
                    kind=data["kind"],
                    note=data["note"],
                    people=data["people"],
                )
            else:
                chamber = services.chamber_create(
                    actor=request.user, name=data["name"], kind=data["kind"], note=data["note"], people=data["people"]
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("enterprises:chamber", chamber_id=chamber.pk)
    return render(
        request, "enterprises/chamber_form.html", {"form": form, "chamber": chamber}, status=400 if form.errors else 200
    )


# --- service actions --------------------------------------------------------------------------------


@login_required
def action_list(request):
    return render(
        request,
        "enterprises/actions.html",
        {
            "actions": selectors.service_actions_for_user(user=request.user),
            "can_edit": policy.can(request.user, policy.Capability.EDIT_RECORDS),
        },
    )


@login_required
def action_create(request):
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    form = ServiceActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = services.service_action_create(
                actor=request.user,
                name=data["name"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                units=list(data["units"]),
                description=data["description"],
                questions=data["questions"].splitlines(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("enterprises:action", action_id=action.pk)
    return render(request, "enterprises/action_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def action_detail(request, action_id: int):
    action = selectors.service_action_get_for_user(user=request.user, action_id=action_id)
    form = TargetsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        policy.get_editable_or_404(request.user, type(action).objects.all(), pk=action.pk)
        try:
            added = _add_targets(request, action, form)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(n)d target enterprises added.") % {"n": added})
            return redirect("enterprises:action", action_id=action.pk)
    return render(
        request,
        "enterprises/action_detail.html",
        {
            "action": action,
            "progress": selectors.service_action_progress(action=action),
            "unvisited": page_of(
                selectors.service_action_unvisited(user=request.user, action=action), request.GET.get("page"), 100
            ),
            "visits": selectors.visits_for_user(user=request.user, action=action)[:20],
            "form": form,
            "can_edit": policy.can_edit(request.user, action),
        },
        status=400 if form.errors else 200,
    )


def _add_targets(request, action, form) -> int:
    if form.cleaned_data.get("file"):
        upload = form.cleaned_data["file"]
        enterprises = importer.enterprises_from_list(actor=request.user, filename=upload.name, content=upload.read())
    elif request.POST.get("use_filter"):
        filters = EnterpriseFilterForm(QueryDict(form.cleaned_data["from_filter"])).filters()
        enterprises = list(selectors.enterprises_for_user(user=request.user, filters=filters)[:20000])
    else:
        raise DomainError(_("Choose a file, or add the enterprises of a list filter."), field="file")
    return services.service_action_add_targets(actor=request.user, action=action, enterprises=enterprises)
