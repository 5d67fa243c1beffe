"""Writes of outreach: the letter and its merge fields, the audience resolved to one message per
contact (or per member of staff) with its channel, the approval rule, sending, phone calls, responses.

A campaign's messages are created in the same transaction as the decision to send; workers then
deliver them (`delivery.py`)."""

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from investdesk.core import policy
from investdesk.core.audit import audit_log, diff, snapshot
from investdesk.core.errors import DomainError
from investdesk.core.models import AuditEntry, User
from investdesk.core.versioning import check_upload, full_clean, lock_for_update
from investdesk.enterprises.models import Contact, Enterprise
from investdesk.lib.bulk import bulk_insert
from investdesk.outreach.models import Campaign, Message, Response

FIELD = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")

# The merge fields a letter may use: name → how to read it from (enterprise, contact, user).
MERGE_FIELDS = {
    "企业名称": lambda e, c, u: e.name if e else "",
    "联系人": lambda e, c, u: c.name if c else (u.name if u else ""),
    "联系人职务": lambda e, c, u: c.title if c else (u.title if u else ""),
    "包联干部": lambda e, c, u: e.liaison.name if e and e.liaison_id else "",
    "包联干部电话": lambda e, c, u: e.liaison.mobile if e and e.liaison_id else "",
    "所在市州": lambda e, c, u: e.city_name if e else "",
    "姓名": lambda e, c, u: u.name if u else (c.name if c else ""),
    "单位": lambda e, c, u: u.unit.name if u and u.unit_id else "",
}

# Fallback order when a contact's preferred channel cannot reach them.
CHANNEL_ORDER = ["email", "wecom", "sms", "phone"]


def _require_editor(actor) -> None:
    if not policy.can(actor, policy.Capability.EDIT_RECORDS):
        raise DomainError(_("Your role may read records but not change them."))


# --- the letter -----------------------------------------------------------------------------------


def merge_fields_in(text: str) -> list[str]:
    return list(dict.fromkeys(FIELD.findall(text or "")))


def render(template: str, *, enterprise=None, contact=None, user=None) -> tuple[str, list[str]]:
    """The text with its merge fields filled in, and the fields that had no value (never sent blank)."""
    missing = []

    def fill(match):
        name = match.group(1)
        reader = MERGE_FIELDS.get(name)
        value = reader(enterprise, contact, user) if reader else ""
        if not value:
            missing.append(name)
            return match.group(0)
        return str(value)

    return FIELD.sub(fill, template or ""), missing


def html_of(text: str) -> str:
    """The HTML alternative: paragraphs at blank lines, line breaks kept, everything escaped."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _check_letter(campaign: Campaign) -> None:
    unknown = [f for f in merge_fields_in(campaign.subject + "\n" + campaign.body) if f not in MERGE_FIELDS]
    if unknown:
        raise DomainError(
            _("Unknown merge field {{%(name)s}}; the fields are: %(fields)s.")
            % {"name": unknown[0], "fields": "、".join(MERGE_FIELDS)},
            field="body",
        )


CAMPAIGN_FIELDS = {"name", "audience", "subject", "body", "filters", "scheduled_at"}


@transaction.atomic
def campaign_create(*, actor, enterprises=(), units=(), attachment=None, **fields) -> Campaign:
    _require_editor(actor)
    unknown = set(fields) - CAMPAIGN_FIELDS
    if unknown:
        raise TypeError(f"campaign_create does not take {sorted(unknown)}")
    if actor.unit_id is None:
        raise DomainError(_("You belong to no unit, so you cannot write campaigns."))
    campaign = Campaign(owner_unit=actor.unit, created_by=actor, **fields)
    _check_letter(campaign)
    full_clean(campaign, exclude=["attachment"])
    if attachment:
        check_upload(attachment, field="attachment")
        campaign.attachment.save(attachment.name[-100:], attachment, save=False)
    campaign.save()
    campaign.enterprises.set(enterprises)
    campaign.units.set(units)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=campaign, changes=diff({}, snapshot(campaign)))
    return campaign


@transaction.atomic
def campaign_update(*, actor, campaign: Campaign, version: int | None, enterprises=None, units=None, **fields):
    """Edit a draft (a submitted campaign goes back to draft: it must be approved again)."""
    _require_editor(actor)
    campaign = lock_for_update(Campaign, campaign.pk, version)
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SUBMITTED):
        raise DomainError(_("Only a draft can be changed."))
    before = snapshot(campaign)
    for key, value in fields.items():
        if key not in CAMPAIGN_FIELDS:
            raise TypeError(f"campaign_update does not take {key!r}")
        setattr(campaign, key, value)
    _check_letter(campaign)
    full_clean(campaign, exclude=["attachment"])
    campaign.status = Campaign.Status.DRAFT
    campaign.version += 1
    campaign.save()
    if enterprises is not None:
        campaign.enterprises.set(enterprises)
    if units is not None:
        campaign.units.set(units)
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=campaign, changes=diff(before, snapshot(campaign)))
    return campaign


# --- the audience ---------------------------------------------------------------------------------


@dataclass
class Recipient:
    name: str
    channel: str
    address: str
    enterprise: Enterprise | None = None
    contact: Contact | None = None
    user: User | None = None
    missing: list[str] = field(default_factory=list)


@dataclass
class AudienceReport:
    recipients: list[Recipient]
    by_channel: dict[str, int]
    unreachable: list[Enterprise]  # no contact that any channel can reach: fix these first
    duplicates: int  # the same contact (or person) reached twice, kept once
    missing_values: list[Recipient]  # a merge field has no value for them: fix before sending

    @property
    def ready(self) -> bool:
        return bool(self.recipients) and not self.missing_values


def channel_for(contact: Contact) -> tuple[str, str] | tuple[None, None]:
    """The contact's preferred channel if it can reach them, else the first that can."""
    addresses = {
        "email": contact.email,
        "wecom": contact.wechat,
        "sms": contact.mobile,
        "phone": contact.mobile or contact.phone,
    }
    for channel in [contact.preferred_channel, *CHANNEL_ORDER]:
        if addresses.get(channel):
            return channel, addresses[channel]
    return None, None


def _audience_enterprises(user, campaign: Campaign):
    from investdesk.enterprises.forms import EnterpriseFilterForm
    from investdesk.enterprises.selectors import enterprises_for_user

    chosen = []
    if campaign.filters:
        form = EnterpriseFilterForm(QueryDict(campaign.filters))
        chosen += list(enterprises_for_user(user=user, filters=form.filters()).select_related("liaison"))
    listed = policy.visible(user, campaign.enterprises.all()).select_related("liaison")
    chosen += list(listed)
    return chosen


def resolve_audience(*, user, campaign: Campaign) -> AudienceReport:
    """Who receives the campaign and how: one message per contact (each enterprise's primary contact)
    or per member of staff, with its channel; the report shown before sending."""
    recipients: list[Recipient] = []
    seen: set = set()
    duplicates = 0
    unreachable: list[Enterprise] = []
    letter = campaign.subject + "\n" + campaign.body
    if campaign.audience == Campaign.Audience.STAFF:
        in_units = Q(pk__in=[])
        for unit in campaign.units.all():
            in_units |= Q(unit__path__startswith=unit.path)
        people = User.objects.filter(in_units, is_active=True).select_related("unit")
        for person in people.order_by("unit__path", "id"):
            if person.pk in seen:
                duplicates += 1
                continue
            seen.add(person.pk)
            _text, missing = render(letter, user=person)
            recipients.append(Recipient(person.name, "inapp", "", user=person, missing=missing))
    else:
        enterprises = _audience_enterprises(user, campaign)
        contacts = {}
        for contact in Contact.objects.filter(enterprise__in=[e.pk for e in enterprises]).order_by(
            "enterprise_id", "-is_primary", "id"
        ):
            contacts.setdefault(contact.enterprise_id, []).append(contact)
        for enterprise in enterprises:
            if enterprise.pk in seen:
                duplicates += 1
                continue
            seen.add(enterprise.pk)
            reachable = [(c, *channel_for(c)) for c in contacts.get(enterprise.pk, [])]
            reachable = [r for r in reachable if r[1]]
            if not reachable:
                unreachable.append(enterprise)
                continue
            contact, channel, address = reachable[0]
            _text, missing = render(letter, enterprise=enterprise, contact=contact)
            recipients.append(Recipient(contact.name, channel, address, enterprise, contact, missing=missing))
    by_channel = {key: 0 for key in Message.Channel.values}
    for r in recipients:
        by_channel[r.channel] += 1
    return AudienceReport(
        recipients=recipients,
        by_channel=by_channel,
        unreachable=unreachable,
        duplicates=duplicates,
        missing_values=[r for r in recipients if r.missing],
    )


# --- approval and sending -------------------------------------------------------------------------


@transaction.atomic
def campaign_submit(*, actor, campaign: Campaign, version: int | None) -> Campaign:
    _require_editor(actor)
    campaign = lock_for_update(Campaign, campaign.pk, version)
    if campaign.status != Campaign.Status.DRAFT:
        raise DomainError(_("Only a draft is submitted for approval."))
    report = resolve_audience(user=actor, campaign=campaign)
    _check_ready(report)
    campaign.status = Campaign.Status.SUBMITTED
    campaign.version += 1
    campaign.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=campaign, note="submitted for approval")
    from investdesk.core.services import notify

    approvers = User.objects.filter(is_active=True, role__in=["leader", "dispatcher"]).exclude(pk=actor.pk)
    notify(
        users=list(approvers),
        key=f"campaign-submitted:{campaign.pk}:{campaign.version}",
        text=_("Campaign %(name)s awaits approval.") % {"name": campaign.name},
        url=f"/outreach/{campaign.pk}/",
    )
    return campaign


def _check_ready(report: AudienceReport) -> None:
    if not report.recipients:
        raise DomainError(_("The audience is empty: choose enterprises or units."), field="audience")
    if report.missing_values:
        first = report.missing_values[0]
        raise DomainError(
            _("%(n)d recipients lack a merge value (e.g. %(name)s: %(fields)s); fix the records or the letter first.")
            % {"n": len(report.missing_values), "name": first.name, "fields": "、".join(first.missing)},
            field="body",
        )


def may_approve(actor, campaign: Campaign) -> bool:
    """Someone else than the author, with the right to dispatch (bureau leaders and dispatchers)."""
    return policy.can(actor, policy.Capability.DISPATCH) and actor.pk != campaign.created_by_id


@transaction.atomic
def campaign_approve(*, actor, campaign: Campaign, version: int | None) -> Campaign:
    """Approve and send (or schedule): the messages are created in this same transaction."""
    campaign = lock_for_update(Campaign, campaign.pk, version)
    if not may_approve(actor, campaign):
        raise DomainError(_("A campaign is approved by a bureau leader or dispatcher other than its author."))
    if campaign.status != Campaign.Status.SUBMITTED:
        raise DomainError(_("Only a campaign awaiting approval can be approved."))
    author = campaign.created_by or actor
    report = resolve_audience(user=author, campaign=campaign)
    _check_ready(report)
    now = timezone.now()
    start = max(campaign.scheduled_at or now, now)
    letter_subject, letter_body = campaign.subject, campaign.body
    bulk_insert(
        [
            Message(
                campaign=campaign,
                enterprise=r.enterprise,
                contact=r.contact,
                user=r.user,
                name=r.name[:60],
                channel=r.channel,
                address=r.address,
                subject=render(letter_subject, enterprise=r.enterprise, contact=r.contact, user=r.user)[0][:150],
                text=render(letter_body, enterprise=r.enterprise, contact=r.contact, user=r.user)[0],
                # Phone calls and in-app notices need no worker: they are "delivered" by a caller
                # and by the reader respectively.
                state=Message.State.SENT if r.channel == "inapp" else Message.State.PENDING,
                sent_at=now if r.channel == "inapp" else None,
                next_attempt_at=start,
            )
            for r in report.recipients
        ]
    )
    campaign.status = Campaign.Status.SENDING
    campaign.approved_by, campaign.approved_at, campaign.sent_at = actor, now, start
    campaign.version += 1
    campaign.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=campaign,
              note=f"approved: {len(report.recipients)} messages {report.by_channel}")  # fmt: skip
    if campaign.audience == Campaign.Audience.STAFF:
        _notify_staff(campaign)
    _maybe_done(campaign.pk)  # an all-in-app notice is delivered on approval
    from investdesk.outreach.tasks import deliver

    transaction.on_commit(lambda: deliver.enqueue(campaign_id=campaign.pk))
    return campaign


def _notify_staff(campaign: Campaign) -> None:
    from investdesk.core.services import notify

    for message in campaign.messages.select_related("user"):
        notify(
            users=[message.user],
            key=f"notice:{message.pk}",
            text=_("Notice: %(subject)s") % {"subject": message.subject},
            url=f"/outreach/notices/{message.pk}/",
        )


@transaction.atomic
def campaign_reject(*, actor, campaign: Campaign, version: int | None, reason: str) -> Campaign:
    campaign = lock_for_update(Campaign, campaign.pk, version)
    if not may_approve(actor, campaign) or campaign.status != Campaign.Status.SUBMITTED:
        raise DomainError(_("A campaign is approved by a bureau leader or dispatcher other than its author."))
    if not (reason or "").strip():
        raise DomainError(_("Say why it goes back to its author."), field="reason")
    campaign.status = Campaign.Status.DRAFT
    campaign.version += 1
    campaign.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=campaign, note=f"returned: {reason}")
    return campaign


@transaction.atomic
def messages_retry(*, actor, campaign: Campaign, ids: list[int] | None = None) -> int:
    """Failed (and confirmed-unknown) messages go back to pending; returns how many."""
    _require_editor(actor)
    qs = campaign.messages.filter(state__in=[Message.State.FAILED_PERMANENTLY, Message.State.FAILED])
    if ids:
        qs = qs.filter(pk__in=ids)
    n = qs.update(state=Message.State.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="",
                  claim_token=None, claim_expires_at=None, handed_over_at=None, updated_at=timezone.now())  # fmt: skip
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DONE).update(status=Campaign.Status.SENDING)
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=campaign, note=f"retry {n} messages")
    from investdesk.outreach.tasks import deliver

    transaction.on_commit(lambda: deliver.enqueue(campaign_id=campaign.pk))
    return n


@transaction.atomic
def message_confirm_unknown(*, actor, message: Message, received: bool) -> Message:
    """A person checked with the provider whether an `unknown` message arrived."""
    _require_editor(actor)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.state != Message.State.UNKNOWN:
        raise DomainError(_("Only a message in the unknown state is confirmed."))
    if received:
        message.state, message.sent_at = Message.State.SENT, message.handed_over_at
    else:
        message.state, message.attempts, message.next_attempt_at = Message.State.PENDING, 0, timezone.now()
        message.handed_over_at = None
    message.updated_at = timezone.now()
    message.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=message.campaign, note=f"message {message.pk} "
              f"confirmed {'received' if received else 'not received'}")  # fmt: skip
    return message


# --- phone calls ----------------------------------------------------------------------------------


@transaction.atomic
def calls_reserve(*, actor, campaign: Campaign, count: int = 10) -> list[Message]:
    """Reserve the next `count` calls for the caller; a lapsed reservation is free again."""
    _require_editor(actor)
    now = timezone.now()
    until = now + datetime.timedelta(minutes=settings.OUTREACH_CALL_RESERVATION_MINUTES)
    free = (
        campaign.messages.filter(channel="phone", state=Message.State.PENDING)
        .exclude(reserved_until__gt=now)
        .exclude(call_back_at__gt=now)
    )
    ids = list(free.order_by("id").values_list("pk", flat=True)[: max(1, min(count, 50))])
    # The conditional update keeps two callers from taking the same call.
    Message.objects.filter(pk__in=ids).exclude(reserved_until__gt=now).update(
        reserved_by=actor, reserved_until=until, updated_at=now
    )
    return list(campaign.messages.filter(reserved_by=actor, reserved_until__gt=now, state=Message.State.PENDING))


@transaction.atomic
def call_record(*, actor, message: Message, outcome: str, note: str = "", call_back_at=None) -> Message:
    _require_editor(actor)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.channel != "phone" or message.state != Message.State.PENDING:
        raise DomainError(_("This call is not waiting to be made."))
    if message.reserved_by_id != actor.pk or not message.reserved_until or message.reserved_until < timezone.now():
        raise DomainError(_("Reserve the call first; another caller may have it."))
    if outcome not in Message.Outcome.values:
        raise DomainError(_("Choose the outcome of the call."), field="outcome")
    now = timezone.now()
    message.outcome, message.note = outcome, (note or "")[:300]
    message.reserved_by, message.reserved_until = None, None
    if outcome == Message.Outcome.REACHED:
        message.state, message.sent_at = Message.State.SENT, now
    elif outcome == Message.Outcome.CALL_BACK:
        if call_back_at is None or call_back_at <= now:
            raise DomainError(_("Say when to call back."), field="call_back_at")
        message.call_back_at = call_back_at
    else:
        message.attempts += 1
        message.call_back_at = now + datetime.timedelta(hours=1)  # not redialled at once
        if message.attempts >= settings.OUTREACH_MAX_ATTEMPTS:
            message.state, message.last_error = Message.State.FAILED_PERMANENTLY, _("Not reached")
    message.updated_at = now
    message.save()
    _maybe_done(message.campaign_id)
    return message


def _maybe_done(campaign_id: int) -> None:
    open_states = [Message.State.PENDING, Message.State.SENDING, Message.State.FAILED]
    if not Message.objects.filter(campaign_id=campaign_id, state__in=open_states).exists():
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).update(status=Campaign.Status.DONE)


# --- internal notices -----------------------------------------------------------------------------


def notice_read(*, user, message: Message) -> Message:
    if message.user_id == user.pk and message.read_at is None:
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())
        message.refresh_from_db()
    return message


# --- responses ------------------------------------------------------------------------------------


@transaction.atomic
def response_add(
    *, actor, campaign: Campaign, enterprise: Enterprise, who: str, received_on, via: str, summary: str,
    sentiment: str = "positive", needs_follow_up: bool = False,
) -> Response:  # fmt: skip
    _require_editor(actor)
    campaign = Campaign.objects.get(pk=campaign.pk)
    if campaign.status not in (Campaign.Status.SENDING, Campaign.Status.DONE):
        raise DomainError(_("Responses are recorded once the campaign has been sent."))
    if not campaign.messages.filter(enterprise=enterprise).exists():
        raise DomainError(_("This enterprise did not receive the campaign."), field="enterprise")
    if received_on and received_on > timezone.localdate():
        raise DomainError(_("This date is in the future."), field="received_on")
    response = Response(
        campaign=campaign, enterprise=enterprise, who=(who or "").strip(), received_on=received_on, via=via,
        summary=(summary or "").strip(), sentiment=sentiment, needs_follow_up=needs_follow_up, recorded_by=actor,
    )  # fmt: skip
    full_clean(response)
    response.save()
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=response, note=str(campaign))
    return response


@transaction.atomic
def response_raise_case(*, actor, response: Response, category):
    """One step from a response that needs follow-up to a case of the enterprise."""
    from investdesk.cases import services as case_services

    response = Response.objects.select_for_update().get(pk=response.pk)
    if response.case_id:
        raise DomainError(_("This response is already case %(number)s.") % {"number": response.case.number})
    case = case_services.case_register(
        actor=actor,
        enterprise=response.enterprise,
        title=_("Answer to %(campaign)s") % {"campaign": response.campaign.name},
        description=response.summary,
        category=category,
        source="letter" if response.via == "letter" else ("phone" if response.via == "phone" else "online"),
    )
    response.case, response.needs_follow_up = case, True
    response.save(update_fields=["case", "needs_follow_up"])
    return case
