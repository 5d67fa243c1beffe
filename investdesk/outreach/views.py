"""Outreach pages: campaigns (write, preview, audience report, approve, progress, calls, responses)
and internal notices with read receipts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from investdesk.core import policy
from investdesk.core.audit import audit_log
from investdesk.core.errors import DomainError
from investdesk.core.forms import apply_domain_error
from investdesk.core.models import AuditEntry
from investdesk.enterprises import importer as enterprise_importer
from investdesk.enterprises import selectors as enterprise_selectors
from investdesk.lib.paging import page_of
from investdesk.lib.params import int_or_none
from investdesk.outreach import selectors, services
from investdesk.outreach.forms import CallForm, CampaignForm, CaseCategoryForm, ResponseForm
from investdesk.outreach.models import Campaign, Message, Response

FIELDS = ["name", "audience", "subject", "body", "filters", "scheduled_at"]


@login_required
def campaigns(request):
    return render(
        request,
        "outreach/campaigns.html",
        {"page": page_of(selectors.campaigns_for_user(user=request.user), request.GET.get("page"))},
    )


@login_required
def campaign_form(request, campaign_id: int | None = None):
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    campaign = policy.get_editable_or_404(request.user, Campaign.objects.all(), pk=campaign_id) if campaign_id else None
    initial = {f: getattr(campaign, f) for f in [*FIELDS, "version"]} if campaign else {}
    if campaign:
        initial["units"] = list(campaign.units.all())
    elif request.GET.get("filters"):
        initial["filters"] = request.GET["filters"]
    form = CampaignForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = data.pop("version")
        listed, units, attachment = data.pop("listed"), data.pop("units"), data.pop("attachment")
        try:
            enterprises = None
            if listed:
                enterprises = enterprise_importer.enterprises_from_list(
                    actor=request.user, filename=listed.name, content=listed.read()
                )
            if campaign:
                campaign = services.campaign_update(
                    actor=request.user, campaign=campaign, version=version, units=units,
                    enterprises=enterprises, **data,
                )  # fmt: skip
            else:
                campaign = services.campaign_create(
                    actor=request.user, units=units, enterprises=enterprises or (), attachment=attachment, **data
                )
        except DomainError as exc:
            if exc.field == "file":
                exc.field = "listed"
            apply_domain_error(form, exc)
        else:
            return redirect("outreach:campaign", campaign_id=campaign.pk)
    return render(
        request, "outreach/campaign_form.html", {"form": form, "campaign": campaign}, status=400 if form.errors else 200
    )


@login_required
def campaign_detail(request, campaign_id: int, response_form=None):
    campaign = selectors.campaign_get_for_user(user=request.user, campaign_id=campaign_id)
    draft = campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SUBMITTED)
    report = services.resolve_audience(user=campaign.created_by or request.user, campaign=campaign) if draft else None
    preview = None
    if report and report.recipients:
        chosen = int_or_none(request.GET.get("preview"))
        recipient = next(
            (r for r in report.recipients if chosen in ((r.enterprise and r.enterprise.pk), (r.user and r.user.pk))),
            report.recipients[0],
        )
        kwargs = {"enterprise": recipient.enterprise, "contact": recipient.contact, "user": recipient.user}
        preview = {
            "recipient": recipient,
            "subject": services.render(campaign.subject, **kwargs)[0],
            "html": services.html_of(services.render(campaign.body, **kwargs)[0]),
        }
    enterprises = selectors.enterprises_reached(user=request.user, campaign=campaign)
    return render(
        request,
        "outreach/campaign.html",
        {
            "campaign": campaign,
            "report": report,
            "preview": preview,
            "progress": selectors.progress(campaign=campaign),
            "can_edit": policy.can_edit(request.user, campaign),
            "may_approve": services.may_approve(request.user, campaign),
            "failures": selectors.messages_of(campaign=campaign, state=Message.State.FAILED_PERMANENTLY)[:50],
            "unknown": selectors.messages_of(campaign=campaign, state=Message.State.UNKNOWN)[:50],
            "unread": selectors.unread_of(campaign=campaign)[:100] if campaign.audience == "staff" else [],
            "responses": selectors.responses_of(campaign=campaign),
            "response_form": response_form or ResponseForm(enterprises=enterprises),
            "category_form": CaseCategoryForm(),
        },
        status=400 if response_form is not None else 200,
    )


@login_required
def campaign_progress(request, campaign_id: int):
    """The live progress fragment (htmx polls it while the campaign is sending)."""
    campaign = selectors.campaign_get_for_user(user=request.user, campaign_id=campaign_id)
    return render(
        request,
        "outreach/campaign.html#progress",
        {"campaign": campaign, "progress": selectors.progress(campaign=campaign)},
    )


def _act(request, campaign_id, action):
    campaign = policy.get_visible_or_404(request.user, Campaign.objects.all(), pk=campaign_id)
    try:
        action(campaign, int_or_none(request.POST.get("version")))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("outreach:campaign", campaign_id=campaign_id)


@login_required
@require_POST
def campaign_submit(request, campaign_id: int):
    def submit(campaign, version):
        services.campaign_submit(actor=request.user, campaign=campaign, version=version)
        messages.success(request, _("Submitted for approval."))

    return _act(request, campaign_id, submit)


@login_required
@require_POST
def campaign_approve(request, campaign_id: int):
    def approve(campaign, version):
        if request.POST.get("decision") == "reject":
            services.campaign_reject(
                actor=request.user, campaign=campaign, version=version, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Returned to its author."))
        else:
            services.campaign_approve(actor=request.user, campaign=campaign, version=version)
            messages.success(request, _("Approved: the messages are being sent."))

    return _act(request, campaign_id, approve)


@login_required
@require_POST
def campaign_retry(request, campaign_id: int):
    def retry(campaign, version):
        policy.get_editable_or_404(request.user, Campaign.objects.all(), pk=campaign.pk)
        n = services.messages_retry(actor=request.user, campaign=campaign)
        messages.success(request, _("%(n)d messages will be sent again.") % {"n": n})

    return _act(request, campaign_id, retry)


@login_required
@require_POST
def message_confirm(request, campaign_id: int, message_id: int):
    def confirm(campaign, version):
        policy.get_editable_or_404(request.user, Campaign.objects.all(), pk=campaign.pk)
        message = campaign.messages.filter(pk=message_id).first()
        if message is None:
            raise DomainError(_("No such message in this campaign."))
        services.message_confirm_unknown(
            actor=request.user, message=message, received=request.POST.get("received") == "1"
        )

    return _act(request, campaign_id, confirm)


@login_required
def calls(request, campaign_id: int, call_form=None):
    """The call list: reserve a batch (no two callers phone the same person), record each outcome."""
    campaign = policy.get_editable_or_404(request.user, Campaign.objects.all(), pk=campaign_id)
    if request.method == "POST" and request.POST.get("reserve"):
        try:
            services.calls_reserve(
                actor=request.user, campaign=campaign, count=int_or_none(request.POST.get("count")) or 10
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("outreach:calls", campaign_id=campaign.pk)
    calls_ = selectors.call_list(campaign=campaign, caller=request.user)
    calls_["mine"] = list(calls_["mine"])
    # The numbers to dial are personal data: in full only for VIEW_PERSONAL, and that view is audited.
    see_personal = policy.can(request.user, policy.Capability.VIEW_PERSONAL)
    if see_personal and calls_["mine"]:
        audit_log(
            actor=request.user,
            action=AuditEntry.Action.VIEW_PERSONAL,
            target=campaign,
            note=f"call list ({len(calls_['mine'])} numbers)",
        )
    return render(
        request,
        "outreach/calls.html",
        {"campaign": campaign, "form": call_form or CallForm(), "see_personal": see_personal, **calls_},
        status=400 if call_form is not None else 200,
    )


@login_required
@require_POST
def call_record(request, campaign_id: int, message_id: int):
    campaign = policy.get_editable_or_404(request.user, Campaign.objects.all(), pk=campaign_id)
    message = campaign.messages.filter(pk=message_id).first()
    form = CallForm(request.POST)
    if message is not None and form.is_valid():
        try:
            services.call_record(actor=request.user, message=message, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("outreach:calls", campaign_id=campaign.pk)
    return calls(request, campaign_id, call_form=form)


@login_required
@require_POST
def response_add(request, campaign_id: int):
    campaign = policy.get_editable_or_404(request.user, Campaign.objects.all(), pk=campaign_id)
    enterprises = enterprise_selectors.enterprises_for_user(user=request.user)
    form = ResponseForm(request.POST, enterprises=enterprises)
    if form.is_valid():
        try:
            services.response_add(actor=request.user, campaign=campaign, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Response recorded."))
            return redirect("outreach:campaign", campaign_id=campaign.pk)
    return campaign_detail(request, campaign_id, response_form=form)


@login_required
@require_POST
def response_case(request, response_id: int):
    response = Response.objects.select_related("campaign").filter(pk=response_id).first()
    campaign = policy.get_editable_or_404(
        request.user, Campaign.objects.all(), pk=response.campaign_id if response else 0
    )
    form = CaseCategoryForm(request.POST)
    if form.is_valid():
        try:
            case = services.response_raise_case(actor=request.user, response=response, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            return redirect("cases:detail", case_id=case.pk)
    return redirect("outreach:campaign", campaign_id=campaign.pk)


@login_required
def notice(request, message_id: int):
    """An internal notice, opened by its recipient: the read receipt."""
    message = selectors.notice_get_for_user(user=request.user, message_id=message_id)
    message = services.notice_read(user=request.user, message=message)
    return render(request, "outreach/notice.html", {"message": message, "html": services.html_of(message.text)})
