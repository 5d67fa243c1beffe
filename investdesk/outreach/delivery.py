"""Delivery of campaign messages: nothing lost, nothing sent twice.

Every message keeps its own durable state. A worker *claims* a batch with one conditional UPDATE
(only rows still `pending`, so two workers never hold the same message — on SQLite and PostgreSQL
alike), under a lease (`claim_expires_at`). Just before handing a message to its provider it records
`handed_over_at`; right after, the outcome. A worker killed mid-run leaves claims that expire:

* claimed but never handed over → back to `pending` (the provider never saw it; safe to send);
* handed over but no outcome → `unknown`: the provider may have it. A person confirms (the SMTP
  Message-ID or the gateway's request id is the message's key); it is never blindly resent.

Temporary failures are retried with exponential backoff up to OUTREACH_MAX_ATTEMPTS, then the message
fails permanently with its reason. Each channel is rate-limited per worker (OUTREACH_RATES). SIGTERM
lets the current message finish (the caller sets `stop`)."""

import datetime
import threading
import time
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from investdesk.core.audit import audit_log
from investdesk.core.models import AuditEntry
from investdesk.outreach import channels
from investdesk.outreach.models import Campaign, Message

SENDABLE = ["email", "sms", "wecom"]


def reap(now: datetime.datetime | None = None) -> dict[str, int]:
    """Return expired claims: never handed over → pending; handed over → unknown."""
    now = now or timezone.now()
    expired = Message.objects.filter(state=Message.State.SENDING, claim_expires_at__lt=now)
    back = expired.filter(handed_over_at__isnull=True).update(
        state=Message.State.PENDING, claim_token=None, claim_expires_at=None, updated_at=now
    )
    unknown = expired.filter(handed_over_at__isnull=False).update(
        state=Message.State.UNKNOWN, claim_token=None, claim_expires_at=None, updated_at=now,
        last_error="worker stopped after handing the message over; confirm with the provider",
    )  # fmt: skip
    return {"pending": back, "unknown": unknown}


def claim(*, channel: str, limit: int, campaign_id: int | None = None, lease: int | None = None) -> list[Message]:
    """Take up to `limit` due messages of a channel for this worker."""
    now = timezone.now()
    token = uuid.uuid4()
    due = Message.objects.filter(
        state__in=[Message.State.PENDING, Message.State.FAILED], channel=channel, next_attempt_at__lte=now
    )
    if campaign_id:
        due = due.filter(campaign_id=campaign_id)
    ids = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    Message.objects.filter(
        pk__in=ids, state__in=[Message.State.PENDING, Message.State.FAILED], next_attempt_at__lte=now
    ).update(
        state=Message.State.SENDING,
        claim_token=token,
        claim_expires_at=now + datetime.timedelta(seconds=lease or settings.OUTREACH_CLAIM_SECONDS),
        updated_at=now,
    )
    return list(Message.objects.filter(claim_token=token, state=Message.State.SENDING).select_related("campaign"))


def _outgoing(message: Message) -> channels.Outgoing:
    from investdesk.outreach.services import html_of

    attachment = None
    campaign = message.campaign
    if message.channel == "email" and campaign.attachment:
        with campaign.attachment.open("rb") as f:
            attachment = (campaign.attachment.name.rsplit("/", 1)[-1], f.read(), "application/pdf")
    return channels.Outgoing(
        key=message.key.hex,
        to=message.address,
        subject=message.subject,
        text=message.text,
        html=html_of(message.text) if message.channel == "email" else "",
        attachment=attachment,
    )


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def send_one(message: Message, channel) -> str:
    """Hand one claimed message to its provider and record the outcome; returns the new state."""
    now = timezone.now()
    # Only the holder of the claim may hand it over (the claim may have been reaped meanwhile).
    held = Message.objects.filter(pk=message.pk, claim_token=message.claim_token, state=Message.State.SENDING)
    # The lease is renewed for this one send, so a long batch does not outlive it.
    lease = now + datetime.timedelta(seconds=settings.OUTREACH_CLAIM_SECONDS)
    if not held.update(handed_over_at=now, attempts=message.attempts + 1, claim_expires_at=lease, updated_at=now):
        return "lost-claim"
    attempts = message.attempts + 1
    try:
        accepted = channel.send(_outgoing(message))
    except channels.TemporaryFailure as exc:
        if getattr(exc, "maybe_delivered", False):
            # The provider may have taken it (an SMTP reply to DATA never came): a person confirms.
            state, fields = Message.State.UNKNOWN, {"last_error": exc.reason[:300]}
            return _record(message, state, fields)
        if attempts >= settings.OUTREACH_MAX_ATTEMPTS:
            state, fields = Message.State.FAILED_PERMANENTLY, {"last_error": f"{exc.reason} (×{attempts})"[:300]}
        else:
            retry = getattr(exc, "retry_after", None)
            delay = datetime.timedelta(seconds=retry) if retry else _backoff(attempts)
            state, fields = Message.State.FAILED, {"last_error": exc.reason[:300], "next_attempt_at": now + delay}
        fields["handed_over_at"] = None  # the provider refused it: nothing to confirm
    except channels.PermanentFailure as exc:
        state, fields = Message.State.FAILED_PERMANENTLY, {"last_error": exc.reason[:300], "handed_over_at": None}
    else:
        state, fields = Message.State.SENT, {"provider_id": accepted.provider_id[:200], "sent_at": timezone.now(),
                                             "last_error": ""}  # fmt: skip
    return _record(message, state, fields)


def _record(message: Message, state: str, fields: dict) -> str:
    """Store the outcome of a hand-over, and audit every message that left (or may have left)."""
    with transaction.atomic():
        recorded = Message.objects.filter(pk=message.pk, claim_token=message.claim_token).update(
            state=state, claim_token=None, claim_expires_at=None, updated_at=timezone.now(), **fields
        )
        if recorded and state in (Message.State.SENT, Message.State.UNKNOWN):
            audit_log(
                actor=None,
                username="outreach",
                action=AuditEntry.Action.MESSAGE,
                target=message,
                note=f"campaign {message.campaign_id} {message.channel} {state} {fields.get('provider_id', '')}",
            )
    return state if recorded else "lost-claim"  # reaped meanwhile: it is `unknown` now


class RateLimiter:
    """At most `rate` sends per second (per worker and channel)."""

    def __init__(self, rate: int):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.next = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if self.next > now:
            time.sleep(self.next - now)
        self.next = max(now, self.next) + self.interval


def run(
    *,
    campaign_id: int | None = None,
    stop: threading.Event | None = None,
    until_idle: bool = True,
    batch: int = 20,
    idle_sleep: float = 1.0,
) -> dict[str, int]:
    """Deliver due messages until none is left (or, with until_idle=False, until `stop` is set)."""
    stop = stop or threading.Event()
    limiters = {name: RateLimiter(settings.OUTREACH_RATES.get(name, 0)) for name in SENDABLE}
    counts: dict[str, int] = {}
    adapters = {}
    while not stop.is_set():
        reap()
        worked = False
        for name in SENDABLE:
            claimed = claim(channel=name, limit=batch, campaign_id=campaign_id)
            if not claimed:
                continue
            worked = True
            adapter = adapters.get(name) or adapters.setdefault(name, _adapter(name))
            for i, message in enumerate(claimed):
                if stop.is_set():
                    _release(claimed[i:])
                    break
                limiters[name].wait()
                state = send_one(message, adapter)
                counts[state] = counts.get(state, 0) + 1
        _finish_campaigns()
        if not worked:
            if until_idle and not _waiting(campaign_id):
                break
            stop.wait(idle_sleep)
    for adapter in adapters.values():
        close = getattr(adapter, "close", None)
        if close:
            close()
    return counts


def _adapter(name: str):
    """The channel's adapter; email keeps one SMTP connection open for the run (reconnecting if dropped)."""
    if name == "email":
        return channels.EmailChannel(keep_open=True)
    return channels.get_channel(name)


def _release(messages: list[Message]) -> None:
    """Give back claims not yet handed over (a stopping worker)."""
    Message.objects.filter(
        pk__in=[m.pk for m in messages], state=Message.State.SENDING, handed_over_at__isnull=True
    ).update(state=Message.State.PENDING, claim_token=None, claim_expires_at=None, updated_at=timezone.now())


def _waiting(campaign_id: int | None) -> bool:
    """Messages that a worker will still send soon (due retries within a minute, or held by another)."""
    soon = timezone.now() + datetime.timedelta(seconds=60)
    qs = Message.objects.filter(channel__in=SENDABLE).filter(
        Q(state__in=[Message.State.PENDING, Message.State.FAILED], next_attempt_at__lte=soon)
        | Q(state=Message.State.SENDING)
    )
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    return qs.exists()


def _finish_campaigns() -> None:
    open_states = [Message.State.PENDING, Message.State.SENDING, Message.State.FAILED]
    with transaction.atomic():
        for campaign in Campaign.objects.filter(status=Campaign.Status.SENDING):
            if not campaign.messages.filter(state__in=open_states).exists():
                Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
                    status=Campaign.Status.DONE
                )
