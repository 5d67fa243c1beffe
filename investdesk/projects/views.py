"""Pages of the pipeline: board, list, project page, move dialog, close-to-signing, targets."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from investdesk.core import policy
from investdesk.core.errors import DomainError
from investdesk.core.exports import xlsx_export
from investdesk.core.forms import apply_domain_error
from investdesk.enterprises import importer as enterprise_importer
from investdesk.enterprises import selectors as enterprise_selectors
from investdesk.lib.money import format_cny
from investdesk.lib.paging import page_of
from investdesk.lib.params import int_or_none
from investdesk.projects import selectors, services
from investdesk.projects.forms import (
    EventForm,
    FollowUpForm,
    FundsForm,
    MoveForm,
    ParticipantsForm,
    PlanForm,
    PlanTargetsForm,
    ProjectFilterForm,
    ProjectForm,
    StatusForm,
    TargetForm,
)
from investdesk.projects.models import STAGE_ORDER, Stage

FIELDS = ["name", "investor", "industry", "amount", "currency", "fx_rate", "city", "owner", "leader", "method", "kind",
          "likelihood", "new_jobs", "expected_signing_on", "expected_start_on", "is_watched", "watch_reason", "event",
          "note"]  # fmt: skip


def _move_options(stage: str):
    """The stages a card of a column may move to, as <option>s: built once per column rather than
    for each of its cards (the board spent most of its time in the template)."""
    return format_html_join("", '<option value="{}">{}</option>', ((v, n) for v, n in Stage.choices if v != stage))


@login_required
def board(request):
    form = ProjectFilterForm(request.GET or None)
    columns = [
        {"column": column, "move_options": _move_options(column.stage)}
        for column in selectors.board(user=request.user, filters=form.filters())
    ]
    return render(request, "projects/board.html", {"columns": columns, "form": form, **_board_links(request)})


# Beyond any column's size (a province's 200,000 projects spread over seven stages); a larger number
# would not fit the database's OFFSET.
BOARD_MAX_OFFSET = 1_000_000


@login_required
def board_column(request, stage: str):
    """A column's 更多: its next cards (htmx), under the board's filters."""
    if stage not in STAGE_ORDER:
        raise Http404
    offset = int_or_none(request.GET.get("offset"))
    if offset is None or not 0 <= offset <= BOARD_MAX_OFFSET:
        return HttpResponseBadRequest(
            _("offset: enter a whole number from 0 to %(max)s.") % {"max": f"{BOARD_MAX_OFFSET:,}"}
        )
    form = ProjectFilterForm(request.GET or None)
    cards, more = selectors.board_cards(user=request.user, stage=stage, offset=offset, filters=form.filters())
    context = {"stage": stage, "cards": cards, "more": more, "offset": offset + len(cards),
               "move_options": _move_options(stage), **_board_links(request)}  # fmt: skip
    return render(request, "projects/board.html#cards", context)


def _board_links(request) -> dict:
    """The board's address with its filters: where a card's move returns, and what 更多 carries."""
    query = request.GET.copy()
    query.pop("offset", None)
    encoded = query.urlencode()
    return {"here": reverse("projects:board") + (f"?{encoded}" if encoded else ""), "filter_query": encoded}


@login_required
def project_list(request):
    form = ProjectFilterForm(request.GET or None)
    projects = selectors.projects_for_user(user=request.user, filters=form.filters())
    template = "projects/list.html#rows" if request.htmx else "projects/list.html"
    return render(request, template, {"form": form, "page": page_of(projects, request.GET.get("page"))})


@login_required
def export(request):
    form = ProjectFilterForm(request.GET or None)
    projects = selectors.projects_for_user(user=request.user, filters=form.filters())
    rows = [(p.name, p.investor.name, p.get_stage_display(), p.get_status_display(), p.city_name,
             p.industry.name if p.industry else "", format_cny(p.amount_cny), p.currency,
             format_cny(p.contract_amount_cny), p.expected_signing_on, p.signed_on, p.source_unit.name,
             p.owner_unit.name, p.owner.name if p.owner else "", "是" if p.is_watched else "")
            for p in projects.iterator()]  # fmt: skip
    headers = [_("Project name"), _("Investor"), _("Stage"), _("Status"), _("Landing city/prefecture"), _("Industry"),
               _("Investment amount"), _("Currency"), _("Contract amount (yuan)"), _("Expected signing date"),
               _("Signing date"), _("Source unit"), _("Owning unit"), _("Owner"), _("Watch list (重点盯)")]  # fmt: skip
    return xlsx_export(
        actor=request.user,
        title=_("Investment projects"),
        headers=headers,
        rows=rows,
        note="projects",
        widths=[30, 28, 10, 8, 10, 12, 12, 6, 14, 12, 12, 22, 22, 10, 8],
    )


@login_required
def project_form(request, project_id: int | None = None):
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    project = selectors.project_get_editable(user=request.user, project_id=project_id) if project_id else None
    investors = enterprise_selectors.enterprises_for_user(user=request.user).order_by("name_key")
    initial = {f: getattr(project, f) for f in [*FIELDS, "version"]} if project else {}
    plan_target = None
    if not project and (request.GET.get("plan_target") or request.POST.get("plan_target")):
        plan_target = _editable_plan_target(request, request.GET.get("plan_target") or request.POST["plan_target"])
        initial.update(
            investor=plan_target.enterprise_id, industry=plan_target.plan.industry_id, event=plan_target.plan.event_id
        )
    if not project and request.GET.get("investor"):
        initial["investor"] = request.GET["investor"]
    form = ProjectForm(
        request.POST or None, initial=initial, investors=investors, events=selectors.events_for_user(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = data.pop("version")
        data["fx_rate"] = data.get("fx_rate") or 1
        try:
            if project:
                project = services.project_update(actor=request.user, project=project, version=version, **data)
            else:
                project = services.project_create(actor=request.user, **data)
                if plan_target is not None:
                    services.plan_target_link_project(target=plan_target, project=project)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("projects:detail", project_id=project.pk)
    return render(
        request,
        "projects/form.html",
        {"form": form, "project": project, "plan_target": plan_target},
        status=400 if form.errors else 200,
    )


@login_required
def project_detail(request, project_id: int, **forms):
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            "events": project.events.select_related("actor"),
            "follow_ups": project.follow_ups.prefetch_related("participants"),
            "funds": project.funds.all(),
            "can_edit": policy.can_edit(request.user, project),
            "follow_up_form": forms.get("follow_up") or FollowUpForm(initial={"on": timezone.localdate()}),
            "funds_form": forms.get("funds") or FundsForm(initial={"on": timezone.localdate()}),
            "status_form": forms.get("status")
            or StatusForm(initial={"status": project.status, "version": project.version}),
            "stages": Stage.choices,
        },
        status=400 if forms else 200,
    )


@login_required
def move(request, project_id: int):
    """The move dialog (an htmx fragment on the board, a page without JavaScript)."""
    project = selectors.project_get_editable(user=request.user, project_id=project_id)
    to = request.POST.get("stage") or request.GET.get("to") or project.stage
    if to not in STAGE_ORDER:
        to = project.stage
    form = MoveForm(request.POST or None, initial={"stage": to, "version": project.version})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            services.project_move_stage(
                actor=request.user,
                project=project,
                to=data.pop("stage"),
                version=data.pop("version", None),
                reason=data.pop("reason", ""),
                **data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("%(name)s moved to %(stage)s.") % {"name": project.name, "stage": Stage(to).label}
            )
            return redirect(request.POST.get("next") or "projects:board")
    missing = services.missing_for(project, to)
    backwards = STAGE_ORDER.index(to) < project.stage_index
    template = "projects/move.html#dialog" if request.htmx else "projects/move.html"
    return render(
        request,
        template,
        {
            "project": project,
            "form": form,
            "to": to,
            "to_label": Stage(to).label,
            "missing": missing,
            "backwards": backwards,
            "next": request.GET.get("next") or request.POST.get("next", ""),
        },
        status=400 if form.errors else 200,
    )


def _project_form_post(request, project_id: int, form_class, service, name: str):
    """A form on the project page: apply it through `service`, or show the page again with its errors."""
    project = selectors.project_get_editable(user=request.user, project_id=project_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("projects:detail", project_id=project.pk)
    return project_detail(request, project_id, **{name: form})


@login_required
@require_POST
def set_status(request, project_id: int):
    return _project_form_post(request, project_id, StatusForm, services.project_set_status, "status")


@login_required
@require_POST
def add_follow_up(request, project_id: int):
    return _project_form_post(request, project_id, FollowUpForm, services.follow_up_add, "follow_up")


@login_required
@require_POST
def add_funds(request, project_id: int):
    return _project_form_post(request, project_id, FundsForm, services.funds_add, "funds")


@login_required
def closing(request):
    return render(request, "projects/closing.html", {"projects": selectors.close_to_signing(user=request.user)[:200]})


@login_required
def targets(request, target_form=None):
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
        as_of = (
            datetime.date.fromisoformat(request.GET["as_of"])
            if request.GET.get("as_of")
            else min(today, datetime.date(year, 12, 31))
        )
    except ValueError:
        year, as_of = today.year, today
    # 刷新 recomputes now; otherwise the figures may be FIGURES_MAX_AGE old (a project write drops
    # them, see selectors: the next view computes them).
    fresh = request.GET.get("refresh") or target_form is not None
    page = selectors.targets_page(user=request.user, year=year, as_of=as_of, max_age=0 if fresh else None)
    return render(
        request,
        "projects/targets.html",
        {
            "year": year,
            "as_of": as_of,
            "page": page,
            "rows": page.rows,
            "performance": page.performance,
            "elapsed": selectors.year_elapsed(year, as_of),
            "pipeline": page.pipeline,
            "schedule": page.schedule,
            "refresh_query": urlencode({"year": year, "as_of": as_of.isoformat(), "refresh": 1}),
            "target_form": target_form or TargetForm(),
            "may_set_targets": policy.can(request.user, policy.Capability.DISPATCH),
        },
        status=400 if target_form is not None else 200,
    )


@login_required
@require_POST
def target_set(request):
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    form = TargetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.target_set(
                actor=request.user,
                unit=data["unit"],
                year=year,
                signed_projects=data["signed_projects"],
                started_projects=data["started_projects"],
                signed_amount_cny=data["signed_amount_wan"] * 10000,
                funds_in_place_cny=data["funds_in_place_wan"] * 10000,
                q1_pct=data["q1_pct"],
                q2_pct=data["q2_pct"],
                q3_pct=data["q3_pct"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Target saved."))
            return redirect(f"{reverse('projects:targets')}?year={year}")
    return targets(request, target_form=form)


# --- promotion events -----------------------------------------------------------------------------


@login_required
def event_list(request):
    return render(
        request,
        "projects/events.html",
        {
            "events": selectors.events_for_user(user=request.user),
            "can_edit": policy.can(request.user, policy.Capability.EDIT_RECORDS),
        },
    )


@login_required
def event_create(request):
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = services.event_create(actor=request.user, **{**data, "industries": list(data["industries"])})
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("projects:event", event_id=event.pk)
    return render(request, "projects/event_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def event_detail(request, event_id: int):
    event = selectors.event_get_for_user(user=request.user, event_id=event_id)
    form = ParticipantsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        policy.get_editable_or_404(request.user, type(event).objects.all(), pk=event.pk)
        upload = form.cleaned_data["file"]
        try:
            enterprises = enterprise_importer.enterprises_from_list(
                actor=request.user, filename=upload.name, content=upload.read()
            )
            services.event_add_participants(actor=request.user, event=event, enterprises=enterprises)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("projects:event", event_id=event.pk)
    return render(
        request,
        "projects/event_detail.html",
        {
            "event": event,
            "figures": selectors.event_figures(event=event),
            "form": form,
            "participants": event.participants.order_by("name_key")[:200],
            "projects": selectors.projects_for_user(user=request.user).filter(event=event),
            "can_edit": policy.can_edit(request.user, event),
        },
        status=400 if form.errors else 200,
    )


# --- promotion plans ------------------------------------------------------------------------------


def _editable_plan_target(request, target_id):
    from investdesk.projects.models import PlanTarget

    target = PlanTarget.objects.select_related("plan", "enterprise").filter(pk=int_or_none(target_id) or 0).first()
    if target is None:
        raise Http404
    policy.get_editable_or_404(request.user, type(target.plan).objects.all(), pk=target.plan_id)
    return target


@login_required
def plan_list(request):
    return render(
        request,
        "projects/plans.html",
        {
            "plans": selectors.plans_for_user(user=request.user),
            "can_edit": policy.can(request.user, policy.Capability.EDIT_RECORDS),
        },
    )


@login_required
def plan_create(request):
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    form = PlanForm(request.POST or None, events=selectors.events_for_user(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("projects:plan", plan_id=plan.pk)
    return render(request, "projects/plan_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def plan_detail(request, plan_id: int):
    from investdesk.projects.models import PlanTarget

    plan = selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
    form = PlanTargetsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        policy.get_editable_or_404(request.user, type(plan).objects.all(), pk=plan.pk)
        data = form.cleaned_data
        try:
            enterprises = []
            if data.get("file"):
                enterprises = enterprise_importer.enterprises_from_list(
                    actor=request.user, filename=data["file"].name, content=data["file"].read()
                )
            services.plan_add_targets(
                actor=request.user, plan=plan, enterprises=enterprises, prospects=data["prospects"].splitlines()
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("projects:plan", plan_id=plan.pk)
    return render(
        request,
        "projects/plan_detail.html",
        {
            "plan": plan,
            "form": form,
            "conversion": selectors.plan_conversion(plan=plan),
            "targets": plan.targets.select_related("enterprise", "owner", "project"),
            "statuses": PlanTarget.Status.choices,
            "can_edit": policy.can_edit(request.user, plan),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def plan_target_update(request, target_id: int):
    target = _editable_plan_target(request, target_id)
    try:
        services.plan_target_update(
            actor=request.user, target=target, status=request.POST.get("status", ""), note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("projects:plan", plan_id=target.plan_id)
