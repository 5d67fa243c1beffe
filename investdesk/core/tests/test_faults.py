"""Faults of issue 10 against InvestDesk served by gunicorn (core/tests/served.py):

* the database going away in the middle of a write answers a clear 503 (page, or the API's error
  shape), writes nothing, and the next requests work again once it is back: on PostgreSQL a TCP proxy
  between the app and the server cuts every connection just as the write is under way and stops
  listening; on SQLite another process holds the write lock past the timeout;
* two people saving the same enterprise: the second is told in Chinese, and the first one's change is
  kept. (A worker killed mid-campaign: investdesk/outreach/tests, exactly-once delivery.)

And the 503 answers themselves, in process.
"""

import json
import re
import socket
import sqlite3
import threading
import urllib.parse
from contextlib import suppress
from types import SimpleNamespace

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils import translation

from investdesk.core.loadtest import Browser, find_form, form_data
from investdesk.core.middleware import DatabaseUnavailableMiddleware
from investdesk.core.tests.served import (
    PASSWORD,
    POSTGRES,
    fresh_database,
    investdesk,
    postgres_address,
    postgres_url,
    query,
    served,
    server_env,
)
from investdesk.core.views import bad_request, server_error

UNAVAILABLE = "数据库暂时不可用"  # the start of the 503 message in Chinese
CONFLICT = "您打开此记录后，已有他人修改并保存。请刷新页面后重新修改。"

# --- the 503 answers ----------------------------------------------------------------------------


def _middleware():
    return DatabaseUnavailableMiddleware(lambda request: HttpResponse("ok"))


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("closed")])
def test_a_view_that_loses_the_database_answers_503_with_a_page_saying_nothing_was_saved(rf, error, caplog):
    request = rf.post("/enterprises/7/visits/new/")
    with translation.override("zh-hans"):
        response = _middleware().process_exception(request, error)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    page = response.content.decode()
    assert f"{UNAVAILABLE}，请稍后重试；您刚才的操作没有保存。" in page and 'href="/enterprises/7/visits/new/"' in page
    assert "<script" not in page and "<style" not in page  # the strict CSP holds
    assert "Database unavailable at POST /enterprises/7/visits/new/" in caplog.text


def test_the_api_answers_503_in_its_error_shape(rf):
    with translation.override("en"):
        response = _middleware().process_exception(rf.get("/api/v1/enterprises"), OperationalError("gone"))
    message = "The database is unavailable for a moment. Please try again shortly; what you just did was not saved."
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert json.loads(response.content) == {
        "detail": message,
        "errors": [{"field": None, "message": message, "code": "unavailable"}],
    }


def test_other_errors_are_left_to_django(rf):
    assert _middleware().process_exception(rf.get("/"), ValueError("a bug")) is None


def test_a_database_error_outside_a_view_also_answers_503_and_anything_else_500(rf):
    request = rf.get("/cases/")
    try:  # Django calls the 500 handler while it handles the exception (here: the session's load)
        raise OperationalError("could not connect to server")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


def test_a_session_that_could_not_be_saved_for_a_database_error_answers_503_not_400(rf):
    """Django reports a session whose save failed as deleted (SessionInterrupted, a 400), whatever the
    database error: the 400 handler finds the database error behind it."""
    request = rf.get("/enterprises/")
    # Chained as Django raises them: each while handling the one before (sessions/backends/db.py, middleware.py).
    update = UpdateError()
    update.__context__ = OperationalError("database is locked")
    interrupted = SessionInterrupted("The request's session was deleted before the request completed.")
    interrupted.__context__ = update
    assert bad_request(request, interrupted).status_code == 503
    assert bad_request(request, SessionInterrupted("deleted")).status_code == 400


# --- a served site --------------------------------------------------------------------------------

# Units, two colleagues of the Chengdu bureau (load01, load02) and an enterprise of theirs; an API
# token of load01.
SEED = f"""
from investdesk.core import demo, loadtest, services
from investdesk.core.models import User
from investdesk.enterprises.services import enterprise_create
demo.load_units()
loadtest.create_accounts(count=2, password={PASSWORD!r})
alice = User.objects.get(username="load01")
enterprise = enterprise_create(actor=alice, name="蜀道精密装备有限公司", city="chengdu", note="")
print("enterprise", enterprise.pk, "token", services.api_token_create(user=alice, name="faults")[1])
"""


class TcpProxy:
    """A TCP proxy to PostgreSQL that can cut every connection and stop listening (the server going
    away), at once or when the app sends a given statement, and listen again (the server back)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.cut_on: bytes | None = None
        self.sent_before_cut = b""  # what the app sent while the cut was armed
        self.was_cut = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        probe = socket.create_server(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()

    def start(self) -> None:
        self.was_cut.clear()
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            self.cut_on = None
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()
        self.was_cut.set()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed: cut
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, watch: bool) -> None:
        tail = b""
        try:
            while data := source.recv(65536):
                if watch and self.cut_on:
                    if self.cut_on in tail + data:
                        self.cut()  # the statement never reaches the server
                        return
                    self.sent_before_cut += data
                tail = data[-200:]
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    with fresh_database("faults", tmp) as database_url:
        env = server_env(tmp / "var", database_url)
        investdesk(env, "migrate", "--noinput", "-v0")
        seeded = re.search(r"enterprise (\d+) token (\S+)", investdesk(env, "shell", "-c", SEED).stdout)
        proxy = None
        if POSTGRES:  # the app reaches PostgreSQL through the proxy (in clear, so it can watch)
            proxy = TcpProxy(postgres_address())
            proxy.start()
            name = urllib.parse.urlsplit(database_url).path.lstrip("/")
            env["DATABASE_URL"] = postgres_url(name, host="127.0.0.1", port=proxy.port, sslmode="disable")
        # One worker, one thread: the connection that breaks is the one the next request finds.
        env["DB_SQLITE_TIMEOUT"] = "1"
        log = tmp / "gunicorn.log"
        try:
            with served(env, log, workers=1, threads=1) as base:
                yield SimpleNamespace(
                    base=base,
                    database_url=database_url,
                    proxy=proxy,
                    enterprise=int(seeded.group(1)),
                    token=seeded.group(2),
                    log=log,
                )
        finally:
            if proxy:
                proxy.cut()


def _signed_in(site, username: str) -> Browser:
    browser = Browser(site.base, timeout=30)
    page = browser.request("GET", "/login/")
    data = {**form_data(find_form(page.body, "username")), "username": username, "password": PASSWORD}
    assert browser.request("POST", "/login/", data=data).url == f"{site.base}/"
    return browser


def _visits(site) -> int:
    sql = "SELECT COUNT(*) FROM enterprises_visit WHERE enterprise_id = %s"
    return query(site.database_url, sql, (site.enterprise,))[0][0]


def _audit_entries(site) -> int:
    return query(site.database_url, "SELECT COUNT(*) FROM core_auditentry")[0][0]


def _visit_form(site, browser: Browser, summary: str) -> tuple[str, dict]:
    page = browser.request("GET", f"/enterprises/{site.enterprise}/visits/new/")
    assert page.status == 200
    return page.url, {**form_data(find_form(page.body, "summary")), "summary": summary, "mode": "phone"}


def _api_visit(site, summary: str):
    """A script writing a visit through the API with a bearer token (no session)."""
    return Browser(site.base, timeout=30).request(
        "POST",
        "/api/v1/visits",
        json_data={"enterprise_id": site.enterprise, "visited_on": "2022-09-15", "summary": summary},
        headers={"Authorization": f"Bearer {site.token}"},
    )


def _assert_unavailable(answer, *, api: bool = False) -> None:
    assert answer.status == 503, (answer.status, answer.body[:500])
    assert answer.headers.get("Retry-After") == "30"
    if api:
        body = json.loads(answer.body)
        assert body["errors"] == [{"field": None, "message": body["detail"], "code": "unavailable"}]
    else:
        assert UNAVAILABLE in answer.body and "您刚才的操作没有保存" in answer.body


def _assert_recovered(site, browser: Browser, visits_before: int) -> None:
    assert browser.request("GET", "/enterprises/").status == 200
    url, data = _visit_form(site, browser, "恢复后：电话回访，企业生产正常。")
    saved = browser.request("POST", url, data=data, referer=url)
    assert saved.status == 200 and re.search(r"/enterprises/visits/\d+/$", saved.url), saved.url
    assert _api_visit(site, "恢复后：脚本写入的走访。").status == 201
    assert _visits(site) == visits_before + 2
    assert browser.request("GET", "/healthz").status == 200


@pytest.mark.skipif(not POSTGRES, reason="the PostgreSQL fault (the suite runs on SQLite)")
def test_postgresql_going_away_mid_write_answers_503_writes_nothing_and_recovers(site):
    alice = _signed_in(site, "load01")
    url, data = _visit_form(site, alice, "断线时记录的走访，不应保存。")
    visits, entries = _visits(site), _audit_entries(site)
    # The visit's row is sent; when its audit entry follows, in the same transaction, the server "dies".
    site.proxy.cut_on = b'INSERT INTO "core_auditentry"'
    try:
        answer = alice.request("POST", url, data=data, referer=url)
        assert site.proxy.was_cut.is_set() and b'INSERT INTO "enterprises_visit"' in site.proxy.sent_before_cut
        _assert_unavailable(answer)
        assert (_visits(site), _audit_entries(site)) == (visits, entries)  # rolled back: no partial write

        # While it is away: pages (the session cannot be read), the API and /healthz answer 503.
        _assert_unavailable(alice.request("GET", "/enterprises/"))
        _assert_unavailable(_api_visit(site, "断线时脚本写入的走访，不应保存。"), api=True)
        assert alice.request("GET", "/healthz").status == 503
        assert _visits(site) == visits
    finally:
        site.proxy.start()  # back
    _assert_recovered(site, alice, visits)
    assert "Database unavailable at POST" in site.log.read_text()


@pytest.mark.skipif(POSTGRES, reason="the SQLite fault (the suite runs on PostgreSQL)")
def test_sqlite_locked_past_its_timeout_answers_503_writes_nothing_and_recovers(site):
    alice = _signed_in(site, "load01")
    url, data = _visit_form(site, alice, "锁定时记录的走访，不应保存。")
    visits = _visits(site)
    # Another process holds the write lock for longer than the app waits (DB_SQLITE_TIMEOUT=1).
    holder = sqlite3.connect(site.database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        answer = alice.request("POST", url, data=data, referer=url)
        _assert_unavailable(answer)
        assert "database is locked" not in answer.body  # the people's page, not the error text
        # Reading the enterprise list works, but saving the session after it cannot: 503 as well.
        _assert_unavailable(alice.request("GET", "/enterprises/"))
        _assert_unavailable(_api_visit(site, "锁定时脚本写入的走访，不应保存。"), api=True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _visits(site) == visits
    _assert_recovered(site, alice, visits)
    assert "Database unavailable at POST" in site.log.read_text()


def test_two_people_saving_the_same_enterprise_the_second_is_told_and_the_first_change_is_kept(site):
    alice, bob = _signed_in(site, "load01"), _signed_in(site, "load02")
    url = f"/enterprises/{site.enterprise}/edit/"
    forms = {}
    for browser in (alice, bob):  # both open the form before either saves
        page = browser.request("GET", url)
        forms[browser] = form_data(find_form(page.body, "version"))
    (version,) = forms[alice]["version"]
    forms[alice]["note"] = ["刘洋：企业计划明年扩产，已电话确认。"]
    forms[bob]["note"] = ["杨帆：企业反映用工紧张。"]

    saved = alice.request("POST", url, data=forms[alice])
    assert saved.status == 200 and saved.url == f"{site.base}/enterprises/{site.enterprise}/"
    refused = bob.request("POST", url, data=forms[bob])
    assert refused.status == 400 and CONFLICT in refused.body
    assert "杨帆：企业反映用工紧张。" in refused.body  # what Bob typed is still in his form, not lost

    note, stored_version = query(
        site.database_url, "SELECT note, version FROM enterprises_enterprise WHERE id = %s", (site.enterprise,)
    )[0]
    assert (note, stored_version) == ("刘洋：企业计划明年扩产，已电话确认。", int(version) + 1)
