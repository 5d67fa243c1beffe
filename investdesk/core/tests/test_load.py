"""The load test of issue 10: 50 users signed in through the login form run mixed journeys (reads,
searches, API calls and visits saved through the form) for 60 s against gunicorn, on the suite's
database (SQLite or PostgreSQL): no error, no "database is locked", and every visit they saved is
in the database. The per-journey p50/p95/max table is printed and written to
$VAR_DIR/loadtest/<database>.json. LOADTEST_SECONDS and LOADTEST_USERS may shorten it for local work.

Timings are reported, never asserted: the machine is shared.
"""

import json
import os
import time
from pathlib import Path

import pytest
from django.conf import settings

from investdesk.core import loadtest
from investdesk.core.models import AuditEntry, User
from investdesk.core.tests.served import PASSWORD, VENDOR, fresh_database, investdesk, query, served, server_env

SECONDS = float(os.environ.get("LOADTEST_SECONDS", "60"))
USERS = int(os.environ.get("LOADTEST_USERS", "50"))

# The demo's registry (1,300 enterprises with visits), its first 40 cases and its project pipelines,
# and the load-test accounts: the demo's other parts (outreach, emergency) would double the seeding time.
SEED = f"""
from investdesk.cases import demo as cases
from investdesk.core import demo as core, loadtest
from investdesk.enterprises import demo as enterprises
from investdesk.projects import demo as projects
core.load(); enterprises.load(); cases.load(count=40); projects.load()
loadtest.create_accounts(count={USERS}, password={PASSWORD!r})
"""


@pytest.mark.load
def test_fifty_users_for_a_minute_get_no_error_and_every_write_is_kept(tmp_path, capsys):
    phases = {}
    started = time.monotonic()
    with fresh_database("loadtest", tmp_path) as database_url:
        env = server_env(tmp_path / "var", database_url)
        investdesk(env, "migrate", "--noinput", "-v0")
        phases["migrate"] = time.monotonic() - started
        investdesk(env, "shell", "-c", SEED)
        phases["seed"] = time.monotonic() - started - phases["migrate"]
        out = tmp_path / "loadtest.json"
        log = tmp_path / "gunicorn.log"
        # Two workers of four threads on a two-core machine: eight requests in the database at once.
        with served(env, log, workers=2, threads=4) as base:
            result = investdesk(
                {**env, "LOADTEST_PASSWORD": PASSWORD},
                "loadtest",
                *("--base", base, "--users", str(USERS), "--seconds", str(SECONDS), "--json", str(out)),
                check=False,
                timeout=SECONDS + 600,
            )
        saved = query(database_url, "SELECT COUNT(*) FROM enterprises_visit WHERE summary LIKE %s", ("负载测试%",))
    phases["total"] = time.monotonic() - started
    summary = json.loads(out.read_text()) if out.exists() else {}
    _keep(summary)
    with capsys.disabled():
        print(f"\nLoad test on {VENDOR}: {USERS} users, {SECONDS:g} s")
        print(result.stdout)
        print("phases (s): " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in phases.items()))

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{log.read_text()[-5000:]}"
    assert summary["errors"] == 0 and summary["signed_in"] == USERS
    # Every journey of the mix ran, and every visit saved through the form is in the database.
    # The dashboard's panels: the first view of each scope fetches its sections on their own.
    requests = {*loadtest.WEIGHTS, "login", "create_token", "visit_form", "visit_save", "dashboard_section"}
    requests -= {"record_visit"}
    assert set(summary["journeys"]) == requests
    assert saved == [(summary["journeys"]["visit_save"]["count"],)]
    server_log = log.read_text()
    assert "database is locked" not in server_log and "Traceback" not in server_log


def _keep(summary: dict) -> None:
    """The figures under $VAR_DIR/loadtest/, where CI can pick them up."""
    folder = Path(settings.VAR_DIR) / "loadtest"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{VENDOR}.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# --- the load test's own parts ---------------------------------------------------------------------


def test_forms_are_submitted_as_a_browser_would():
    html = """<form method="post" action="/x/"><input type="hidden" name="csrfmiddlewaretoken" value="t">
      <input type="checkbox" name="is_key" checked><input type="checkbox" name="is_listed">
      <select name="mode"><option value="on_site">实地</option><option value="phone">电话</option></select>
      <select name="staff" multiple><option value="4">李明远</option><option value="6" selected>刘洋</option>
        <option value="12" selected>杨帆</option></select>
      <textarea name="summary">
第一行</textarea><button>保存</button></form>"""
    assert loadtest.form_data(loadtest.find_form(html, "summary")) == {
        "csrfmiddlewaretoken": ["t"],
        "is_key": ["on"],
        "mode": ["on_site"],
        "staff": ["6", "12"],
        "summary": ["第一行"],
    }
    with pytest.raises(loadtest.LoadTestError):
        loadtest.find_form(html, "version")


def test_what_counts_as_an_error():
    ok = loadtest.Response(200, "http://127.0.0.1:8000/enterprises/", "<html>")
    assert loadtest.problem(ok) is None
    assert loadtest.problem(loadtest.Response(503, ok.url, "")) == f"HTTP 503 at {ok.url}"
    assert "database is locked" in loadtest.problem(
        loadtest.Response(200, ok.url, "OperationalError: database is locked")
    )
    assert "sign-in" in loadtest.problem(loadtest.Response(200, "http://127.0.0.1:8000/login/?next=/", ""))
    assert loadtest.percentile([0.3, 0.1, 0.2, 0.4], 50) == 0.2 and loadtest.percentile([], 95) == 0.0
    assert loadtest.percentile([i / 100 for i in range(1, 101)], 95) == 0.95


def test_load_test_accounts_sign_in_with_the_password_given(units):
    assert loadtest.create_accounts(count=10, password=PASSWORD) == 10
    assert loadtest.create_accounts(count=10, password=PASSWORD) == 0  # those present are left alone
    people = User.objects.filter(username__startswith="load").order_by("username")
    assert [p.username for p in people][:2] == ["load01", "load02"] and people.count() == 10
    assert all(p.check_password(PASSWORD) and not p.must_change_password for p in people)
    assert {(p.unit.code, p.role) for p in people} >= {("chengdu", "staff"), ("bureau", "leader")}
    assert AuditEntry.objects.filter(target_id=str(people[0].pk), note="load-test account").exists()
