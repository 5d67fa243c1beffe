"""Reads of outreach, scoped by the policy: campaigns, their progress by channel and state, calls,
responses, what an enterprise received, a person's notices."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from investdesk.core import policy
from investdesk.outreach.models import Campaign, Message, Response


def campaigns_for_user(*, user) -> QuerySet[Campaign]:
    return (
        policy.visible(user, Campaign.objects.select_related("owner_unit", "created_by", "approved_by"))
        .annotate(
            message_count=Count("messages", distinct=True),
            response_count=Count("responses", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def campaign_get_for_user(*, user, campaign_id: int) -> Campaign:
    return policy.get_visible_or_404(
        user, Campaign.objects.select_related("owner_unit", "created_by", "approved_by"), pk=campaign_id
    )


@dataclass
class Progress:
    total: int
    by_channel: list[dict]  # {"channel", "label", "total", "sent", "failed", "pending", "unknown"}
    sent: int
    failed: int
    pending: int
    unknown: int
    read: int  # internal notices: read receipts
    responses: int
    by_sentiment: dict[str, int]

    @property
    def done_share(self) -> float:
        return (self.sent + self.failed + self.unknown) / self.total if self.total else 0.0


# Each state's column in the progress table (sending and failed-will-retry are still to send).
PROGRESS_COLUMN = {
    Message.State.PENDING: "pending",
    Message.State.SENDING: "pending",
    Message.State.FAILED: "pending",
    Message.State.SENT: "sent",
    Message.State.FAILED_PERMANENTLY: "failed",
    Message.State.UNKNOWN: "unknown",
}
COLUMNS = ("total", "sent", "failed", "pending", "unknown", "read")


def progress(*, campaign: Campaign) -> Progress:
    """Delivery by channel and state (sent, failed for good, pending or retrying, unknown).

    One GROUP BY (channel, state) that reads only the covering index `message_progress` (campaign,
    state, channel, read_at) on PostgreSQL: an index-only scan, no visit to the wide message rows
    (606 ms → a few tens at 200,000 messages), and exact under concurrent delivery since it is a
    plain count of the committed rows. COUNT(*) and COUNT(read_at), not COUNT(id): the id is not in
    the index. The page is polled every 2 s while the campaign sends."""
    rows = campaign.messages.order_by().values_list("channel", "state").annotate(n=Count("*"), read=Count("read_at"))
    tallies: dict[str, dict[str, int]] = {}
    for channel, state, n, read in rows:
        tally = tallies.setdefault(channel, dict.fromkeys(COLUMNS, 0))
        tally["total"] += n
        tally["read"] += read
        tally[PROGRESS_COLUMN[state]] += n
    labels = dict(Message.Channel.choices)
    by_channel = [
        {"channel": channel, **tallies[channel], "label": str(labels.get(channel, channel))}
        for channel in sorted(tallies)
    ]
    sentiments = dict(campaign.responses.order_by().values_list("sentiment").annotate(n=Count("*")))
    return Progress(
        **{column: sum(r[column] for r in by_channel) for column in COLUMNS},
        by_channel=by_channel,
        responses=sum(sentiments.values()),
        by_sentiment={key: sentiments.get(key, 0) for key in Response.Sentiment.values},
    )


def messages_of(*, campaign: Campaign, state: str | None = None, channel: str | None = None):
    qs = campaign.messages.select_related("enterprise", "user", "reserved_by")
    if state == "pending":
        qs = qs.filter(state__in=[Message.State.PENDING, Message.State.SENDING, Message.State.FAILED])
    elif state:
        qs = qs.filter(state=state)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.order_by("id")


def call_list(*, campaign: Campaign, caller) -> dict:
    """The calls the caller holds now, and how many are left and done."""
    from django.utils import timezone

    calls = campaign.messages.filter(channel="phone")
    pending = calls.filter(state=Message.State.PENDING)
    return {
        "mine": pending.filter(reserved_by=caller, reserved_until__gt=timezone.now()).select_related(
            "enterprise", "contact"
        ),
        "left": pending.count(),
        "done": calls.exclude(state=Message.State.PENDING).count(),
    }


def enterprises_reached(*, user, campaign: Campaign):
    """The enterprises (that the user may see) the campaign was sent to: who may answer it."""
    from investdesk.enterprises.selectors import enterprises_for_user

    return enterprises_for_user(user=user).filter(
        pk__in=campaign.messages.exclude(enterprise=None).values("enterprise")
    )


def responses_of(*, campaign: Campaign):
    return campaign.responses.select_related("enterprise", "case", "recorded_by")


def unread_of(*, campaign: Campaign):
    """An internal notice's recipients who have not read it yet."""
    return campaign.messages.filter(channel="inapp", read_at__isnull=True).select_related("user__unit")


def notice_get_for_user(*, user, message_id: int) -> Message:
    from django.http import Http404

    message = Message.objects.select_related("campaign").filter(pk=message_id, user=user, channel="inapp").first()
    if message is None:
        raise Http404
    return message


def enterprise_outreach_panel(*, user, enterprise) -> dict | None:
    """Everything the enterprise's contacts received, and what it answered, for its 360 page."""
    visible = policy.visible(user, Campaign.objects.all()).values("pk")
    messages = list(
        Message.objects.filter(enterprise=enterprise, campaign__in=visible)
        .select_related("campaign")
        .order_by("-campaign__sent_at", "-id")[:20]
    )
    answers = list(Response.objects.filter(enterprise=enterprise, campaign__in=visible).select_related("campaign")[:10])
    if not messages and not answers:
        return None
    return {"template": "outreach/enterprise_panel.html", "messages": messages, "responses": answers}


def home_notices_panel(*, user) -> dict | None:
    unread = list(
        Message.objects.filter(user=user, channel="inapp", read_at__isnull=True)
        .select_related("campaign")
        .order_by("-id")[:5]
    )
    return {"template": "outreach/home_panel.html", "unread": unread} if unread else None
