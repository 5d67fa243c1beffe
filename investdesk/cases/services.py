"""Every write to cases. `case_act` is the one entry point for transitions: it checks the action is
allowed from the case's status and for the actor, applies it, and writes an immutable CaseEvent and
an audit row in the same transaction."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from investdesk.cases.models import (
    ACTION_LABELS,
    Assignment,
    Case,
    CaseAttachment,
    CaseCategory,
    CaseEvent,
    Extension,
    ThankYouLetter,
)
from investdesk.core import policy
from investdesk.core.audit import audit_log, diff, snapshot
from investdesk.core.errors import ConflictError, DomainError
from investdesk.core.models import AuditEntry, RecordShare, Role, Unit, User
from investdesk.core.services import notify, record_share
from investdesk.core.versioning import check_upload, full_clean
from investdesk.enterprises.models import Enterprise, Visit, VisitProblem
from investdesk.lib.workdays import add_workdays, workdays_between

S = Case.Status


def _today() -> datetime.date:
    return timezone.localdate()


def _event(case: Case, *, actor, action: str, from_status: str, note: str = "", data: dict | None = None, at=None):
    CaseEvent(
        case=case,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=case.status,
        note=note,
        data=data or {},
        at=at or timezone.now(),
    ).save(force_insert=True)


def _case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def _unit_members(unit: Unit | None, roles=None) -> list[User]:
    if unit is None:
        return []
    qs = User.objects.filter(is_active=True, unit__path__startswith=unit.path)
    if roles:
        qs = qs.filter(role__in=roles)
    return list(qs)


def _dispatchers() -> list[User]:
    return list(User.objects.filter(is_active=True, role=Role.DISPATCHER))


# --- registration -------------------------------------------------------------------------------


def _next_number(year: int) -> str:
    prefix = f"SQ{year}"
    last = Case.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:05d}"


@transaction.atomic
def case_register(
    *,
    actor,
    enterprise: Enterprise,
    title: str,
    description: str,
    category: CaseCategory,
    source: str = Case.Source.VISIT,
    urgency: str = Case.Urgency.NORMAL,
    visit: Visit | None = None,
    problem: VisitProblem | None = None,
    registered_at: datetime.datetime | None = None,
) -> Case:
    """受理: register a problem as a case. From a visit's problem, the enterprise and visit follow it.
    `registered_at` enters a case received earlier (a letter of last week); it cannot be in the future."""
    if not policy.can(actor, policy.Capability.EDIT_RECORDS):
        raise DomainError(_("Your role may read records but not change them."))
    if problem is not None:
        if hasattr(problem, "case") and problem.case is not None:
            raise DomainError(
                _("This problem is already case %(number)s.") % {"number": problem.case.number}, field="problem"
            )
        visit = problem.visit
        enterprise = visit.enterprise
        description = description or problem.description
        title = title or problem.description[:60]
    if visit is not None and visit.enterprise_id != enterprise.pk:
        raise DomainError(_("The visit is not a visit of this enterprise."), field="visit")
    if enterprise.merged_into_id:
        raise DomainError(_("This enterprise was merged into another record."), field="enterprise")
    now = timezone.now()
    if registered_at is not None and registered_at > now:
        raise DomainError(_("A case cannot be registered in the future."), field="registered_at")
    case = Case(
        registered_at=registered_at or now,
        enterprise=enterprise,
        title=(title or "").strip(),
        description=(description or "").strip(),
        category=category,
        source=source,
        urgency=urgency,
        visit=visit,
        problem=problem,
        owner_unit=actor.unit,
        created_by=actor,
    )
    full_clean(case, exclude=["number"])
    for attempt in range(5):
        case.number = _next_number(timezone.localtime(case.registered_at).year)
        try:
            with transaction.atomic():
                case.save()
            break
        except IntegrityError:
            if attempt == 4:
                raise
    _event(case, actor=actor, action="register", from_status="")
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=case, changes=diff({}, snapshot(case)))
    notify(
        users=_dispatchers(),
        key=f"case-registered:{case.pk}",
        text=_("New case %(number)s to assign: %(title)s") % {"number": case.number, "title": case.title},
        url=_case_url(case),
    )
    return case


# --- who may act --------------------------------------------------------------------------------


def _in_unit(actor, unit: Unit | None) -> bool:
    return unit is not None and actor.unit_id is not None and actor.unit.path.startswith(unit.path)


def is_dispatcher(actor, case: Case) -> bool:
    return policy.can(actor, policy.Capability.DISPATCH)


def is_lead(actor, case: Case) -> bool:
    return policy.can(actor, policy.Capability.SEE_EVERYTHING) or (
        policy.can(actor, policy.Capability.EDIT_RECORDS) and _in_unit(actor, case.lead_unit)
    )


def is_party(actor, case: Case) -> bool:
    if is_lead(actor, case):
        return True
    return policy.can(actor, policy.Capability.EDIT_RECORDS) and any(
        _in_unit(actor, a.unit) for a in case.assignments.filter(is_active=True, role=Assignment.Role.CO)
    )


def is_owner_or_dispatcher(actor, case: Case) -> bool:
    return is_dispatcher(actor, case) or (
        policy.can(actor, policy.Capability.EDIT_RECORDS) and _in_unit(actor, case.owner_unit)
    )


def is_owner_lead_or_dispatcher(actor, case: Case) -> bool:
    return is_owner_or_dispatcher(actor, case) or is_lead(actor, case)


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    from_statuses: tuple[str, ...]
    may: Callable
    apply: Callable
    # Whether the action makes sense for this case now (offered in the UI); `apply` still checks.
    when: Callable = lambda case: True


def _pending_extension(case: Case) -> bool:
    return case.extensions.filter(status=Extension.Status.PENDING).exists()


def _may_ask_extension(case: Case) -> bool:
    return not _pending_extension(case) and (case.due_on is None or _today() <= case.due_on)


def _may_return(case: Case) -> bool:
    return (
        case.assigned_at is not None
        and workdays_between(timezone.localtime(case.assigned_at).date(), _today()) <= settings.CASE_RETURN_WORKDAYS
    )


def _has_co_parties(case: Case) -> bool:
    return case.assignments.filter(is_active=True, role=Assignment.Role.CO).exists()


# --- the actions --------------------------------------------------------------------------------


def _require(value, field: str, message: str):
    if value in (None, "", []) or (isinstance(value, str) and not value.strip()):
        raise DomainError(message, field=field)
    return value.strip() if isinstance(value, str) else value


def _assign(case: Case, actor, data: dict) -> str:
    lead_unit = _require(data.get("lead_unit"), "lead_unit", _("Choose the lead unit."))
    handler = data.get("lead_handler")
    if handler is not None and not _in_unit(handler, lead_unit):
        raise DomainError(_("The handler must belong to the lead unit."), field="lead_handler")
    co_units = [u for u in data.get("co_units") or [] if u.pk != lead_unit.pk]
    outside = [b.strip() for b in data.get("outside_bodies") or [] if b and b.strip()]
    if data.get("urgency") in Case.Urgency.values:
        case.urgency = data["urgency"]
    today = _today()
    case.assignments.filter(is_active=True).update(is_active=False)
    case.lead_unit, case.lead_handler, case.assigned_at = lead_unit, handler, timezone.now()
    counting = {"count_start_day": settings.CASE_COUNT_ASSIGNMENT_DAY}
    case.due_on = add_workdays(today, settings.CASE_DEADLINE_WORKDAYS[case.urgency], **counting)
    co_due = add_workdays(today, settings.CASE_CO_HANDLING_WORKDAYS, **counting)
    Assignment.objects.create(case=case, role=Assignment.Role.LEAD, unit=lead_unit, handler=handler, due_on=case.due_on)
    for unit in co_units:
        Assignment.objects.create(case=case, role=Assignment.Role.CO, unit=unit, due_on=co_due)
    for body in outside:
        Assignment.objects.create(case=case, role=Assignment.Role.CO, outside_body=body[:100], due_on=co_due)
    for unit in [lead_unit, *co_units]:
        record_share(actor=actor, record=case, unit=unit, can_edit=True)
    text = _("Case %(number)s assigned to your unit: %(title)s") % {"number": case.number, "title": case.title}
    notify(
        users=[handler] if handler else _unit_members(lead_unit),
        key=f"case-assigned:{case.pk}:{lead_unit.pk}:{case.assigned_at:%Y%m%d%H%M%S}",
        text=text,
        url=_case_url(case),
    )
    for unit in co_units:
        notify(
            users=_unit_members(unit),
            key=f"case-co:{case.pk}:{unit.pk}:{case.assigned_at:%Y%m%d%H%M%S}",
            text=_("Case %(number)s: your unit is asked to help the lead unit.") % {"number": case.number},
            url=_case_url(case),
        )
    return S.ASSIGNED


def _accept(case: Case, actor, data: dict) -> str:
    if case.lead_handler_id is None:
        case.lead_handler = actor
        Assignment.objects.filter(case=case, role=Assignment.Role.LEAD, is_active=True).update(handler=actor)
    case.waiting_on = Case.WaitingOn.OUR_UNIT
    return S.IN_PROGRESS


def _return(case: Case, actor, data: dict) -> str:
    _require(data.get("note"), "note", _("Say why your unit does not own this case."))
    limit = settings.CASE_RETURN_WORKDAYS
    if workdays_between(timezone.localtime(case.assigned_at).date(), _today()) > limit:
        raise DomainError(
            _("A case can be returned only within %(n)d working day(s) of its assignment.") % {"n": limit},
            field="action",
        )
    returned_unit = case.lead_unit
    case.assignments.filter(is_active=True).update(is_active=False)
    RecordShare.objects.filter(object_id=case.pk, unit=returned_unit, content_type__model="case").delete()
    case.lead_unit = case.lead_handler = case.due_on = None
    notify(
        users=_dispatchers(),
        key=f"case-returned:{case.pk}:{timezone.now():%Y%m%d%H%M%S}",
        text=_("Case %(number)s was returned by %(unit)s.") % {"number": case.number, "unit": returned_unit},
        url=_case_url(case),
    )
    return S.REGISTERED


def _progress(case: Case, actor, data: dict) -> str:
    _require(data.get("note"), "note", _("Describe the progress."))
    rating = data.get("rating") or ""
    if rating not in Case.Rating.values:
        raise DomainError(_("Rate the progress: on track, at risk or delayed."), field="rating")
    waiting_on = data.get("waiting_on", case.waiting_on)
    if waiting_on not in Case.WaitingOn.values:
        raise DomainError(_("Unknown “waiting on” value."), field="waiting_on")
    case.rating, case.waiting_on = rating, waiting_on
    case.next_step = (data.get("next_step") or "").strip()[:200]
    return case.status


def _co_reply(case: Case, actor, data: dict) -> str:
    assignment = data.get("assignment")
    reply = _require(data.get("note"), "note", _("Write the reply."))
    if assignment is None or assignment.case_id != case.pk or assignment.role != Assignment.Role.CO:
        raise DomainError(_("Choose the co-handling party that replies."), field="assignment")
    # A co-handling unit replies for itself; the lead unit records the part of an outside body.
    own = assignment.unit_id and _in_unit(actor, assignment.unit)
    if not own and not (assignment.unit_id is None and is_lead(actor, case)):
        raise DomainError(_("Only that unit can reply for itself."), field="assignment")
    assignment.reply, assignment.replied_at = reply, timezone.now()
    assignment.handler = assignment.handler or (actor if own else None)
    assignment.save(update_fields=["reply", "replied_at", "handler"])
    notify(
        users=[case.lead_handler] if case.lead_handler else _unit_members(case.lead_unit),
        key=f"case-co-reply:{assignment.pk}:{assignment.replied_at:%Y%m%d%H%M%S}",
        text=_("Case %(number)s: %(party)s replied.") % {"number": case.number, "party": assignment.party},
        url=_case_url(case),
    )
    return case.status


def _request_extension(case: Case, actor, data: dict) -> str:
    new_due = _require(data.get("new_due_on"), "new_due_on", _("Choose the new due date."))
    _require(data.get("note"), "note", _("Say why more time is needed."))
    if case.due_on and _today() > case.due_on:
        raise DomainError(_("An extension must be asked for before the deadline."), field="new_due_on")
    if case.due_on and new_due <= case.due_on:
        raise DomainError(_("The new due date must be later than the current one."), field="new_due_on")
    if case.extensions.filter(status=Extension.Status.PENDING).exists():
        raise DomainError(_("An extension request is already waiting for a decision."), field="action")
    Extension.objects.create(case=case, requested_by=actor, new_due_on=new_due, reason=data["note"].strip())
    notify(
        users=_dispatchers(),
        key=f"case-extension:{case.pk}:{new_due}",
        text=_("Case %(number)s: extension asked to %(date)s.") % {"number": case.number, "date": new_due},
        url=_case_url(case),
    )
    return case.status


def _decide_extension(approve: bool):
    def apply(case: Case, actor, data: dict) -> str:
        extension = case.extensions.filter(status=Extension.Status.PENDING).first()
        if extension is None:
            raise DomainError(_("No extension request is waiting."), field="action")
        extension.status = Extension.Status.APPROVED if approve else Extension.Status.REFUSED
        extension.decided_by, extension.decided_at = actor, timezone.now()
        extension.save()
        if approve:
            data["old_due_on"], case.due_on = str(case.due_on), extension.new_due_on
            case.is_supervised = False if extension.new_due_on >= _today() else case.is_supervised
            Assignment.objects.filter(case=case, role=Assignment.Role.LEAD, is_active=True).update(
                due_on=extension.new_due_on
            )
        notify(
            users=[extension.requested_by],
            key=f"case-extension-decided:{extension.pk}",
            text=(_("Case %(number)s: extension approved.") if approve else _("Case %(number)s: extension refused."))
            % {"number": case.number},
            url=_case_url(case),
        )
        return case.status

    return apply


def _resolve(case: Case, actor, data: dict) -> str:
    case.resolution = _require(
        data.get("resolution") or data.get("note"), "resolution", _("Describe how the problem was solved.")
    )
    case.resolved_at = timezone.now()
    case.resolved_on_time = case.due_on is None or _today() <= case.due_on
    case.waiting_on = ""
    return S.RESOLVED


def _follow_up(case: Case, actor, data: dict) -> str:
    satisfaction = data.get("satisfaction")
    if satisfaction not in Case.Satisfaction.values:
        raise DomainError(_("Record the enterprise's satisfaction."), field="satisfaction")
    case.satisfaction = satisfaction
    case.follow_up_comment = (data.get("note") or "").strip()
    if satisfaction == Case.Satisfaction.DISSATISFIED:
        # Dissatisfied: the case goes back to the lead unit.
        case.reopen_count += 1
        case.resolved_at, case.resolved_on_time = None, None
        data["reopened"] = True
        notify(
            users=[case.lead_handler] if case.lead_handler else _unit_members(case.lead_unit),
            key=f"case-reopened:{case.pk}:{case.reopen_count}",
            text=_("Case %(number)s reopened: the enterprise is dissatisfied.") % {"number": case.number},
            url=_case_url(case),
        )
        return S.IN_PROGRESS
    return S.FOLLOWED_UP


def _close(case: Case, actor, data: dict) -> str:
    case.closed_at = timezone.now()
    return S.CLOSED


def _supervise(case: Case, actor, data: dict) -> str:
    if case.is_supervised:
        raise DomainError(_("The case is already under supervision."), field="action")
    _require(data.get("note"), "note", _("Say why the case goes under supervision."))
    case.is_supervised = True
    return case.status


OPEN = (S.REGISTERED, S.ASSIGNED, S.IN_PROGRESS)
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("assign", ACTION_LABELS["assign"], (S.REGISTERED,), is_dispatcher, _assign),
        Action("reassign", ACTION_LABELS["reassign"], (S.ASSIGNED, S.IN_PROGRESS), is_dispatcher, _assign),
        Action("accept", ACTION_LABELS["accept"], (S.ASSIGNED,), is_lead, _accept),
        Action("return", ACTION_LABELS["return"], (S.ASSIGNED,), is_lead, _return, _may_return),
        Action("progress", ACTION_LABELS["progress"], (S.IN_PROGRESS,), is_party, _progress),
        Action(
            "co_reply", ACTION_LABELS["co_reply"], (S.ASSIGNED, S.IN_PROGRESS), is_party, _co_reply, _has_co_parties
        ),
        Action(
            "request_extension",
            ACTION_LABELS["request_extension"],
            (S.ASSIGNED, S.IN_PROGRESS),
            is_lead,
            _request_extension,
            _may_ask_extension,
        ),
        Action(
            "approve_extension",
            ACTION_LABELS["approve_extension"],
            (S.ASSIGNED, S.IN_PROGRESS),
            is_dispatcher,
            _decide_extension(True),
            _pending_extension,
        ),
        Action(
            "refuse_extension",
            ACTION_LABELS["refuse_extension"],
            (S.ASSIGNED, S.IN_PROGRESS),
            is_dispatcher,
            _decide_extension(False),
            _pending_extension,
        ),
        Action("resolve", ACTION_LABELS["resolve"], (S.IN_PROGRESS,), is_lead, _resolve),
        Action("follow_up", ACTION_LABELS["follow_up"], (S.RESOLVED,), is_owner_lead_or_dispatcher, _follow_up),
        Action("close", ACTION_LABELS["close"], (S.FOLLOWED_UP,), is_owner_or_dispatcher, _close),
        Action(
            "supervise",
            ACTION_LABELS["supervise"],
            OPEN,
            is_dispatcher,
            _supervise,
            lambda case: not case.is_supervised,
        ),
    ]
}


def actions_for(*, actor, case: Case) -> list[Action]:
    """The actions the actor may take on the case now (the UI offers exactly these)."""
    return [a for a in ACTIONS.values() if case.status in a.from_statuses and a.may(actor, case) and a.when(case)]


@transaction.atomic
def case_act(*, actor, case: Case, action: str, version: int | None, note: str = "", **data) -> Case:
    """Apply one action to a case. Refuses an unknown action, a wrong status, a role that may not
    take it, or a stale version; writes the CaseEvent and the audit row."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise DomainError(_("Unknown action “%(action)s”.") % {"action": action}, field="action")
    locked = Case.objects.select_for_update(of=("self",)).select_related("lead_unit", "owner_unit").get(pk=case.pk)
    if version is not None and locked.version != version:
        last = locked.events.select_related("actor").order_by("-at", "-id").first()
        who = last.actor.name if last and last.actor else "?"
        raise ConflictError(
            _("%(who)s changed this case (%(action)s, %(at)s) after you opened it. Reload it and try again.")
            % {
                "who": who,
                "action": last.action if last else "",
                "at": timezone.localtime(last.at).strftime("%H:%M") if last else "",
            }
        )
    if locked.status not in spec.from_statuses:
        raise DomainError(
            _("A case that is “%(status)s” cannot be given “%(action)s”.")
            % {"status": locked.get_status_display(), "action": spec.label},
            field="action",
        )
    if not spec.may(actor, locked):
        raise DomainError(
            _("Your unit or role may not “%(action)s” this case.") % {"action": spec.label}, field="action"
        )
    before, from_status = snapshot(locked), locked.status
    data["note"] = note
    locked.status = spec.apply(locked, actor, data)
    locked.version += 1
    locked.save()
    event_data = {k: _plain(v) for k, v in data.items() if k not in ("note", "assignment") and v not in (None, "", [])}
    _event(locked, actor=actor, action=action, from_status=from_status, note=(note or "").strip(), data=event_data)
    audit_log(
        actor=actor, action=AuditEntry.Action.UPDATE, target=locked, changes=diff(before, snapshot(locked)), note=action
    )
    return locked


def _plain(value):
    """Event data as JSON: records by their name, dates as ISO text."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | bool):
        return value
    return str(value)


# --- the daily escalation -----------------------------------------------------------------------


@transaction.atomic
def cases_supervise_overdue(*, today: datetime.date | None = None) -> int:
    """Put every overdue open case under supervision (督办) and tell the lead unit's leaders and the
    dispatchers — once per case and deadline, however often this runs."""
    at = timezone.now() if today is None else timezone.make_aware(datetime.datetime.combine(today, datetime.time(7)))
    today = today or _today()
    count = 0
    overdue = Case.objects.filter(status__in=OPEN, due_on__lt=today).select_related("lead_unit", "lead_handler")
    for case in overdue:
        if not case.is_supervised:
            from_status = case.status
            case.is_supervised = True
            case.version += 1
            case.save(update_fields=["is_supervised", "version"])
            _event(
                case,
                actor=None,
                action="overdue",
                from_status=from_status,
                at=at,
                note=_("Overdue since %(date)s: under supervision.") % {"date": case.due_on},
            )
            count += 1
        leaders = _unit_members(case.lead_unit, roles=[Role.LEADER]) or [case.lead_handler]
        notify(
            users=[*leaders, *_dispatchers()],
            key=f"case-overdue:{case.pk}:{case.due_on}",
            text=_("Case %(number)s is overdue (due %(date)s): %(title)s")
            % {"number": case.number, "date": case.due_on, "title": case.title},
            url=_case_url(case),
        )
    return count


# --- attachments and thank-you letters ----------------------------------------------------------


@transaction.atomic
def case_attach(*, actor, case: Case, upload) -> CaseAttachment:
    if not is_party(actor, case) and not is_owner_or_dispatcher(actor, case):
        raise DomainError(_("Only the units handling the case may attach files."), field="file")
    check_upload(upload, field="file")
    attachment = CaseAttachment(case=case, name=upload.name[:200], size=upload.size, uploaded_by=actor)
    attachment.file.save(upload.name[-100:], upload, save=False)
    attachment.save()
    _event(case, actor=actor, action="attach", from_status=case.status, note=attachment.name)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=attachment, note=f"case {case.number}")
    return attachment


@transaction.atomic
def thank_you_letter_add(
    *,
    actor,
    enterprise: Enterprise,
    received_on: datetime.date,
    sender: str,
    summary: str,
    case: Case | None = None,
    upload=None,
) -> ThankYouLetter:
    if not policy.can(actor, policy.Capability.EDIT_RECORDS):
        raise DomainError(_("Your role may read records but not change them."))
    if case is not None and case.enterprise_id != enterprise.pk:
        raise DomainError(_("The case is not a case of this enterprise."), field="case")
    if received_on > _today():
        raise DomainError(_("A letter cannot be received in the future."), field="received_on")
    letter = ThankYouLetter(
        enterprise=enterprise,
        case=case,
        received_on=received_on,
        sender=(sender or "").strip(),
        summary=(summary or "").strip(),
        created_by=actor,
    )
    full_clean(letter, exclude=["file"])
    if upload is not None:
        check_upload(upload, field="file")
        letter.file.save(upload.name[-100:], upload, save=False)
    letter.save()
    if case is not None:
        _event(case, actor=actor, action="thanks", from_status=case.status, note=letter.summary[:200])
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=letter, changes=diff({}, snapshot(letter)))
    return letter


# --- follow-up by the enterprise, through a one-time link -----------------------------------------

FOLLOW_UP_SALT = "investdesk.cases.follow-up"
FOLLOW_UP_DAYS = 14


def follow_up_link_token(*, actor, case: Case) -> str:
    """A signed token for the enterprise's follow-up page. It names the case *and its version*, so it
    works once: any later change of the case (including the follow-up itself) voids it; it expires
    after FOLLOW_UP_DAYS days."""
    from django.core import signing

    if case.status != S.RESOLVED:
        raise DomainError(_("Only a resolved case can be followed up."), field="action")
    if not is_owner_lead_or_dispatcher(actor, case):
        raise DomainError(
            _("Your unit or role may not “%(action)s” this case.") % {"action": ACTION_LABELS["follow_up"]},
            field="action",
        )
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=case, note="follow-up link created")
    return signing.TimestampSigner(salt=FOLLOW_UP_SALT).sign_object({"case": case.pk, "version": case.version})


def case_from_follow_up_token(token: str) -> Case:
    """The case a follow-up link is for, or DomainError (expired, tampered, already used)."""
    from django.core import signing

    try:
        data = signing.TimestampSigner(salt=FOLLOW_UP_SALT).unsign_object(token, max_age=FOLLOW_UP_DAYS * 86400)
    except signing.SignatureExpired:
        raise DomainError(_("This link has expired. Ask the agency for a new one.")) from None
    except signing.BadSignature:
        raise DomainError(_("This link is not valid.")) from None
    case = Case.objects.select_related("enterprise").filter(pk=data.get("case")).first()
    if case is None or case.version != data.get("version") or case.status != S.RESOLVED:
        raise DomainError(_("This link has already been used, or the case has changed since it was sent."))
    return case


@transaction.atomic
def case_follow_up_by_link(*, token: str, satisfaction: str, solved: bool, comment: str = "") -> Case:
    """The enterprise answers the follow-up itself (no account). Same rule as staff: dissatisfied reopens."""
    case = case_from_follow_up_token(token)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != S.RESOLVED:
        raise DomainError(_("This link has already been used, or the case has changed since it was sent."))
    if not solved and satisfaction != Case.Satisfaction.DISSATISFIED:
        satisfaction = Case.Satisfaction.DISSATISFIED  # not solved cannot be satisfied: the case reopens
    data = {"satisfaction": satisfaction, "note": (comment or "").strip()[:1000]}
    before, from_status = snapshot(case), case.status
    case.status = _follow_up(case, None, data)
    case.version += 1
    case.save()
    _event(
        case,
        actor=None,
        action="follow_up",
        from_status=from_status,
        note=_("Answered by the enterprise through the follow-up link: %(comment)s") % {"comment": data["note"]},
        data={"satisfaction": satisfaction, "solved": solved, "via": "link"},
    )
    audit_log(
        actor=None,
        action=AuditEntry.Action.UPDATE,
        target=case,
        changes=diff(before, snapshot(case)),
        username="enterprise (follow-up link)",
    )
    return case


def cases_move_to(*, survivor: Enterprise, duplicate: Enterprise) -> dict[str, int]:
    """Merge hook: the duplicate's cases and thank-you letters follow it into the survivor."""
    return {
        "cases": Case.objects.filter(enterprise=duplicate).update(enterprise=survivor),
        "thank_you_letters": ThankYouLetter.objects.filter(enterprise=duplicate).update(enterprise=survivor),
    }
