"""Delivery channels: one small interface, an SMTP adapter and an HTTP gateway adapter (SMS, WeCom).

A channel sends one message and answers `Accepted` or raises `TemporaryFailure` (retry later, with the same key)
or `PermanentFailure` (do not retry). The contract of the gateways is in docs/channels.md.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import json
import smtplib
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email

MAX_REASON = 500  # reasons are stored with the message; keep them bounded
MAX_ANSWER_BYTES = 64 * 1024  # a gateway answer larger than this is not read further


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient, as the delivery engine hands it to a channel."""

    key: str  # idempotency key, unique per message (hex uuid); sent to the provider
    to: str  # email address, mainland mobile, or WeCom user id
    subject: str
    text: str  # plain text body
    html: str = ""  # email only
    attachment: tuple[str, bytes, str] | None = None  # (filename, content, mimetype), email only


@dataclass(frozen=True)
class Accepted:
    """The provider took the message."""

    provider_id: str  # the provider's id for the message (for email: the Message-ID)


class ChannelError(Exception):
    """The message was not accepted; `reason` says why, for people."""

    def __init__(self, reason: str):
        reason = " ".join(str(reason).split())  # one line
        self.reason = reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"
        super().__init__(self.reason)


class TemporaryFailure(ChannelError):
    """Try again later with the same key.

    `retry_after`: seconds the provider asked to wait, or None. `maybe_delivered`: the failure came after the
    provider had the whole message (an SMTP timeout or disconnect while awaiting the answer to DATA), so a resend
    may deliver it twice; SMTP servers do not deduplicate. The gateways do (on `request_id`), so this is never set
    for them.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None, maybe_delivered: bool = False):
        super().__init__(reason)
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered


class PermanentFailure(ChannelError):
    """Sending this message again will not help (bad recipient, rejected content, misconfiguration)."""


@runtime_checkable
class Channel(Protocol):
    """What the delivery engine needs from a channel.

    After a `TemporaryFailure` without `maybe_delivered`, sending again with the same key delivers at most once.
    """

    name: str

    def send(self, message: Outgoing) -> Accepted: ...


def _require_recipient(message: Outgoing) -> None:
    if not message.to or not message.to.strip():
        raise PermanentFailure("invalid_recipient: the message has no recipient")


# --- Email -----------------------------------------------------------------------------------------------------


def message_id(key: str) -> str:
    """The Message-ID header that carries a message's idempotency key: `<key@investdesk>`."""
    return f"<{key}@investdesk>"


class EmailChannel:
    """Email through Django's configured backend (EMAIL_URL), from DEFAULT_FROM_EMAIL.

    The Message-ID carries the key, so the SMTP server's log shows it. One connection per message, or with
    `keep_open=True` one connection for many (call `close()` at the end; a kept connection the server has
    dropped meanwhile is replaced once, transparently: nothing had reached DATA). Safe to share between threads.
    """

    name = "email"

    def __init__(self, backend: str | None = None, *, keep_open: bool = False):
        self.backend = backend  # a dotted backend path; None = settings.EMAIL_BACKEND
        self.keep_open = keep_open
        self._connection = None
        self._in_data = False
        self._lock = threading.Lock()

    def build(self, message: Outgoing) -> EmailMultiAlternatives:
        """The email for `message`: text, HTML alternative, optional attachment."""
        email_message = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id(message.key)},
        )
        if message.html:
            email_message.attach_alternative(message.html, "text/html")
        if message.attachment:
            filename, content, mimetype = message.attachment
            email_message.attach(filename, content, mimetype)
        return email_message

    def send(self, message: Outgoing) -> Accepted:
        _require_recipient(message)
        try:
            validate_email(message.to)
        except ValidationError:
            raise PermanentFailure(f"invalid_recipient: {message.to!r} is not an email address") from None
        email_message = self.build(message)
        with self._lock:
            reused = self._connection is not None
            try:
                self._deliver(email_message)
            except TemporaryFailure as failure:
                if not reused or failure.maybe_delivered:
                    raise
                self._deliver(email_message)  # on a fresh connection
        return Accepted(provider_id=message_id(message.key))

    def close(self) -> None:
        """Close a kept connection (no-op otherwise)."""
        with self._lock:
            self._discard()

    def __enter__(self) -> EmailChannel:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # the outcome is decided; a failing QUIT changes nothing
                connection.close()

    def _watch_data(self, smtp: smtplib.SMTP) -> None:
        """Note when DATA is reached on this SMTP connection (smtplib has no hook for it)."""
        if "data" in vars(smtp):
            return
        send_data = smtp.data

        def data(msg: bytes):
            self._in_data = True
            return send_data(msg)

        smtp.data = data

    def _deliver(self, email_message: EmailMultiAlternatives) -> None:
        """Send on the kept or a new connection; keep it only after a success with keep_open."""
        if self._connection is None:
            self._connection = get_connection(self.backend, fail_silently=False)
        connection, self._in_data, sent = self._connection, False, 0
        try:
            connection.open()  # no-op when already open
            smtp = getattr(connection, "connection", None)
            if isinstance(smtp, smtplib.SMTP):
                self._watch_data(smtp)
            sent = connection.send_messages([email_message])
        except ValueError as error:  # a header with a line break (BadHeaderError), an address Django cannot encode
            raise PermanentFailure(f"invalid_message: {error}") from None
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            detail = "; ".join(f"{code} {_decode(text)}" for code, text in error.recipients.values())
            if codes and all(400 <= code < 500 for code in codes):
                raise TemporaryFailure(f"smtp: recipient deferred: {detail}") from None
            raise PermanentFailure(f"smtp: recipient refused: {detail}") from None
        except smtplib.SMTPResponseException as error:  # sender refused, DATA refused, auth failed, …
            detail = f"{error.smtp_code} {_decode(error.smtp_error)}"
            if 400 <= error.smtp_code < 500:
                raise TemporaryFailure(f"smtp: {detail}") from None
            raise PermanentFailure(f"smtp: {detail}") from None
        except smtplib.SMTPServerDisconnected as error:
            raise TemporaryFailure(f"smtp: disconnected: {error}", maybe_delivered=self._in_data) from None
        except smtplib.SMTPException as error:  # no STARTTLS or AUTH on the server: configuration
            raise PermanentFailure(f"smtp: {error}") from None
        except OSError as error:  # refused, reset, timeout, TLS (SMTPException is an OSError: caught above)
            detail = f"{type(error).__name__}: {error}"
            raise TemporaryFailure(f"smtp: {detail}", maybe_delivered=self._in_data) from None
        finally:
            if not (sent and self.keep_open):
                self._discard()
        if not sent:
            raise PermanentFailure("smtp: the email backend sent nothing")


def _decode(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


# --- HTTP gateways (SMS, WeCom) -------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a GET; the contract has none, so it is an error answer."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) in seconds from now, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpGatewayChannel:
    """A channel speaking the gateway contract of docs/channels.md: `POST {url}/messages` with a bearer token."""

    def __init__(self, name: str, url: str, token: str, timeout: float = 10):
        self.name = name
        self.url = (url or "").rstrip("/")
        self.token = token or ""
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"HttpGatewayChannel({self.name!r}, {self.url!r})"

    def close(self) -> None:
        """Nothing to close: one HTTP request per message."""

    def payload(self, message: Outgoing) -> dict:
        """The JSON body the gateway receives."""
        return {"request_id": message.key, "to": message.to, "subject": message.subject, "text": message.text}

    def send(self, message: Outgoing) -> Accepted:
        if not self.url:
            raise PermanentFailure(f"{self.name}: the {self.name} gateway is not configured")
        if not self.url.startswith(("http://", "https://")):
            raise PermanentFailure(f"{self.name}: the gateway URL must start with http:// or https://: {self.url!r}")
        _require_recipient(message)
        request = urllib.request.Request(
            f"{self.url}/messages",
            data=json.dumps(self.payload(message), ensure_ascii=False).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "User-Agent": "InvestDesk-outreach/1",
            },
        )
        try:
            status, headers, body = self._post(request)
        except (http.client.HTTPException, OSError) as error:  # refused, timeout, reset (URLError is an OSError)
            cause = getattr(error, "reason", None) or error
            # Retrying is safe even if the request arrived: the gateway deduplicates on request_id.
            raise TemporaryFailure(f"{self.name}: no answer from the gateway: {cause}") from None
        return self._answer(status, headers, body)

    def _post(self, request: urllib.request.Request) -> tuple[int, http.client.HTTPMessage, bytes]:
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                return response.status, response.headers, response.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as error:  # an answer with an error status
            try:
                return error.code, error.headers, error.read(MAX_ANSWER_BYTES)
            finally:
                error.close()

    def _answer(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> Accepted:
        answer = _json_object(body)
        if 200 <= status < 300:
            provider_id = answer.get("id")
            if isinstance(provider_id, str) and provider_id:
                return Accepted(provider_id=provider_id)
            # Accepted but unreadable: asking again with the same request_id returns the id (no second delivery).
            raise TemporaryFailure(f"{self.name}: gateway answered {status} without a message id")
        error_code = str(answer.get("error") or "")
        text = str(answer.get("message") or "")
        detail = ": ".join(part for part in (error_code, text) if part) or _snippet(body)
        reason = f"{self.name}: {detail} (HTTP {status})" if detail else f"{self.name}: HTTP {status}"
        if status in (401, 403):
            raise PermanentFailure(f"{self.name}: gateway refused the token (HTTP {status}); check the settings")
        if status == 429 or status >= 500 or status == 408:
            raise TemporaryFailure(reason, retry_after=retry_after_seconds(headers.get("Retry-After")))
        raise PermanentFailure(reason)  # 400, 422, 409 and any other answer the contract does not allow


def _json_object(body: bytes) -> dict:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _snippet(body: bytes) -> str:
    return body[:200].decode("utf-8", "replace").strip()


# --- Registry --------------------------------------------------------------------------------------------------

CHANNELS = ("email", "sms", "wecom")


def get_channel(name: str) -> Channel:
    """The channel called `name` ("email", "sms", "wecom"), configured from the settings as they are now."""
    if name == "email":
        return EmailChannel()
    timeout = float(getattr(settings, "OUTREACH_GATEWAY_TIMEOUT", 10))
    if name == "sms":
        return HttpGatewayChannel(
            "sms", getattr(settings, "SMS_GATEWAY_URL", ""), getattr(settings, "SMS_GATEWAY_TOKEN", ""), timeout
        )
    if name == "wecom":
        return HttpGatewayChannel(
            "wecom", getattr(settings, "WECOM_GATEWAY_URL", ""), getattr(settings, "WECOM_GATEWAY_TOKEN", ""), timeout
        )
    raise ValueError(f"unknown channel {name!r}; expected one of {', '.join(CHANNELS)}")
