"""A campaign's progress: every channel and state in its column, read receipts, in one query."""

import itertools

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from investdesk.outreach import selectors
from investdesk.outreach.models import Campaign, Message

S = Message.State


def _campaign(owner, n_per_combination: int = 1) -> Campaign:
    campaign = Campaign.objects.create(
        name="进度", subject="s", body="b", status=Campaign.Status.SENDING, owner_unit=owner.unit, created_by=owner
    )
    messages = [
        Message(campaign=campaign, name=f"{i}", channel=channel, state=state, subject="s", text="t",
                read_at=timezone.now() if read else None)
        for i, (channel, state, read, _) in enumerate(
            itertools.product(Message.Channel.values, S.values, [False, True], range(n_per_combination))
        )
    ]  # fmt: skip
    Message.objects.bulk_create(messages)
    return campaign


def _by_hand(campaign: Campaign, channel: str) -> dict:
    """What each column means, counted one filter at a time."""
    mine = Message.objects.filter(campaign=campaign, channel=channel)
    return {
        "total": mine.count(),
        "sent": mine.filter(state=S.SENT).count(),
        "failed": mine.filter(state=S.FAILED_PERMANENTLY).count(),
        "pending": mine.filter(state__in=[S.PENDING, S.SENDING, S.FAILED]).count(),
        "unknown": mine.filter(state=S.UNKNOWN).count(),
        "read": mine.filter(read_at__isnull=False).count(),
    }


def test_every_state_lands_in_its_column(owner, leader):
    campaign = _campaign(owner, n_per_combination=2)
    _campaign(owner)  # another campaign's messages are not counted
    progress = selectors.progress(campaign=campaign)
    assert [r["channel"] for r in progress.by_channel] == sorted(Message.Channel.values)
    for row in progress.by_channel:
        assert {k: v for k, v in row.items() if k not in ("channel", "label")} == _by_hand(campaign, row["channel"])
    assert progress.total == Message.objects.filter(campaign=campaign).count() == 5 * 6 * 2 * 2
    assert (progress.sent, progress.failed, progress.pending, progress.unknown) == (20, 20, 60, 20)
    assert progress.read == 60
    assert progress.done_share == (20 + 20 + 20) / 120


def test_progress_is_two_queries_whatever_the_size(owner):
    """One GROUP BY for the messages, one for the responses: polled every 2 s while sending."""
    small, large = _campaign(owner), _campaign(owner, n_per_combination=5)
    for campaign in (small, large):
        with CaptureQueriesContext(connection) as captured:
            selectors.progress(campaign=campaign)
        assert len(captured) == 2


def test_an_empty_campaign(owner):
    campaign = Campaign.objects.create(name="空", subject="s", body="b", owner_unit=owner.unit, created_by=owner)
    progress = selectors.progress(campaign=campaign)
    assert (progress.total, progress.by_channel, progress.done_share) == (0, [], 0.0)
