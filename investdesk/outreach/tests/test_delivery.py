"""The delivery engine (delivery.py) against real local servers: aiosmtpd for email, the gateway contract server
for SMS and WeCom — and, at the end, real worker processes killed mid-campaign.

Nothing lost, nothing sent twice: every message ends sent, failed permanently (reason kept) or `unknown` (the
provider may have it; a person confirms), and no provider ever receives a message twice.
"""

import datetime
import itertools
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models.query import QuerySet
from django.utils import timezone

from investdesk.outreach import channels, delivery
from investdesk.outreach.models import Campaign, Message
from investdesk.outreach.testing import GatewayServer, smtp_server

LETTER = "相信四川 相信未来——致广大来川投资企业家的一封信"
TEXT = "尊敬的企业家：\n\n中秋佳节之际，四川省经济合作局向您致以诚挚的问候……"
NO_LIMIT = {"email": 0, "sms": 0, "wecom": 0}  # a rate of 0 means no limit


@pytest.fixture
def inbox(settings):
    with smtp_server() as inbox:
        inbox.configure(settings)
        settings.DEFAULT_FROM_EMAIL = "四川省经济合作局 <noreply@investdesk.local>"
        yield inbox


@pytest.fixture
def gateway(settings):
    """The SMS gateway."""
    with GatewayServer(token="sms-token", id_prefix="sms") as server:
        settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = server.url, server.token
        settings.OUTREACH_GATEWAY_TIMEOUT = 5
        yield server


@pytest.fixture
def wecom(settings):
    """The WeCom gateway (another server, so that each channel is seen to reach its own)."""
    with GatewayServer(token="wecom-token", id_prefix="wecom") as server:
        settings.WECOM_GATEWAY_URL, settings.WECOM_GATEWAY_TOKEN = server.url, server.token
        yield server


@pytest.fixture(autouse=True)
def _engine_settings(settings):
    settings.OUTREACH_RATES = dict(NO_LIMIT)
    settings.OUTREACH_MAX_ATTEMPTS = 5
    settings.OUTREACH_CLAIM_SECONDS = 120


@pytest.fixture
def campaign(units):
    return Campaign.objects.create(
        name="中秋一封信", subject=LETTER, body=TEXT, owner_unit=units.chengdu, status=Campaign.Status.SENDING
    )


def address(channel: str, i: int) -> str:
    return {"email": f"ceo{i}@enterprise{i}.example.cn", "sms": f"139{i:08d}", "wecom": f"wx-user-{i}"}[channel]


def make_messages(campaign: Campaign, channel: str, count: int, *, start: int = 0, **fields) -> list[Message]:
    """`count` pending messages of `campaign` by `channel`, as the send decision creates them."""
    return Message.objects.bulk_create(
        Message(
            campaign=campaign,
            name=f"收件人{i}",
            channel=channel,
            address=address(channel, i),
            subject=LETTER,
            text=f"{TEXT}\n\n（第{i}号）",
            **fields,
        )
        for i in range(start, start + count)
    )


def fresh(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


def states(campaign: Campaign) -> Counter:
    return Counter(campaign.messages.values_list("state", flat=True))


# --- Email to the real local SMTP server ----------------------------------------------------------------------


def test_emails_reach_the_smtp_server_once_each_with_their_key_and_the_campaign_is_done(campaign, inbox):
    messages = make_messages(campaign, "email", 7)
    assert campaign.status == Campaign.Status.SENDING

    counts = delivery.run(campaign_id=campaign.pk, batch=3)

    assert counts == {"sent": 7}
    assert len(inbox.messages) == 7
    message_ids = Counter(received["Message-ID"] for _rcpt, received in inbox.messages)
    assert all(n == 1 for n in message_ids.values())
    for message in messages:
        message = fresh(message)
        assert message.state == Message.State.SENT
        assert message.attempts == 1
        assert message.provider_id == f"<{message.key.hex}@investdesk>"
        assert message.key.hex in message.provider_id
        assert message.sent_at is not None and message.claim_token is None and message.claim_expires_at is None
        assert message.last_error == ""
        [received] = inbox.by_message_id(message.provider_id)
        [(recipients, _)] = [item for item in inbox.messages if item[1] is received]
        assert recipients == [message.address]
        assert received["Subject"].strip() == LETTER
        assert received.get_body(("plain",)).get_content().replace("\r\n", "\n").strip() == message.text.strip()
        assert "中秋佳节之际" in received.get_body(("html",)).get_content()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE
    # Every message sent is in the audit log (MLPS: messages sent are security-relevant events).
    from investdesk.core.models import AuditEntry

    sent = AuditEntry.objects.filter(action="message", target_type="outreach.message")
    assert sorted(int(i) for i in sent.values_list("target_id", flat=True)) == sorted(m.pk for m in messages)
    # Nothing is left to do: a second run sends nothing again.
    assert delivery.run(campaign_id=campaign.pk) == {}
    assert len(inbox.messages) == 7


def test_a_refused_email_fails_permanently_with_the_servers_reason(campaign, inbox):
    [refused, accepted] = make_messages(campaign, "email", 2)
    inbox.refuse(refused.address, 550, "5.1.1 mailbox unavailable")

    assert delivery.run(campaign_id=campaign.pk) == {"failed_permanently": 1, "sent": 1}

    refused = fresh(refused)
    assert refused.state == Message.State.FAILED_PERMANENTLY
    assert refused.last_error == "smtp: recipient refused: 550 5.1.1 mailbox unavailable"
    assert refused.handed_over_at is None
    assert [rcpt for rcpt, _ in inbox.messages] == [[accepted.address]]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE  # nothing is open; the failure is listed with its reason


def test_an_email_that_may_have_arrived_is_not_sent_again(campaign, inbox, settings):
    """SMTP servers do not deduplicate: a timeout after DATA leaves the message in doubt, for a person."""
    [message] = make_messages(campaign, "email", 1)
    settings.EMAIL_TIMEOUT = 0.5
    inbox.delay = 2  # the server takes the message, then answers DATA too late

    [claimed] = delivery.claim(channel="email", limit=1)
    assert delivery.send_one(claimed, channels.get_channel("email")) == Message.State.UNKNOWN
    assert inbox.wait_for(1)

    message = fresh(message)
    assert message.state == Message.State.UNKNOWN  # not `failed`: a retry could deliver it twice
    assert message.handed_over_at is not None and message.attempts == 1
    assert message.last_error.startswith("smtp: ")
    inbox.delay = 0
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert delivery.run(campaign_id=campaign.pk) == {}
    assert len(inbox.by_message_id(f"<{message.key.hex}@investdesk>")) == 1
    assert fresh(message).state == Message.State.UNKNOWN


# --- Gateways (SMS, WeCom) through the engine -----------------------------------------------------------------


def test_sms_and_wecom_go_to_their_own_gateway_with_the_key_as_request_id(campaign, gateway, wecom):
    [sms] = make_messages(campaign, "sms", 1)
    [chat] = make_messages(campaign, "wecom", 1, start=1)

    assert delivery.run(campaign_id=campaign.pk) == {"sent": 2}

    for message, server, token in ((sms, gateway, "sms-token"), (chat, wecom, "wecom-token")):
        message = fresh(message)
        [entry] = server.received
        assert message.state == Message.State.SENT and message.attempts == 1
        assert entry["request_id"] == message.key.hex
        assert (entry["to"], entry["subject"], entry["text"]) == (message.address, LETTER, message.text)
        assert message.provider_id == entry["id"] and entry["id"].startswith(f"{message.channel}-")
        assert [r["authorization"] for r in server.requests] == [f"Bearer {token}"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE


def test_a_temporary_gateway_error_is_retried_later_and_then_sent_once(campaign, gateway):
    [message] = make_messages(campaign, "sms", 1)
    gateway.fail_next(503, retry_after=300)  # the gateway asks for five minutes

    before = timezone.now()
    assert delivery.run(campaign_id=campaign.pk) == {"failed": 1}

    message = fresh(message)
    assert message.state == Message.State.FAILED
    assert message.attempts == 1
    assert message.last_error == "sms: unavailable: scripted failure (HTTP 503)"
    assert (
        before + datetime.timedelta(seconds=299)
        <= message.next_attempt_at
        <= timezone.now() + datetime.timedelta(seconds=301)
    )
    assert message.claim_token is None and message.handed_over_at is None
    assert gateway.received == []
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING  # a retry is still open
    assert delivery.run(campaign_id=campaign.pk) == {}  # not due yet: nothing is sent

    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert delivery.run(campaign_id=campaign.pk) == {"sent": 1}

    message = fresh(message)
    assert message.state == Message.State.SENT
    assert message.attempts == 2
    assert message.last_error == ""
    [entry] = gateway.received
    assert entry["request_id"] == message.key.hex and message.provider_id == entry["id"]
    assert [r["status"] for r in gateway.requests] == [503, 201]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE


def test_retries_back_off_exponentially(campaign, gateway):
    [message] = make_messages(campaign, "sms", 1)
    gateway.fail_next(502, times=2)  # no Retry-After: the engine's own backoff
    adapter = channels.get_channel("sms")

    for attempt, seconds in ((1, 30), (2, 60)):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        before = timezone.now()
        [claimed] = delivery.claim(channel="sms", limit=10)
        assert delivery.send_one(claimed, adapter) == Message.State.FAILED
        message = fresh(message)
        assert message.attempts == attempt
        delay = datetime.timedelta(seconds=seconds)
        assert before + delay <= message.next_attempt_at <= timezone.now() + delay
        assert delivery.claim(channel="sms", limit=10) == []  # not due before then


def test_a_reply_lost_in_transit_is_asked_again_and_the_gateway_does_not_deliver_twice(campaign, gateway, settings):
    [message] = make_messages(campaign, "sms", 1)
    settings.OUTREACH_GATEWAY_TIMEOUT = 0.3
    gateway.delay = 1.5  # the gateway accepts the message but answers after the client gave up

    [claimed] = delivery.claim(channel="sms", limit=1)
    assert delivery.send_one(claimed, channels.get_channel("sms")) == Message.State.FAILED
    assert len(gateway.received) == 1

    gateway.delay = 0
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert delivery.run(campaign_id=campaign.pk) == {"sent": 1}

    message = fresh(message)
    [entry] = gateway.received  # the replay with the same request_id was answered, not delivered again
    assert message.state == Message.State.SENT and message.attempts == 2
    assert message.provider_id == entry["id"]
    assert [r["status"] for r in gateway.requests] == [201, 200]


def test_a_permanent_gateway_error_fails_the_message_with_its_reason(campaign, gateway):
    [refused, fine] = make_messages(campaign, "sms", 2)
    gateway.reject(refused.address, 422, "invalid_recipient", "空号")

    assert delivery.run(campaign_id=campaign.pk) == {"failed_permanently": 1, "sent": 1}

    refused = fresh(refused)
    assert refused.state == Message.State.FAILED_PERMANENTLY
    assert refused.last_error == "sms: invalid_recipient: 空号 (HTTP 422)"
    assert refused.attempts == 1 and refused.provider_id == "" and refused.sent_at is None
    assert fresh(fine).state == Message.State.SENT
    assert [entry["to"] for entry in gateway.received] == [fine.address]
    assert delivery.run(campaign_id=campaign.pk) == {}  # never retried
    assert len(gateway.requests) == 2
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE


def test_a_message_fails_permanently_when_its_attempts_are_used_up(campaign, gateway, settings):
    settings.OUTREACH_MAX_ATTEMPTS = 2
    [message] = make_messages(campaign, "sms", 1)
    gateway.fail_next(503, times=2, retry_after=300)

    assert delivery.run(campaign_id=campaign.pk) == {"failed": 1}
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert delivery.run(campaign_id=campaign.pk) == {"failed_permanently": 1}

    message = fresh(message)
    assert message.state == Message.State.FAILED_PERMANENTLY
    assert message.attempts == 2
    assert message.last_error == "sms: unavailable: scripted failure (HTTP 503) (×2)"
    assert gateway.received == []
    assert [r["status"] for r in gateway.requests] == [503, 503]
    assert delivery.run(campaign_id=campaign.pk) == {}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE


def test_an_unconfigured_gateway_is_a_permanent_failure(campaign, settings):
    settings.SMS_GATEWAY_URL = ""
    [message] = make_messages(campaign, "sms", 1)

    assert delivery.run(campaign_id=campaign.pk) == {"failed_permanently": 1}
    assert fresh(message).last_error == "sms: the sms gateway is not configured"


# --- Claims, leases and the reaper ----------------------------------------------------------------------------


def test_two_claims_in_a_row_never_return_the_same_message(campaign, settings):
    settings.OUTREACH_CLAIM_SECONDS = 90
    messages = make_messages(campaign, "sms", 8)
    make_messages(campaign, "email", 2)  # another channel
    [later] = make_messages(campaign, "sms", 1, start=8, next_attempt_at=timezone.now() + datetime.timedelta(hours=1))

    before = timezone.now()
    first = delivery.claim(channel="sms", limit=5)
    second = delivery.claim(channel="sms", limit=5)

    assert len(first) == 5 and len(second) == 3
    assert {m.pk for m in first} | {m.pk for m in second} == {m.pk for m in messages}
    assert not {m.pk for m in first} & {m.pk for m in second}
    assert delivery.claim(channel="sms", limit=5) == []
    assert {m.claim_token for m in first} != {m.claim_token for m in second}
    for batch in (first, second):
        assert len({m.claim_token for m in batch}) == 1
        for message in batch:
            message.refresh_from_db()
            assert message.state == Message.State.SENDING
            assert before + datetime.timedelta(seconds=90) <= message.claim_expires_at
            assert message.claim_expires_at <= timezone.now() + datetime.timedelta(seconds=90)
    assert fresh(later).state == Message.State.PENDING  # not due
    assert Message.objects.filter(channel="email", state=Message.State.PENDING).count() == 2


def test_a_worker_cannot_claim_what_another_claimed_between_its_read_and_its_update(campaign, monkeypatch):
    """The race the conditional UPDATE closes: worker A reads 5 due ids, worker B claims them, then A's UPDATE
    runs. A must get none of them (its UPDATE only takes rows still pending)."""
    make_messages(campaign, "sms", 8)
    real_update = QuerySet.update
    theirs: list[Message] = []
    interleaving = []

    def update(self, **fields):
        if self.model is Message and fields.get("state") == Message.State.SENDING and not interleaving:
            interleaving.append(True)
            theirs.extend(delivery.claim(channel="sms", limit=5))  # another worker gets in between
        return real_update(self, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    mine = delivery.claim(channel="sms", limit=5)

    assert len(theirs) == 5
    assert mine == []
    assert Message.objects.filter(state=Message.State.SENDING).count() == 5
    assert set(Message.objects.filter(state=Message.State.SENDING).values_list("claim_token", flat=True)) == {
        theirs[0].claim_token
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_claim_the_same_message(campaign):
    """Real threads, each with its own database connection, racing for claims."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database serialises writers (the kill test races real processes)")
    messages = make_messages(campaign, "sms", 60)
    start = threading.Barrier(4)
    taken: list[list[int]] = [[] for _ in range(4)]
    errors = []

    def work(n: int) -> None:
        from django.db import connection as own

        try:
            start.wait()
            while batch := delivery.claim(channel="sms", limit=3):
                taken[n].extend(m.pk for m in batch)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    everything = [pk for pks in taken for pk in pks]
    assert sorted(everything) == sorted(m.pk for m in messages)  # each exactly once
    assert Message.objects.filter(state=Message.State.SENDING).count() == 60


def test_the_reaper_returns_unsent_claims_and_marks_handed_over_ones_unknown(campaign, gateway, settings):
    settings.OUTREACH_CLAIM_SECONDS = 60
    [never_sent, handed_over, still_held] = make_messages(campaign, "sms", 3)
    claimed = delivery.claim(channel="sms", limit=2)
    assert {m.pk for m in claimed} == {never_sent.pk, handed_over.pk}
    # The worker recorded the hand-over of one message, then died before recording the provider's answer.
    Message.objects.filter(pk=handed_over.pk).update(handed_over_at=timezone.now(), attempts=1)

    assert delivery.reap() == {"pending": 0, "unknown": 0}  # leases still running
    assert delivery.reap(timezone.now() + datetime.timedelta(seconds=61)) == {"pending": 1, "unknown": 1}

    never_sent, handed_over, still_held = fresh(never_sent), fresh(handed_over), fresh(still_held)
    assert never_sent.state == Message.State.PENDING
    assert never_sent.claim_token is None and never_sent.claim_expires_at is None
    assert handed_over.state == Message.State.UNKNOWN
    assert handed_over.claim_token is None and handed_over.handed_over_at is not None
    assert "confirm with the provider" in handed_over.last_error
    assert still_held.state == Message.State.PENDING

    # A later run sends the two pending ones and never resends the one in doubt.
    assert delivery.run(campaign_id=campaign.pk) == {"sent": 2}
    assert sorted(entry["to"] for entry in gateway.received) == sorted([never_sent.address, still_held.address])
    assert fresh(handed_over).state == Message.State.UNKNOWN
    assert delivery.run(campaign_id=campaign.pk) == {}
    assert len(gateway.received) == 2
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE  # unknown is final for the engine; a person confirms


def test_a_worker_whose_claim_was_reaped_does_not_send(campaign, gateway):
    [message] = make_messages(campaign, "sms", 1)
    [stale] = delivery.claim(channel="sms", limit=1, lease=1)
    delivery.reap(timezone.now() + datetime.timedelta(seconds=2))  # the lease ran out: presumed dead
    adapter = channels.get_channel("sms")

    assert delivery.send_one(stale, adapter) == "lost-claim"
    message = fresh(message)
    assert message.state == Message.State.PENDING and message.attempts == 0 and message.handed_over_at is None
    assert gateway.requests == []

    # Another worker claims it meanwhile: the stale holder still cannot send it; the new holder does, once.
    [current] = delivery.claim(channel="sms", limit=1)
    assert delivery.send_one(stale, adapter) == "lost-claim"
    assert delivery.send_one(current, adapter) == Message.State.SENT
    assert len(gateway.received) == 1 and fresh(message).attempts == 1


def test_an_outcome_arriving_after_the_reaper_does_not_overwrite_unknown(campaign, gateway):
    """A worker that outlived its lease (a long stall) has its in-flight message marked unknown by another
    worker's reaper; its late outcome must not turn the message back into anything else."""
    [message] = make_messages(campaign, "sms", 1)
    [claimed] = delivery.claim(channel="sms", limit=1, lease=1)
    real = channels.get_channel("sms")

    class Stalling:
        name = "sms"

        def send(self, outgoing):
            accepted = real.send(outgoing)
            # The hand-over renewed the lease for this one send; the stall outlives even that.
            delivery.reap(timezone.now() + datetime.timedelta(seconds=settings.OUTREACH_CLAIM_SECONDS + 1))
            return accepted

    assert delivery.send_one(claimed, Stalling()) == "lost-claim"
    message = fresh(message)
    assert message.state == Message.State.UNKNOWN
    assert len(gateway.received) == 1
    assert delivery.run(campaign_id=campaign.pk) == {}


# --- Rate limits ----------------------------------------------------------------------------------------------


class FakeTime:
    """Stands in for the `time` module in delivery.py: a clock that only moves when someone sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_rate_limiter_spaces_sends_by_the_interval(monkeypatch):
    clock = FakeTime()
    monkeypatch.setattr(delivery, "time", clock)
    limiter = delivery.RateLimiter(10)
    moments = []
    for _ in range(15):
        limiter.wait()
        moments.append(clock.now)

    assert sum(clock.sleeps) == pytest.approx(1.4)
    assert all(b - a == pytest.approx(0.1) for a, b in itertools.pairwise(moments))

    clock.now += 5  # idle for a while: no burst credit is saved up beyond the next slot
    limiter.wait()
    limiter.wait()
    assert clock.sleeps[-1] == pytest.approx(0.1)

    unlimited = delivery.RateLimiter(0)
    for _ in range(100):
        unlimited.wait()
    assert len(clock.sleeps) == 15  # 14 + 1 above, none for the unlimited one


def test_the_engine_respects_the_per_channel_rate(campaign, gateway, inbox, settings, monkeypatch):
    settings.OUTREACH_RATES = {"email": 0, "sms": 10, "wecom": 0}
    clock = FakeTime()
    monkeypatch.setattr(delivery, "time", clock)
    make_messages(campaign, "sms", 15)
    make_messages(campaign, "email", 5, start=15)

    assert delivery.run(campaign_id=campaign.pk, batch=4) == {"sent": 20}

    assert len(gateway.received) == 15 and len(inbox.messages) == 5
    # 15 SMS at 10/s: the first goes at once, each next one 0.1 s after the previous (across batches).
    assert sum(clock.sleeps) >= 1.3
    assert sum(clock.sleeps) == pytest.approx(1.4)


# --- Real worker processes: SIGKILL, SIGTERM ------------------------------------------------------------------

_SCRIPT = Path(sys.executable).with_name("investdesk")  # .venv/bin/investdesk
WORKER = [str(_SCRIPT), "deliver"] if _SCRIPT.exists() else [sys.executable, "-m", "investdesk.cli", "deliver"]


class SharedDatabase:
    """The test database as worker subprocesses reach it.

    PostgreSQL: the test database itself (the test is transactional, so what it writes is committed).
    SQLite: pytest-django's test database lives in this process's memory, so it is copied to a file for the
    workers (`publish`, with SQLite's backup API) and copied back for the assertions (`collect`). The workers
    then race for claims on that file with the same conditional UPDATE as on PostgreSQL.
    """

    def __init__(self, tmp_path: Path):
        self.vendor = connection.vendor
        self.file = tmp_path / "workers.sqlite3"
        if self.vendor not in ("sqlite", "postgresql"):
            pytest.skip(f"no worker-process setup for {self.vendor}")
        self.in_memory = self.vendor == "sqlite" and connection.is_in_memory_db()

    @property
    def url(self) -> str:
        db = connection.settings_dict
        if self.vendor == "sqlite":
            return f"sqlite:///{self.file if self.in_memory else db['NAME']}"
        user = quote(db["USER"] or "", safe="")
        password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        credentials = f"{user}{password}@" if user else ""
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{credentials}{host}{port}/{db['NAME']}"

    def publish(self) -> None:
        if self.in_memory:
            connection.ensure_connection()
            target = sqlite3.connect(self.file)
            try:
                connection.connection.backup(target)
                # WAL, as `migrate` leaves a deployment's file: otherwise the workers, started together,
                # would each try to switch the file's journal mode as their first connection opens.
                target.execute("PRAGMA journal_mode=WAL")
            finally:
                target.close()

    def collect(self) -> None:
        if self.in_memory:
            connection.ensure_connection()
            source = sqlite3.connect(self.file)
            try:
                source.backup(connection.connection)
            finally:
                source.close()


@pytest.fixture
def workers(tmp_path, inbox, gateway, wecom):
    """Start `investdesk deliver` processes wired to this test's database, SMTP server and gateways."""
    database = SharedDatabase(tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "DB_CONN_MAX_AGE": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "test-secret-key-not-for-production",
        "USE_HTTPS": "1",
        "SECURE_SSL_REDIRECT": "0",
        "VAR_DIR": str(tmp_path / "var"),
        "EMAIL_URL": inbox.email_url,
        "DEFAULT_FROM_EMAIL": "InvestDesk <noreply@investdesk.local>",
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_TOKEN": gateway.token,
        "WECOM_GATEWAY_URL": wecom.url,
        "WECOM_GATEWAY_TOKEN": wecom.token,
        "OUTREACH_CLAIM_SECONDS": "3",  # leases of a killed worker expire quickly
        "OUTREACH_RATE_EMAIL": "40",
        "OUTREACH_RATE_SMS": "20",
        "OUTREACH_RATE_WECOM": "20",
        "OUTREACH_MAX_ATTEMPTS": "5",
        "PYTHONUNBUFFERED": "1",
    }
    started: list[subprocess.Popen] = []
    logs = []

    def start(*args: str) -> subprocess.Popen:
        n = len(started)
        logs.extend([open(tmp_path / f"worker{n}.out", "w"), open(tmp_path / f"worker{n}.err", "w")])  # noqa: SIM115
        process = subprocess.Popen([*WORKER, "--batch", "10", *args], env=env, stdout=logs[-2], stderr=logs[-1])
        process.log = tmp_path / f"worker{n}"
        started.append(process)
        return process

    start.database = database
    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    for log in logs:
        log.close()


def output(process: subprocess.Popen) -> str:
    return "".join(f"--- {process.log}.{kind}\n{Path(f'{process.log}.{kind}').read_text()}" for kind in ("out", "err"))


def wait_until(condition, timeout: float, what: str, *processes: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n" + "\n".join(output(p) for p in processes))
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"a worker exited early ({process.returncode})\n{output(process)}")
        time.sleep(0.05)


def email_keys(inbox) -> Counter:
    keys = Counter()
    for _rcpt, received in list(inbox.messages):
        match = re.fullmatch(r"<([0-9a-f]{32})@investdesk>", str(received["Message-ID"]))
        assert match, received["Message-ID"]
        keys[match[1]] += 1
    return keys


def gateway_keys(*gateways) -> Counter:
    """Every request a gateway decided to deliver or replay (2xx), by request_id: a replay would mean the
    message was handed over a second time (here no request times out, so none is legitimate)."""
    keys = Counter()
    for server in gateways:
        with server.lock:
            keys.update(r["body"]["request_id"] for r in server.requests if 200 <= r["status"] < 300)
    return keys


@pytest.mark.django_db(transaction=True)
def test_killing_a_worker_mid_campaign_loses_nothing_and_sends_nothing_twice(campaign, workers, inbox, gateway, wecom):
    """Two workers deliver 200 messages; one is killed with SIGKILL mid-run, the other stopped with SIGTERM; a
    fresh worker finishes. Every message reaches a final state, every provider received each message at most
    once, each `sent` one exactly once; only those in `unknown` (handed over by the killed worker, outcome never
    recorded) may have been received without being recorded."""
    make_messages(campaign, "email", 110)
    make_messages(campaign, "sms", 60, start=110)
    make_messages(campaign, "wecom", 30, start=170)
    gateway.reject(address("sms", 111), 422, "invalid_recipient", "空号")
    inbox.refuse(address("email", 7))
    gateway.delay = wecom.delay = 0.02  # each send takes a moment: the kill lands mid-run
    inbox.delay = 0.01
    workers.database.publish()

    def received() -> int:
        return len(inbox.messages) + len(gateway.received) + len(wecom.received)

    first, second = workers(), workers()
    wait_until(lambda: received() >= 40, 90, "the first 40 deliveries", first, second)
    first.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    at_kill = received()
    assert at_kill < 200, "the workers finished before the kill: the test proves nothing"

    wait_until(lambda: received() >= min(at_kill + 30, 190), 60, "deliveries after the kill", second)
    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0, output(second)

    last = workers("--until-idle")  # waits for the killed worker's leases to expire, then finishes
    try:
        assert last.wait(120) == 0, output(last)
    except subprocess.TimeoutExpired:
        raise AssertionError("the last worker did not finish\n" + output(last)) from None
    workers.database.collect()

    messages = {m.key.hex: m for m in Message.objects.filter(campaign=campaign)}
    assert len(messages) == 200
    by_state = Counter(m.state for m in messages.values())
    assert set(by_state) <= {Message.State.SENT, Message.State.FAILED_PERMANENTLY, Message.State.UNKNOWN}, by_state

    emails, posts = email_keys(inbox), gateway_keys(gateway, wecom)
    assert not set(emails) & set(posts)
    deliveries = emails + posts
    assert set(deliveries) <= set(messages)  # nothing foreign
    twice = {key: n for key, n in deliveries.items() if n > 1}
    assert twice == {}, f"received more than once: {twice}"
    assert Counter(entry["request_id"] for entry in gateway.received + wecom.received) == posts

    for key, message in messages.items():
        if message.state == Message.State.SENT:
            assert deliveries[key] == 1, message
            if message.channel == "email":
                assert message.provider_id == f"<{key}@investdesk>"
            else:
                [entry] = [e for e in gateway.received + wecom.received if e["request_id"] == key]
                assert message.provider_id == entry["id"]
        elif message.state == Message.State.UNKNOWN:
            assert deliveries[key] <= 1 and message.handed_over_at is not None
        else:
            assert deliveries[key] == 0, message
            assert message.address in (address("sms", 111), address("email", 7))
    assert by_state[Message.State.FAILED_PERMANENTLY] == 2
    # Everything the providers have is accounted for: sent, or in doubt.
    assert by_state[Message.State.SENT] + by_state[Message.State.UNKNOWN] >= len(deliveries)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_sigterm_lets_the_current_send_finish_and_gives_back_the_rest(campaign, workers, gateway):
    messages = make_messages(campaign, "sms", 80)
    gateway.delay = 0.05
    workers.database.publish()

    worker = workers()
    wait_until(lambda: len(gateway.received) >= 5, 90, "the first deliveries", worker)
    worker.send_signal(signal.SIGTERM)
    try:
        assert worker.wait(20) == 0, output(worker)
    except subprocess.TimeoutExpired:
        raise AssertionError("the worker did not stop on SIGTERM\n" + output(worker)) from None
    workers.database.collect()

    by_state = Counter(Message.objects.filter(campaign=campaign).values_list("state", flat=True))
    assert set(by_state) <= {Message.State.SENT, Message.State.PENDING}, by_state
    assert by_state[Message.State.SENT] == len(gateway.received)  # the send under way was finished and recorded
    assert by_state[Message.State.PENDING] == 80 - len(gateway.received) > 0
    assert not Message.objects.filter(state=Message.State.PENDING).exclude(claim_token=None).exists()
    assert not Message.objects.filter(state=Message.State.PENDING, handed_over_at__isnull=False).exists()
    assert Path(f"{worker.log}.out").read_text().strip() == f"sent={len(gateway.received)}"
    sent = {m.key.hex for m in Message.objects.filter(state=Message.State.SENT)}
    assert sent == {entry["request_id"] for entry in gateway.received}
    assert len(messages) == 80
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING  # the rest is still to send
