"""Pages of the cases module: queues, the case page with its actions, raising a case, the notice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from investdesk.cases import selectors, services
from investdesk.cases.forms import ActionForm, AttachmentForm, CaseForm, PublicFollowUpForm, ThankYouLetterForm
from investdesk.cases.models import Assignment, CaseAttachment, ThankYouLetter
from investdesk.cases.notices import assignment_notice
from investdesk.core import policy
from investdesk.core.audit import audit_log
from investdesk.core.errors import DomainError
from investdesk.core.exports import xlsx_export
from investdesk.core.forms import apply_domain_error
from investdesk.core.models import AuditEntry, Unit
from investdesk.enterprises import selectors as enterprise_selectors
from investdesk.enterprises.models import VisitProblem
from investdesk.lib.excel import attachment
from investdesk.lib.paging import page_of_joined
from investdesk.lib.params import int_or_none

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# The fields each action asks for (the service says which are required).
ACTION_FIELDS = {
    "assign": ["lead_unit", "lead_handler", "co_units", "outside_bodies", "urgency", "note"],
    "reassign": ["lead_unit", "lead_handler", "co_units", "outside_bodies", "urgency", "note"],
    "accept": ["note"],
    "return": ["note"],
    "progress": ["rating", "waiting_on", "next_step", "note"],
    "co_reply": ["assignment", "note"],
    "request_extension": ["new_due_on", "note"],
    "approve_extension": ["note"],
    "refuse_extension": ["note"],
    "resolve": ["resolution", "note"],
    "follow_up": ["satisfaction", "note"],
    "close": ["note"],
    "supervise": ["note"],
}


@login_required
def queue(request):
    name = request.GET.get("queue") or (
        "unassigned" if policy.can(request.user, policy.Capability.DISPATCH) else "to_accept"
    )
    if name not in selectors.QUEUES:
        name = "all"
    cases = selectors.case_queue(
        user=request.user, queue=name, q=request.GET.get("q"), category=int_or_none(request.GET.get("category"))
    )
    context = {
        "queue": name,
        "page": page_of_joined(cases, request.GET.get("page")),
        "counts": selectors.queue_counts(user=request.user),
        "categories": selectors.categories(),
        "is_dispatcher": policy.can(request.user, policy.Capability.DISPATCH),
        "units": Unit.objects.filter(is_active=True).order_by("path"),
    }
    return render(request, "cases/queue.html#rows" if request.htmx else "cases/queue.html", context)


@login_required
def case_create(request):
    problem = None
    problem_id = int_or_none(request.GET.get("problem") or request.POST.get("problem"))
    if problem_id:
        problem = get_object_or_404(VisitProblem.objects.select_related("visit__enterprise"), pk=problem_id)
        # Raising a case from a problem needs the visit to be visible.
        enterprise_selectors.visit_get_for_user(user=request.user, visit_id=problem.visit_id)
        enterprise = problem.visit.enterprise
    else:
        enterprise = enterprise_selectors.enterprise_get_for_user(
            user=request.user,
            enterprise_id=int_or_none(request.GET.get("enterprise") or request.POST.get("enterprise")) or 0,
        )
    initial = {"title": problem.description[:60], "description": problem.description} if problem else {}
    form = CaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_register(
                actor=request.user,
                enterprise=enterprise,
                problem=problem,
                visit=problem.visit if problem else None,
                **form.cleaned_data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Case %(number)s registered.") % {"number": case.number})
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "cases/case_form.html",
        {"form": form, "enterprise": enterprise, "problem": problem},
        status=400 if form.errors else 200,
    )


@login_required
def case_detail(request, case_id: int, form: ActionForm | None = None, failed: str = "", **extra):
    """The case page. After a refused action (or upload) it is rendered again with that form bound."""
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    actions = services.actions_for(actor=request.user, case=case)
    forms = {}
    for action in actions:
        initial = {"action": action.name, "version": case.version}
        if action.name == "resolve":
            initial["resolution"] = case.category.reply_template  # answers common problems consistently
        bound = form if form is not None and failed == action.name else None
        forms[action.name] = (
            action,
            bound or ActionForm(initial=initial, auto_id=f"{action.name}-%s"),
            ACTION_FIELDS[action.name],
        )
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "forms": forms,
            "events": selectors.case_events(case=case),
            "failed": failed,
            "assignments": case.assignments.select_related("unit", "handler").order_by("-is_active", "role", "id"),
            "co_assignments": case.assignments.filter(role=Assignment.Role.CO, is_active=True).select_related("unit"),
            "extensions": case.extensions.select_related("requested_by", "decided_by"),
            "attachments": case.attachments.select_related("uploaded_by"),
            "letters": case.thank_you_letters.all(),
            "attachment_form": extra.get("attachment") or AttachmentForm(),
            "letter_form": extra.get("letter") or ThankYouLetterForm(),
            "may_follow_up": "follow_up" in forms,
            "follow_up_url": extra.get("follow_up_url"),
        },
        status=400 if failed or extra.get("attachment") or extra.get("letter") else 200,
    )


@login_required
@require_POST
def case_act(request, case_id: int):
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    form = ActionForm(request.POST, auto_id=f"{request.POST.get('action', '')}-%s")
    if form.is_valid():
        data = form.action_data()
        action, version, note = data.pop("action"), data.pop("version"), data.pop("note")
        assignment_id = data.pop("assignment")
        data["assignment"] = case.assignments.filter(pk=assignment_id).first() if assignment_id else None
        data = {k: v for k, v in data.items() if k in ACTION_FIELDS.get(action, []) or k == "assignment"}
        try:
            services.case_act(actor=request.user, case=case, action=action, version=version, note=note, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Done."))
            return redirect("cases:detail", case_id=case.pk)
    return case_detail(request, case_id, form=form, failed=request.POST.get("action", ""))


@login_required
@require_POST
def bulk_assign(request):
    lead_unit = Unit.objects.filter(pk=int_or_none(request.POST.get("lead_unit")) or 0, is_active=True).first()
    ids = [int(i) for i in request.POST.getlist("case") if i.isdigit()]
    done, failed = 0, []
    for case in selectors.cases_for_user(user=request.user).filter(pk__in=ids):
        try:
            services.case_act(actor=request.user, case=case, action="assign", version=None, lead_unit=lead_unit)
            done += 1
        except DomainError as exc:
            failed.append(f"{case.number}: {exc.message}")
    if done:
        messages.success(request, _("%(n)d cases assigned.") % {"n": done})
    for message in failed[:10]:
        messages.error(request, message)
    return redirect(f"{request.path.replace('bulk-assign/', '')}?queue=unassigned")


@login_required
def notice(request, case_id: int):
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    if case.due_on is None:
        messages.error(request, _("Assign the case before printing its notice."))
        return redirect("cases:detail", case_id=case.pk)
    issuer = request.user.unit.name if request.user.unit else ""
    audit_log(actor=request.user, action=AuditEntry.Action.EXPORT, target=case, note="assignment notice")
    return attachment(
        assignment_notice(case=case, issuer=issuer), filename=f"交办通知书-{case.number}.docx", content_type=DOCX
    )


@login_required
@require_POST
def attach(request, case_id: int):
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.case_attach(actor=request.user, case=case, upload=form.cleaned_data["file"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("cases:detail", case_id=case.pk)
    return case_detail(request, case_id, attachment=form)


@login_required
def attachment_download(request, case_id: int, attachment_id: int):
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    item = get_object_or_404(CaseAttachment, pk=attachment_id, case=case)
    audit_log(actor=request.user, action=AuditEntry.Action.EXPORT, target=case, note=f"attachment {item.name}")
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)


@login_required
@require_POST
def letter_add(request, case_id: int):
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    form = ThankYouLetterForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.thank_you_letter_add(
                actor=request.user,
                enterprise=case.enterprise,
                case=case,
                received_on=data["received_on"],
                sender=data["sender"],
                summary=data["summary"],
                upload=data.get("file"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Thank-you letter recorded."))
            return redirect("cases:detail", case_id=case.pk)
    return case_detail(request, case_id, letter=form)


@login_required
def letter_download(request, letter_id: int):
    letter = get_object_or_404(ThankYouLetter, pk=letter_id)
    enterprise_selectors.enterprise_get_for_user(user=request.user, enterprise_id=letter.enterprise_id)
    if not letter.file:
        raise Http404
    return FileResponse(letter.file.open("rb"), as_attachment=True, filename=letter.file.name.rsplit("/", 1)[-1])


@login_required
@require_POST
def follow_up_link(request, case_id: int):
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    try:
        token = services.follow_up_link_token(actor=request.user, case=case)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cases:detail", case_id=case.pk)
    url = request.build_absolute_uri(reverse("follow_up", args=[token]))
    return case_detail(request, case_id, follow_up_url=url)


def public_follow_up(request, token: str):
    """The enterprise's own follow-up page: no account, a signed one-time link."""
    try:
        case = services.case_from_follow_up_token(token)
    except DomainError as exc:
        return render(request, "cases/public_follow_up.html", {"error": exc.message}, status=410)
    form = PublicFollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_follow_up_by_link(token=token, **form.cleaned_data)
        except DomainError as exc:
            return render(request, "cases/public_follow_up.html", {"error": exc.message}, status=410)
        return render(request, "cases/public_follow_up.html", {"thanks": True})
    return render(
        request, "cases/public_follow_up.html", {"case": case, "form": form}, status=400 if form.errors else 200
    )


@login_required
def enterprise_letter_add(request, enterprise_id: int):
    """A thank-you letter for the agency's service in general, not for one case."""
    enterprise = enterprise_selectors.enterprise_get_for_user(user=request.user, enterprise_id=enterprise_id)
    form = ThankYouLetterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.thank_you_letter_add(
                actor=request.user,
                enterprise=enterprise,
                received_on=data["received_on"],
                sender=data["sender"],
                summary=data["summary"],
                upload=data.get("file"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Thank-you letter recorded."))
            return redirect("enterprises:detail", enterprise_id=enterprise.pk)
    return render(
        request, "cases/letter_form.html", {"form": form, "enterprise": enterprise}, status=400 if form.errors else 200
    )


@login_required
def queue_export(request):
    """The queue as .xlsx, with the same queue, search and category as the page."""
    name = request.GET.get("queue") or "all"
    if name not in selectors.QUEUES:
        name = "all"
    cases = selectors.case_queue(
        user=request.user, queue=name, q=request.GET.get("q"), category=int_or_none(request.GET.get("category"))
    ).select_related("enterprise", "category", "lead_unit")
    rows = [(c.number, timezone.localtime(c.registered_at).date(), c.enterprise.name, c.title, c.category.name,
             c.get_urgency_display(), c.get_status_display(), c.lead_unit.name if c.lead_unit else "", c.due_on,
             timezone.localtime(c.resolved_at).date() if c.resolved_at else None, c.get_satisfaction_display())
            for c in cases.iterator()]  # fmt: skip
    headers = [_("Number"), _("Registered"), _("Enterprise"), pgettext("heading", "Title"), _("Category"),
               _("Urgency"), _("Status"), _("Lead unit"), _("Due"), _("Resolved"), _("Satisfaction")]  # fmt: skip
    return xlsx_export(
        actor=request.user, title=_("Cases"), headers=headers, rows=rows, note=f"cases queue={name}",
        widths=[14, 12, 28, 30, 12, 8, 10, 24, 12, 12, 10],
    )  # fmt: skip
