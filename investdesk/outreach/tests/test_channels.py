"""Channel adapters against real local servers: aiosmtpd for email, the contract's gateway server for SMS/WeCom."""

import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from investdesk.outreach.channels import (
    Accepted,
    Channel,
    EmailChannel,
    HttpGatewayChannel,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
    get_channel,
    retry_after_seconds,
)
from investdesk.outreach.testing import GatewayServer, free_port, smtp_server

LETTER = "相信四川 相信未来——致广大来川投资企业家的一封信"


def outgoing(to: str, **fields) -> Outgoing:
    values = {"key": uuid.uuid4().hex, "to": to, "subject": LETTER, "text": "尊敬的企业家：中秋佳节……"} | fields
    return Outgoing(**values)


@pytest.fixture
def inbox(settings):
    with smtp_server() as inbox:
        inbox.configure(settings)
        settings.DEFAULT_FROM_EMAIL = "四川省经济合作局 <noreply@investdesk.local>"
        yield inbox


@pytest.fixture
def gateway(settings):
    with GatewayServer(token="s3cret") as server:
        settings.SMS_GATEWAY_URL = settings.WECOM_GATEWAY_URL = server.url
        settings.SMS_GATEWAY_TOKEN = settings.WECOM_GATEWAY_TOKEN = "s3cret"
        settings.OUTREACH_GATEWAY_TIMEOUT = 5
        yield server


# --- Email ------------------------------------------------------------------------------------------------------


def test_an_email_arrives_with_text_html_attachment_and_its_key(inbox):
    pdf = b"%PDF-1.7 the signed letter"
    message = outgoing(
        "ceo@dell.example.cn",
        html="<p>尊敬的企业家：<b>中秋佳节</b>……</p>",
        attachment=("一封信.pdf", pdf, "application/pdf"),
    )

    accepted = get_channel("email").send(message)

    assert accepted == Accepted(provider_id=f"<{message.key}@investdesk>")
    assert len(inbox.messages) == 1
    recipients, received = inbox.messages[0]
    assert recipients == ["ceo@dell.example.cn"]
    assert received["Message-ID"] == f"<{message.key}@investdesk>"
    assert received["Subject"].strip() == LETTER  # a folded header keeps a leading space
    assert received["From"] == "四川省经济合作局 <noreply@investdesk.local>"
    assert received.get_body(("plain",)).get_content().strip() == "尊敬的企业家：中秋佳节……"
    assert "<b>中秋佳节</b>" in received.get_body(("html",)).get_content()
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == "一封信.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf
    assert inbox.by_message_id(accepted.provider_id) == [received]


def test_a_plain_email_has_no_html_part(inbox):
    EmailChannel().send(outgoing("info@catl.example.cn"))
    [(_, received)] = inbox.messages
    assert received.get_content_type() == "text/plain"


def test_a_refused_recipient_is_a_permanent_failure(inbox):
    inbox.refuse("nobody@catl.example.cn", 550, "5.1.1 no such user")
    with pytest.raises(PermanentFailure) as failure:
        get_channel("email").send(outgoing("nobody@catl.example.cn"))
    assert "550" in failure.value.reason and "no such user" in failure.value.reason
    assert inbox.count == 0


def test_a_deferred_recipient_is_a_temporary_failure(inbox):
    inbox.refuse("busy@catl.example.cn", 450, "4.2.1 try again later")
    with pytest.raises(TemporaryFailure) as failure:
        get_channel("email").send(outgoing("busy@catl.example.cn"))
    assert "450" in failure.value.reason
    assert failure.value.maybe_delivered is False


def test_an_smtp_server_that_is_down_is_a_temporary_failure(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    with pytest.raises(TemporaryFailure) as failure:
        get_channel("email").send(outgoing("ceo@dell.example.cn"))
    assert failure.value.maybe_delivered is False
    assert failure.value.retry_after is None


def test_no_answer_after_data_may_have_delivered_the_message(inbox, settings):
    # The server took the message but its "250" came too late: a resend could deliver it twice.
    inbox.delay, settings.EMAIL_TIMEOUT = 2, 0.3
    with pytest.raises(TemporaryFailure) as failure:
        get_channel("email").send(outgoing("ceo@dell.example.cn"))
    assert failure.value.maybe_delivered is True
    assert len(inbox.messages) == 1


def test_an_invalid_email_address_fails_before_connecting(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens: no attempt is made
    for address in ("not an address", "", "a@b.cn\nBcc: x@y.cn"):
        with pytest.raises(PermanentFailure, match="invalid_recipient"):
            get_channel("email").send(outgoing(address))


def test_the_configured_backend_is_used(settings, mailoutbox):
    message = outgoing("ceo@dell.example.cn")
    assert get_channel("email").send(message).provider_id == f"<{message.key}@investdesk>"
    assert mailoutbox[0].extra_headers["Message-ID"] == f"<{message.key}@investdesk>"


# --- Gateways (SMS, WeCom) --------------------------------------------------------------------------------------


def test_a_gateway_accepts_once_and_a_replay_returns_the_same_id(gateway):
    message = outgoing("13800000000")
    sms = get_channel("sms")

    first = sms.send(message)
    again = sms.send(message)

    assert first == again and first.provider_id.startswith("gw-")
    assert [request["status"] for request in gateway.requests] == [201, 200]
    assert gateway.requests[0]["authorization"] == "Bearer s3cret"
    assert gateway.requests[0]["body"] == {
        "request_id": message.key,
        "to": "13800000000",
        "subject": LETTER,
        "text": message.text,
    }
    assert [entry["request_id"] for entry in gateway.received] == [message.key]


def test_wecom_speaks_the_same_contract(gateway):
    accepted = get_channel("wecom").send(outgoing("ZhangWei"))
    assert gateway.received_for("ZhangWei")[0]["id"] == accepted.provider_id


def test_a_503_is_temporary_and_the_retry_succeeds(gateway):
    gateway.fail_next(status=503, times=2)
    message, sms = outgoing("13800000000"), get_channel("sms")
    for _ in range(2):
        with pytest.raises(TemporaryFailure) as failure:
            sms.send(message)
        assert failure.value.retry_after is None
        assert "503" in failure.value.reason
    assert sms.send(message).provider_id == gateway.received[0]["id"]
    assert len(gateway.received) == 1


def test_429_carries_retry_after(gateway):
    gateway.fail_next(status=429, error="rate_limited", message="too many requests", retry_after=7)
    with pytest.raises(TemporaryFailure) as failure:
        get_channel("sms").send(outgoing("13800000000"))
    assert failure.value.retry_after == 7
    assert "rate_limited" in failure.value.reason


def test_an_invalid_recipient_is_permanent_with_its_reason(gateway):
    gateway.reject("13800000000", status=422, error="invalid_recipient", message="号码不存在")
    with pytest.raises(PermanentFailure) as failure:
        get_channel("sms").send(outgoing("13800000000"))
    assert failure.value.reason == "sms: invalid_recipient: 号码不存在 (HTTP 422)"
    assert gateway.received == []


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (400, PermanentFailure),
        (403, PermanentFailure),
        (404, PermanentFailure),
        (408, TemporaryFailure),
        (500, TemporaryFailure),
        (502, TemporaryFailure),
        (504, TemporaryFailure),
    ],
)
def test_error_answers_map_to_failures(gateway, status, failure):
    gateway.fail_next(status=status)
    with pytest.raises(failure):
        get_channel("sms").send(outgoing("13800000000"))


def test_a_wrong_token_is_permanent(gateway, settings):
    settings.SMS_GATEWAY_TOKEN = "wrong"
    with pytest.raises(PermanentFailure, match="token"):
        get_channel("sms").send(outgoing("13800000000"))
    assert gateway.requests[0]["status"] == 401
    assert gateway.received == []


def test_a_key_reused_for_another_message_is_refused(gateway):
    message = outgoing("13800000000")
    get_channel("sms").send(message)
    with pytest.raises(PermanentFailure, match="request_id_conflict"):
        get_channel("sms").send(outgoing("13800000000", key=message.key, text="另一条"))
    assert len(gateway.received) == 1


def test_connection_refused_is_temporary():
    channel = HttpGatewayChannel("sms", f"http://127.0.0.1:{free_port()}", "s3cret", timeout=2)
    with pytest.raises(TemporaryFailure, match="no answer"):
        channel.send(outgoing("13800000000"))


def test_a_timeout_is_temporary_and_the_resend_is_not_a_second_delivery(gateway):
    # The gateway accepted but answered too late; the resend with the same key is a replay.
    message = outgoing("13800000000")
    gateway.delay = 1
    with pytest.raises(TemporaryFailure) as failure:
        HttpGatewayChannel("sms", gateway.url, "s3cret", timeout=0.2).send(message)
    assert failure.value.maybe_delivered is False  # the gateway deduplicates: resending is safe
    gateway.delay = 0
    accepted = get_channel("sms").send(message)
    assert [entry["id"] for entry in gateway.received] == [accepted.provider_id]
    assert gateway.wait_for(1)
    assert gateway.requests[-1]["status"] == 200


def test_an_unconfigured_gateway_is_permanent(settings):
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(PermanentFailure, match="not configured"):
        get_channel("sms").send(outgoing("13800000000"))
    with pytest.raises(PermanentFailure, match="not configured"):
        HttpGatewayChannel("wecom", "", "").send(outgoing("ZhangWei"))


def test_get_channel_reads_the_settings(settings):
    settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = "https://sms.gw.example/v1/", "t1"
    settings.WECOM_GATEWAY_URL, settings.WECOM_GATEWAY_TOKEN = "https://wecom.gw.example", "t2"
    settings.OUTREACH_GATEWAY_TIMEOUT = 3
    sms, wecom, mail = get_channel("sms"), get_channel("wecom"), get_channel("email")
    assert (sms.name, sms.url, sms.token, sms.timeout) == ("sms", "https://sms.gw.example/v1", "t1", 3)
    assert (wecom.name, wecom.url, wecom.token) == ("wecom", "https://wecom.gw.example", "t2")
    assert mail.name == "email"
    assert all(isinstance(channel, Channel) for channel in (sms, wecom, mail))


def test_an_unknown_channel_is_a_value_error():
    with pytest.raises(ValueError, match="fax"):
        get_channel("fax")


def test_retry_after_takes_seconds_or_a_date():
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= retry_after_seconds(later) <= 60


def test_concurrent_senders_and_replays_deliver_each_key_once(gateway):
    messages = [outgoing(f"138{n:08d}") for n in range(40)]
    errors = []

    def worker():
        channel = get_channel("sms")
        for message in messages:  # every thread sends every message: 8 attempts per key
            try:
                channel.send(message)
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(gateway.requests) == 8 * 40
    assert sorted(entry["request_id"] for entry in gateway.received) == sorted(m.key for m in messages)


def test_an_accepting_answer_without_an_id_is_temporary(gateway):
    gateway.fail_next(status=200)  # a 2xx without "id" breaks the contract; the replay with the key is safe
    with pytest.raises(TemporaryFailure, match="without a message id"):
        get_channel("sms").send(outgoing("13800000000"))


def test_a_redirect_is_not_followed(gateway):
    gateway.fail_next(status=302)
    with pytest.raises(PermanentFailure, match="302"):
        get_channel("sms").send(outgoing("13800000000"))
    assert len(gateway.requests) == 1


def test_keep_open_sends_many_on_one_connection_and_survives_a_dropped_one(inbox):
    with EmailChannel(keep_open=True) as channel:
        for n in range(3):
            channel.send(outgoing(f"n{n}@catl.example.cn"))
        assert len(set(inbox.peers)) == 1
        channel._connection.connection.sock.shutdown(socket.SHUT_RDWR)  # as a server dropping an idle client
        channel.send(outgoing("n3@catl.example.cn"))
    assert inbox.count == 4 and len(set(inbox.peers)) == 2
    assert channel._connection is None
