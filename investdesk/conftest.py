"""Shared personas for the whole suite. Permission tests read like sentences:

* `owner` and `colleague` work in the Chengdu city bureau (成都市投资促进局);
* `outsider` works in the Mianyang city bureau and should have no access to Chengdu's records;
* `leader` is a bureau leader and sees everything; `admin` (system administrator) manages units and
  people, `secadmin` (security administrator) roles and grants, `auditor` reads the audit log;
* `sysadmin` (a system administrator) and `reader` (an observer) sit in the Chengdu bureau: they see
  its records but not personal data in full;
* `dispatcher` is in the enterprise service division; `partner` handles cases at 经信厅;
* `observer` may read their division's records but never change anything.
"""

import datetime
import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.servers.basehttp import WSGIServer
from django.db import connection, connections
from django.test.testcases import LiveServerThread
from django.test.utils import override_settings

from investdesk.core import auditguard
from investdesk.core.models import Role, Unit
from investdesk.core.tests.factories import PASSWORD, UnitFactory, UserFactory
from investdesk.enterprises import services as enterprise_services


def _flush_past_audit_guard(original):
    """Transactional tests (live server, real threads) empty every table afterwards, which the audit
    log's append-only triggers rightly refuse: in tests only, the flush lifts them and puts them back."""

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if auditguard.TABLE not in tables:
            return sql
        vendor = self.connection.vendor
        return [*auditguard.drop_sql(vendor), *sql, *auditguard.install_sql(vendor)]

    return sql_flush


_ops = type(connection.ops)  # the configured backend's operations class
_ops.sql_flush = _flush_past_audit_guard(_ops.sql_flush)


class _SerialWSGIServer(WSGIServer):
    """One request at a time. On SQLite the suite's database is in memory and the live server's
    threads all share its one connection: two requests in parallel (a page and its htmx call) would
    interleave transactions on it ("cannot start a transaction within a transaction"). Django's
    server closes each connection when it is not threaded, so the browser never holds it."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


if connection.vendor == "sqlite":
    LiveServerThread.server_class = _SerialWSGIServer


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Personas' passwords hashed with MD5 in the suite's own process: Django's PBKDF2 costs about half
    a second a hash here, and a test with six personas spent three seconds creating them. Stored
    PBKDF2 hashes still verify (those hashers stay listed). The app served by gunicorn for the load
    and fault tests runs in processes of its own, with the real hashers."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher", *django_settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture
def units(db):
    bureau = UnitFactory(code="bureau", name="四川省经济合作局", kind=Unit.Kind.BUREAU)
    return SimpleNamespace(
        bureau=bureau,
        office=UnitFactory(code="general-office", name="办公室", kind=Unit.Kind.DIVISION, parent=bureau),
        service=UnitFactory(code="enterprise-service", name="企业服务处", kind=Unit.Kind.DIVISION, parent=bureau),
        planning=UnitFactory(code="planning", name="综合规划处", kind=Unit.Kind.DIVISION, parent=bureau),
        chengdu=UnitFactory(code="chengdu", name="成都市投资促进局", short_name="成都市", parent=bureau),
        mianyang=UnitFactory(code="mianyang", name="绵阳市投资促进局", short_name="绵阳市", parent=bureau),
        jingxin=UnitFactory(code="jingxin", name="四川省经济和信息化厅", kind=Unit.Kind.PARTNER),
    )


@pytest.fixture
def owner(units):
    return UserFactory(username="alice", name="刘洋", unit=units.chengdu, mobile="13812345678")


@pytest.fixture
def colleague(units):
    return UserFactory(username="bob", name="杨帆", unit=units.chengdu, mobile="13912345678")


@pytest.fixture
def outsider(units):
    return UserFactory(username="mallory", name="何琳", unit=units.mianyang, mobile="13712345678")


@pytest.fixture
def leader(units):
    return UserFactory(username="leader", name="李明远", unit=units.bureau, role=Role.LEADER)


@pytest.fixture
def admin(units):
    return UserFactory(username="admin", name="周建国", unit=units.office, role=Role.ADMIN, is_staff=True)


@pytest.fixture
def sysadmin(units):
    """A system administrator in the Chengdu bureau: may edit its records, may not see personal data."""
    return UserFactory(username="sysadmin", name="吴刚", unit=units.chengdu, role=Role.ADMIN)


@pytest.fixture
def reader(units):
    """A read-only observer in the Chengdu bureau: sees its records, not personal data in full."""
    return UserFactory(username="reader", name="周敏", unit=units.chengdu, role=Role.OBSERVER)


@pytest.fixture
def secadmin(units):
    return UserFactory(username="security", name="钱慧", unit=units.office, role=Role.SECURITY_ADMIN)


@pytest.fixture
def auditor(units):
    return UserFactory(username="auditor", name="郑伟", unit=units.office, role=Role.AUDIT_ADMIN)


@pytest.fixture
def dispatcher(units):
    return UserFactory(username="dispatcher", name="张静", unit=units.service, role=Role.DISPATCHER)


@pytest.fixture
def partner(units):
    return UserFactory(username="jingxin", name="赵磊", unit=units.jingxin)


@pytest.fixture
def observer(units):
    return UserFactory(username="observer", name="孙敏", unit=units.planning, role=Role.OBSERVER)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def client_for(client):
    """`client_for(user)`: the test client signed in as that user (second factor already proven)."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    # Browser tests need Debian's chromium. CI installs it (.ci/run) and there a missing browser
    # fails loudly; on a developer machine without it they are skipped with the reason.
    if os.path.exists(CHROMIUM) or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (`apt-get install chromium`)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item (`item.report_call`, …): the `page` fixture's
    teardown reads it to know whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "test-screenshots"


def _screenshot_on_failure(request, page) -> None:
    """When a browser test failed, the page as it was then, full length, for whoever reads the failure:
    in $TEST_SCREENSHOTS_DIR (CI keeps it) or var/test-screenshots/ of the repository."""
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    folder = Path(os.environ.get("TEST_SCREENSHOTS_DIR") or SCREENSHOTS)
    path = folder / (re.sub(r"[^\w.-]+", "_", request.node.nodeid).strip("_")[:200] + ".png")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True, timeout=10_000)
    except Exception as exc:  # the browser may be what broke: say so, and keep the test's own error
        message = f"could not take a screenshot: {exc!r}"
    else:
        message = f"screenshot of the page at the failure: {path}"
    report.sections.append(("browser", message))


@pytest.fixture
def page(request, live_server, monkeypatch, settings):
    from playwright.sync_api import sync_playwright

    # The live server serves static files through the finders, which know the source names,
    # not the hashed names of the manifest storage production uses.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    # Playwright's sync API runs an event loop in this thread; the ORM calls our fixtures make
    # from the same thread are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        # Chromium asks each page for /favicon.ico, which the app does not serve. Answered here, the
        # request never reaches the live server at a moment the test does not choose (on SQLite the
        # server shares the test's database connection).
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        _screenshot_on_failure(request, page)
        browser.close()
        # The test's ORM calls ran in Playwright's context, where Django keeps connections of its own:
        # closed here, or PostgreSQL refuses to drop the test database at the end of the run.
        connections.close_all()


# --- shared records: an enterprise of Chengdu and one of Mianyang ---------------------------------


@pytest.fixture
def industry(db):
    from investdesk.enterprises.models import Industry

    # Seeded by migration 0002; browser tests (transactional) flush it, so create it again then.
    industry, _ = Industry.objects.get_or_create(code="electronic-information", defaults={"name": "电子信息"})
    return industry


@pytest.fixture
def chengdu_enterprise(owner, industry):
    """比亚迪, registered by the Chengdu bureau, with a contact."""
    enterprise = enterprise_services.enterprise_create(
        actor=owner,
        name="比亚迪股份有限公司",
        name_en="BYD Company Limited",
        uscc="914403001922038216",
        city="chengdu",
        industry=industry,
        is_key=True,
        liaison=owner,
    )
    enterprise_services.contact_create(
        actor=owner,
        enterprise=enterprise,
        name="王磊",
        title="总经理",
        mobile="13812348888",
        email="wanglei@byd.example.com",
    )
    return enterprise


@pytest.fixture
def mianyang_enterprise(outsider, industry):
    return enterprise_services.enterprise_create(
        actor=outsider, name="四川长虹电器股份有限公司", uscc="91110000600037341L", city="mianyang", industry=industry
    )


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@pytest.fixture
def holidays_known(tmp_path):
    """A HOLIDAYS_FILE knowing this year and the next, whatever year the test runs in: a deployment
    that keeps its calendar (lib/workdays.py), so `check --deploy` has no W020 to say."""
    year = datetime.date.today().year
    path = tmp_path / "holidays.csv"
    path.write_text(f"{year}-01-01,休,元旦\n{year + 1}-01-01,休,元旦\n", encoding="utf-8")
    return path
