"""Every write to the pipeline. Stage moves go through `project_move_stage`, which asks for what the
target stage needs and refuses a backward move without a reason; each move is an immutable event."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from investdesk.core import policy
from investdesk.core.audit import audit_log, diff, snapshot
from investdesk.core.errors import DomainError
from investdesk.core.models import AuditEntry, Unit
from investdesk.core.services import notify, record_share
from investdesk.core.versioning import full_clean, lock_for_update
from investdesk.lib.chinese_text import search_key
from investdesk.lib.money import to_cny
from investdesk.projects.models import STAGE_ORDER, FollowUp, FundsInPlace, Project, ProjectEvent, Stage, Target

# What each stage needs, cumulatively: entering 已签约 needs everything 在谈 and 拟签约 need too.
STAGE_NEEDS = {
    Stage.NEGOTIATING: ["owner"],
    Stage.ABOUT_TO_SIGN: ["expected_signing_on", "amount"],
    Stage.SIGNED: ["signed_on", "contract_amount_cny"],
    Stage.STARTED: ["started_on"],
    Stage.PRODUCING: ["producing_on"],
}
PROJECT_FIELDS = {
    "name", "investor", "industry", "amount", "currency", "fx_rate", "city", "owner", "leader", "method", "kind",
    "likelihood", "new_jobs", "expected_signing_on", "expected_start_on", "signed_on", "contract_amount_cny",
    "started_on", "producing_on", "is_watched", "watch_reason", "is_confidential", "note", "event",
}  # fmt: skip


def required_for(stage: str) -> list[str]:
    fields: list[str] = []
    for name in STAGE_ORDER[: STAGE_ORDER.index(stage) + 1]:
        fields.extend(STAGE_NEEDS.get(name, []))
    return fields


def missing_for(project: Project, stage: str) -> list[str]:
    return [f for f in required_for(stage) if getattr(project, f) in (None, "")]


def _require_editor(actor) -> None:
    if not policy.can(actor, policy.Capability.EDIT_RECORDS):
        raise DomainError(_("Your role may read records but not change them."))


def _clean(project: Project) -> None:
    project.name = (project.name or "").strip()
    if not project.name:
        raise DomainError(_("Name the project."), field="name")
    if project.currency == "CNY":
        project.fx_rate = Decimal(1)
    elif not project.fx_rate or project.fx_rate <= 0:
        raise DomainError(_("Record the exchange rate used (yuan per unit of the currency)."), field="fx_rate")
    project.amount_cny = to_cny(project.amount, project.fx_rate) if project.amount is not None else None
    if project.amount is not None and project.amount < 0:
        raise DomainError(_("The amount cannot be negative."), field="amount")
    if project.is_watched and not (project.watch_reason or "").strip():
        raise DomainError(_("Say why the project is on the watch list."), field="watch_reason")
    if project.signed_on and project.started_on and project.started_on < project.signed_on:
        raise DomainError(_("A project cannot start before it is signed."), field="started_on")
    project.search_text = search_key(project.name, project.investor.name if project.investor_id else "")
    full_clean(project, exclude=["search_text", "amount_cny"])


def _event(project: Project, *, actor, kind: str, from_value: str, to_value: str, note: str = "", on=None):
    ProjectEvent(
        project=project,
        actor=actor,
        kind=kind,
        from_value=from_value,
        to_value=to_value,
        note=note,
        on=on or timezone.localdate(),
    ).save(force_insert=True)


@transaction.atomic
def project_create(*, actor, source_unit: Unit | None = None, owner_unit: Unit | None = None, **fields) -> Project:
    _require_editor(actor)
    unknown = set(fields) - PROJECT_FIELDS - {"stage"}
    if unknown:
        raise TypeError(f"project_create does not take {sorted(unknown)}")
    stage = fields.pop("stage", Stage.LEAD)
    owner_unit = owner_unit or actor.unit
    if not policy.can(actor, policy.Capability.SEE_EVERYTHING) and not owner_unit.path.startswith(actor.unit.path):
        raise DomainError(_("You can only file records under your own unit or its sub-units."), field="owner_unit")
    project = Project(owner_unit=owner_unit, source_unit=source_unit or actor.unit, stage=stage, **fields)
    _clean(project)
    missing = missing_for(project, stage)
    if missing:
        raise DomainError(
            _("A project at this stage needs: %(fields)s.") % {"fields": _labels(missing)}, field=missing[0]
        )
    project.save()
    if not project.source_unit.path.startswith(owner_unit.path):
        record_share(actor=actor, record=project, unit=project.source_unit, can_edit=True)
    _event(project, actor=actor, kind="created", from_value="", to_value=stage)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=project, changes=diff({}, snapshot(project)))
    return project


def _labels(fields: list[str]) -> str:
    return "、".join(str(Project._meta.get_field(f).verbose_name) for f in fields)


@transaction.atomic
def project_update(*, actor, project: Project, version: int | None, **fields) -> Project:
    _require_editor(actor)
    unknown = set(fields) - PROJECT_FIELDS
    if unknown:
        raise TypeError(f"project_update does not take {sorted(unknown)}")
    project = lock_for_update(Project, project.pk, version)
    before = snapshot(project)
    for key, value in fields.items():
        setattr(project, key, value)
    _clean(project)
    missing = missing_for(project, project.stage)
    if missing:
        raise DomainError(
            _("A project at this stage needs: %(fields)s.") % {"fields": _labels(missing)}, field=missing[0]
        )
    changes = diff(before, snapshot(project))
    if changes:
        project.version += 1
        project.updated_at = timezone.now()
        project.save()
        audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=project, changes=changes)
    return project


@transaction.atomic
def project_move_stage(*, actor, project: Project, to: str, version: int | None, reason: str = "", **fields) -> Project:
    """Move to another stage, filling what it needs; backwards needs a reason."""
    _require_editor(actor)
    if to not in STAGE_ORDER:
        raise DomainError(_("Unknown stage."), field="stage")
    project = lock_for_update(Project, project.pk, version)
    if project.status in (Project.Status.LOST, Project.Status.DROPPED):
        raise DomainError(_("A lost or dropped project does not move; set it ongoing first."), field="stage")
    if to == project.stage:
        raise DomainError(_("The project is at this stage already."), field="stage")
    backwards = STAGE_ORDER.index(to) < project.stage_index
    if backwards and not (reason or "").strip():
        raise DomainError(_("Moving a project back a stage needs a reason."), field="reason")
    before = snapshot(project)
    for key, value in fields.items():
        if key not in PROJECT_FIELDS:
            raise TypeError(f"project_move_stage does not take {key!r}")
        if value not in (None, ""):
            setattr(project, key, value)
    missing = missing_for(project, to)
    if missing:
        raise DomainError(
            _("To move to this stage, fill in: %(fields)s.") % {"fields": _labels(missing)}, field=missing[0]
        )
    from_stage, project.stage = project.stage, to
    _clean(project)
    project.version += 1
    project.updated_at = timezone.now()
    project.save()
    on = project.signed_on if to == Stage.SIGNED else project.started_on if to == Stage.STARTED else None
    _event(project, actor=actor, kind="stage", from_value=from_stage, to_value=to, note=(reason or "").strip(), on=on)
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=project, changes=diff(before, snapshot(project)))
    return project


@transaction.atomic
def project_set_status(
    *, actor, project: Project, status: str, version: int | None, reason: str = "", lost_to: str = ""
) -> Project:
    _require_editor(actor)
    if status not in Project.Status.values:
        raise DomainError(_("Unknown status."), field="status")
    project = lock_for_update(Project, project.pk, version)
    if status != Project.Status.ONGOING and not (reason or "").strip():
        raise DomainError(_("Give the reason for this status."), field="reason")
    before = snapshot(project)
    from_status = project.status
    project.status, project.status_reason = status, (reason or "").strip()[:200]
    project.lost_to = (lost_to or "").strip()[:60] if status == Project.Status.LOST else ""
    project.version += 1
    project.updated_at = timezone.now()
    project.save()
    _event(project, actor=actor, kind="status", from_value=from_status, to_value=status, note=project.status_reason)
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=project, changes=diff(before, snapshot(project)))
    return project


@transaction.atomic
def follow_up_add(
    *,
    actor,
    project: Project,
    on: datetime.date,
    mode: str,
    summary: str,
    participants=(),
    next_step: str = "",
    next_step_on: datetime.date | None = None,
) -> FollowUp:
    _require_editor(actor)
    if on > timezone.localdate():
        raise DomainError(_("A follow-up cannot be in the future; plan it as the next step."), field="on")
    if next_step_on and next_step_on < on:
        raise DomainError(_("The next step cannot be due before the follow-up."), field="next_step_on")
    if next_step_on and not (next_step or "").strip():
        raise DomainError(_("Say what the next step is."), field="next_step")
    follow_up = FollowUp(
        project=project,
        on=on,
        mode=mode,
        summary=(summary or "").strip(),
        next_step=(next_step or "").strip(),
        next_step_on=next_step_on,
        created_by=actor,
    )
    full_clean(follow_up)
    follow_up.save()
    follow_up.participants.set(participants or [actor])
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=follow_up, note=str(project))
    return follow_up


@transaction.atomic
def funds_add(*, actor, project: Project, on: datetime.date, amount_cny: Decimal, note: str = "") -> FundsInPlace:
    _require_editor(actor)
    if project.stage_index < STAGE_ORDER.index(Stage.SIGNED):
        raise DomainError(_("Funds arrive after signing: move the project to 已签约 first."), field="amount_cny")
    if amount_cny is None or amount_cny <= 0:
        raise DomainError(_("Enter an amount above zero."), field="amount_cny")
    funds = FundsInPlace(project=project, on=on, amount_cny=amount_cny, note=note)
    full_clean(funds)
    funds.save()
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=funds, note=str(project))
    return funds


@transaction.atomic
def target_set(*, actor, unit: Unit, year: int, **goals) -> Target:
    if not (policy.can(actor, policy.Capability.SEE_EVERYTHING) or policy.can(actor, policy.Capability.DISPATCH)):
        raise DomainError(_("Only bureau leaders and the planning staff set targets."))
    target, _created = Target.objects.get_or_create(unit=unit, year=year)
    before = snapshot(target)
    for key, value in goals.items():
        setattr(target, key, value)
    full_clean(target)
    target.version += 1
    target.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=target, changes=diff(before, snapshot(target)))
    return target


# --- reminders ------------------------------------------------------------------------------------


def projects_remind(*, today: datetime.date | None = None, quiet_days: int = 30) -> int:
    """Remind owners of next steps that fall due and of projects without a follow-up for `quiet_days`.
    Each reminder is sent once (the notification key names the step or the quiet period)."""
    today = today or timezone.localdate()
    sent = 0
    due = FollowUp.objects.filter(next_step_on__lte=today, project__status=Project.Status.ONGOING).select_related(
        "project__owner"
    )
    for follow_up in due:
        project = follow_up.project
        sent += notify(
            users=[project.owner],
            key=f"project-step:{follow_up.pk}",
            text=_("Project %(name)s: next step due %(date)s — %(step)s")
            % {"name": project.name, "date": follow_up.next_step_on, "step": follow_up.next_step},
            url=f"/projects/{project.pk}/",
        )
    cutoff = today - datetime.timedelta(days=quiet_days)
    quiet = Project.objects.filter(
        status=Project.Status.ONGOING, owner__isnull=False, stage__in=STAGE_ORDER[:5]
    ).exclude(follow_ups__on__gt=cutoff)
    for project in quiet.select_related("owner"):
        sent += notify(
            users=[project.owner],
            key=f"project-quiet:{project.pk}:{cutoff:%Y%m}",
            text=_("Project %(name)s has had no follow-up for %(days)d days.")
            % {"name": project.name, "days": quiet_days},
            url=f"/projects/{project.pk}/",
        )
    return sent


# --- promotion events -----------------------------------------------------------------------------


@transaction.atomic
def event_create(
    *,
    actor,
    name: str,
    kind: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    place: str,
    organiser: Unit | None = None,
    industries=(),
    status: str = "planning",
    note: str = "",
):
    from investdesk.projects.models import PromotionEvent

    _require_editor(actor)
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError(_("The event cannot end before it starts."), field="ends_on")
    event = PromotionEvent(
        name=(name or "").strip(),
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        place=(place or "").strip(),
        organiser=organiser or actor.unit,
        status=status,
        note=note,
    )
    full_clean(event)
    event.save()
    event.industries.set(industries)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=event, changes=diff({}, snapshot(event)))
    return event


@transaction.atomic
def event_add_participants(*, actor, event, enterprises) -> int:
    from investdesk.enterprises.services import enterprises_attach

    return enterprises_attach(actor=actor, record=event, relation="participants", enterprises=enterprises)


# --- promotion plans ------------------------------------------------------------------------------


@transaction.atomic
def plan_create(*, actor, name: str, industry=None, event=None, description: str = ""):
    from investdesk.projects.models import PromotionPlan

    _require_editor(actor)
    plan = PromotionPlan(
        name=(name or "").strip(), industry=industry, event=event, owner_unit=actor.unit, description=description
    )
    full_clean(plan)
    plan.save()
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=plan, changes=diff({}, snapshot(plan)))
    return plan


@transaction.atomic
def plan_add_targets(*, actor, plan, enterprises=(), prospects: list[str] = ()) -> int:
    """Add investors from the registry, and new prospective investors by name (created on the fly)."""
    from investdesk.enterprises import services as enterprise_services
    from investdesk.enterprises.models import Enterprise
    from investdesk.projects.models import PlanTarget

    _require_editor(actor)
    chosen = list(enterprises)
    for name in prospects:
        if name and name.strip():
            chosen.append(
                enterprise_services.enterprise_create(
                    actor=actor, name=name.strip(), status=Enterprise.Status.PROSPECTIVE, industry=plan.industry
                )
            )
    added = 0
    for enterprise in chosen:
        _target, created = PlanTarget.objects.get_or_create(plan=plan, enterprise=enterprise, defaults={"owner": actor})
        added += created
    if added:
        audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=plan, note=f"added {added} targets")
    return added


@transaction.atomic
def plan_target_update(*, actor, target, status: str, owner=None, note: str = ""):
    from investdesk.projects.models import PlanTarget

    _require_editor(actor)
    if status not in PlanTarget.Status.values:
        raise DomainError(_("Unknown status."), field="status")
    if status == PlanTarget.Status.PROJECT_CREATED and target.project_id is None:
        raise DomainError(_("Create the project from the plan; the status follows."), field="status")
    before = snapshot(target)
    target.status, target.note = status, (note or "").strip()[:200]
    if owner is not None:
        target.owner = owner
    target.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=target, changes=diff(before, snapshot(target)))
    return target


def plan_target_link_project(*, target, project) -> None:
    """A project created from a plan's target keeps the link, and the target counts as converted."""
    from investdesk.projects.models import PlanTarget

    target.project = project
    target.status = PlanTarget.Status.PROJECT_CREATED
    target.save(update_fields=["project", "status"])
