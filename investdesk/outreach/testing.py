"""Real local servers for tests: `GatewayServer` (the gateway contract of docs/channels.md) and `smtp_server()`.

Both run in threads of the test process, on 127.0.0.1 and a free port, and are safe for concurrent clients
(threads or worker subprocesses): every change of their state happens under a lock.

    with GatewayServer(token="t") as gateway, smtp_server() as inbox:
        settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = gateway.url, gateway.token
        inbox.configure(settings)
        ...
        assert inbox.wait_for(3) and len(gateway.received) == 1
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.message
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


# --- The gateway contract --------------------------------------------------------------------------------------


class GatewayServer:
    """An HTTP gateway implementing the contract: `POST /messages`, bearer token, deduplication on request_id.

    `received`: the accepted messages (dicts with id, request_id, to, subject, text), each request_id once.
    `requests`: every request seen (method, path, authorization, body, status), replays and failures included.
    Script failures with `fail_next()` and `reject()`; `delay` holds every answer back (after the decision),
    which makes the client time out on a message the gateway did accept.
    """

    def __init__(self, token: str = "test-token", *, delay: float = 0.0, id_prefix: str = "gw"):
        self.token = token
        self.delay = delay
        self.id_prefix = id_prefix
        self.lock = threading.Lock()
        self.received: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._accepted: dict[str, dict[str, Any]] = {}  # request_id → the received entry
        self._failures: list[dict[str, Any]] = []  # scripted answers, consumed one per request
        self._rules: dict[str, dict[str, Any]] = {}  # recipient → a refusal
        self._counter = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Scripting --------------------------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int = 503,
        times: int = 1,
        *,
        error: str = "unavailable",
        message: str = "scripted failure",
        retry_after: int | str | None = None,
    ) -> None:
        """Answer the next `times` requests (any recipient, before authentication) with `status`."""
        failure = {"status": status, "error": error, "message": message, "retry_after": retry_after}
        with self.lock:
            self._failures.extend(dict(failure) for _ in range(times))

    def reject(
        self, to: str, status: int = 422, error: str = "invalid_recipient", message: str = "scripted refusal"
    ) -> None:
        """Refuse every new message for recipient `to` with `status` and `{"error": error, "message": message}`."""
        with self.lock:
            self._rules[to] = {"status": status, "error": error, "message": message}

    def reset(self) -> None:
        """Forget messages, requests, scripted failures and rules (the token and delay stay)."""
        with self.lock:
            self.received.clear()
            self.requests.clear()
            self._accepted.clear()
            self._failures.clear()
            self._rules.clear()

    # Reading ----------------------------------------------------------------------------------------------------

    def wait_for(self, count: int, timeout: float = 10) -> bool:
        """Wait until at least `count` messages were accepted; whether they were."""
        return _wait(lambda: len(self.received) >= count, timeout)

    def received_for(self, to: str) -> list[dict[str, Any]]:
        with self.lock:
            return [entry for entry in self.received if entry["to"] == to]

    # Life cycle -------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the gateway server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> GatewayServer:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self), bind_and_activate=False)
        server.daemon_threads = True
        server.request_queue_size = 128  # many workers may connect at once
        server.server_bind()
        server.server_activate()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="gateway-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> GatewayServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # The contract -----------------------------------------------------------------------------------------------

    def answer(self, method: str, path: str, authorization: str, body: bytes) -> tuple[int, dict, dict[str, str]]:
        """Decide one request: (status, JSON answer, extra headers). Records it in `requests`."""
        try:
            payload: Any = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            payload = None
        with self.lock:
            status, answer, headers = self._decide(method, path, authorization, body, payload)
            self.requests.append(
                {
                    "method": method,
                    "path": path,
                    "authorization": authorization,
                    "body": payload if payload is not None else body.decode("utf-8", "replace"),
                    "status": status,
                    "at": time.time(),
                }
            )
        return status, answer, headers

    def _decide(self, method, path, authorization, body, payload) -> tuple[int, dict, dict[str, str]]:
        if path.rstrip("/") != "/messages":
            return 404, {"error": "not_found", "message": f"no such path {path}"}, {}
        if method != "POST":
            return 405, {"error": "method_not_allowed", "message": "POST only"}, {"Allow": "POST"}
        if self._failures:
            failure = self._failures.pop(0)
            headers = {"Retry-After": str(failure["retry_after"])} if failure["retry_after"] is not None else {}
            return failure["status"], {"error": failure["error"], "message": failure["message"]}, headers
        if authorization != f"Bearer {self.token}":
            return 401, {"error": "unauthorized", "message": "missing or wrong bearer token"}, {}
        if not isinstance(payload, dict):
            return 400, {"error": "invalid_json", "message": "the body is not a JSON object"}, {}
        fields = {name: payload.get(name) for name in ("request_id", "to", "subject", "text")}
        if not all(isinstance(value, str) for value in fields.values()) or not all(
            fields[name].strip() for name in ("request_id", "to", "text")
        ):
            return 422, {"error": "invalid_request", "message": "request_id, to and text are required strings"}, {}
        previous = self._accepted.get(fields["request_id"])
        if previous is not None:
            if any(previous[name] != fields[name] for name in ("to", "subject", "text")):
                return 409, {"error": "request_id_conflict", "message": "request_id reused for another message"}, {}
            return 200, {"id": previous["id"], "status": "accepted"}, {}
        rule = self._rules.get(fields["to"])
        if rule is not None:
            return rule["status"], {"error": rule["error"], "message": rule["message"]}, {}
        self._counter += 1
        entry = {"id": f"{self.id_prefix}-{self._counter:06d}", **fields, "at": time.time()}
        self._accepted[fields["request_id"]] = entry
        self.received.append(entry)
        return 201, {"id": entry["id"], "status": "accepted"}, {}


def _handler_for(gateway: GatewayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "InvestDeskTestGateway/1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            status, answer, headers = gateway.answer(
                self.command, self.path.split("?")[0], self.headers.get("Authorization", ""), body
            )
            if gateway.delay:
                time.sleep(gateway.delay)
            content = json.dumps(answer, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(content)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)
            except OSError:  # the client gave up (timed out); the decision stands
                pass

        do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


# --- SMTP ------------------------------------------------------------------------------------------------------


class SmtpInbox:
    """An aiosmtpd handler collecting messages as (envelope recipients, parsed message).

    `refuse(address)` answers RCPT for that address with an error code; `delay` holds back the answer to DATA
    (after the message was recorded), which makes the client time out on a message the server did take.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._raw: list[tuple[list[str], bytes]] = []  # parsed when read: parsing is slower than receiving
        self._parsed: list[tuple[list[str], email.message.Message]] = []
        self.peers: list[tuple[str, int]] = []  # the client address of each message: distinct = connections
        self.delay = 0.0
        self.host = "127.0.0.1"
        self.port = 0
        self._refusals: dict[str, str] = {}

    def refuse(self, address: str, code: int = 550, text: str = "5.1.1 mailbox unavailable") -> None:
        """Answer `RCPT TO:<address>` with `code text` (4xx: try later, 5xx: refused)."""
        with self.lock:
            self._refusals[address.lower()] = f"{code} {text}"

    @property
    def messages(self) -> list[tuple[list[str], email.message.Message]]:
        """The messages received so far, in order: (envelope recipients, parsed message). A new list each time."""
        with self.lock:
            for recipients, content in self._raw[len(self._parsed) :]:
                self._parsed.append((recipients, email.message_from_bytes(content, policy=email.policy.default)))
            return list(self._parsed)

    @property
    def count(self) -> int:
        """How many messages arrived (cheap: nothing is parsed)."""
        with self.lock:
            return len(self._raw)

    def wait_for(self, count: int, timeout: float = 10) -> bool:
        """Wait until at least `count` messages arrived; whether they did."""
        return _wait(lambda: self.count >= count, timeout)

    def by_message_id(self, message_id: str) -> list[email.message.Message]:
        return [message for _rcpt, message in self.messages if message["Message-ID"] == message_id]

    def clear(self) -> None:
        with self.lock:
            self._raw.clear()
            self._parsed.clear()
            self.peers.clear()

    @property
    def email_url(self) -> str:
        """The EMAIL_URL for this server (for worker subprocesses)."""
        return f"smtp://{self.host}:{self.port}?timeout=10"

    def django_settings(self) -> dict[str, Any]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 10,
        }

    def configure(self, settings: Any) -> None:
        """Point Django's email settings here (pytest-django's `settings` fixture, or any settings object)."""
        for name, value in self.django_settings().items():
            setattr(settings, name, value)

    # aiosmtpd hooks

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options: list[str]) -> str:
        with self.lock:
            refusal = self._refusals.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self._raw.append((list(envelope.rcpt_tos), envelope.content))
            self.peers.append(tuple(session.peer[:2]))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"


@contextlib.contextmanager
def smtp_server() -> Iterator[SmtpInbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, yielding its `SmtpInbox`."""
    from aiosmtpd.controller import Controller  # a test dependency

    inbox = SmtpInbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
