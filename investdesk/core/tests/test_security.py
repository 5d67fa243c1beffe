"""MLPS 2.0 level 3 application items (docs/security.md maps each to these tests): separated
administrators, session control, password policy, and an audit log the database will not let
anyone quietly change."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from investdesk.core import auditguard, services
from investdesk.core.audit import audit_log, audit_prune, verify_chain
from investdesk.core.errors import DomainError
from investdesk.core.models import AuditEntry, LoginSession, Role, User

NEW = "Shu-Dao-2022-nan"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- three separated administrators (三权分立) -----------------------------------------------------


def test_the_system_administrator_manages_people_but_neither_roles_nor_the_audit_log(admin, owner, units):
    client = _signed_in(admin)
    assert client.get("/manage/people/").status_code == 200
    assert client.get(f"/manage/people/{owner.pk}/").status_code == 200
    assert client.get("/manage/audit/").status_code == 403
    assert client.get("/manage/audit/export.xlsx").status_code == 403
    assert client.get(f"/manage/people/{owner.pk}/role/").status_code == 403
    with pytest.raises(DomainError) as exc:
        services.user_create(actor=admin, username="x", name="新人", unit=units.chengdu, role=Role.LEADER, password=NEW)
    assert exc.value.field == "role"
    with pytest.raises(TypeError):
        services.user_update(actor=admin, user=owner, version=None, role=Role.LEADER)


def test_the_security_administrator_assigns_roles_and_nothing_else(secadmin, owner):
    client = _signed_in(secadmin)
    assert client.get("/manage/people/").status_code == 200
    assert client.get("/manage/people/new/").status_code == 403
    assert client.get(f"/manage/people/{owner.pk}/").status_code == 403
    assert client.get("/manage/audit/").status_code == 403
    response = client.post(
        f"/manage/people/{owner.pk}/role/",
        {"role": Role.DISPATCHER, "grants": ["export_personal"], "version": owner.version},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.role == Role.DISPATCHER and owner.grants == ["export_personal"]
    entry = AuditEntry.objects.get(action="role", target_id=str(owner.pk))
    assert entry.actor == secadmin and entry.changes["role"] == ["staff", "dispatcher"]
    # Never their own role: no one promotes themselves.
    response = client.post(
        f"/manage/people/{secadmin.pk}/role/", {"role": Role.LEADER, "grants": [], "version": secadmin.version}
    )
    assert response.status_code == 400
    secadmin.refresh_from_db()
    assert secadmin.role == Role.SECURITY_ADMIN


def test_the_audit_administrator_reads_and_exports_the_log_and_is_audited_doing_so(auditor, owner, admin):
    client = _signed_in(auditor)
    assert client.get("/manage/people/").status_code == 403
    assert client.get(f"/manage/people/{owner.pk}/role/").status_code == 403
    assert client.get("/manage/audit/", {"action": "login"}).status_code == 200
    response = client.get("/manage/audit/export.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "哈希链尚未校验" in client.get("/manage/audit/").content.decode()
    assert client.post("/manage/audit/verify/").status_code == 302
    page = client.get("/manage/audit/").content.decode()
    assert "哈希链最近校验于" in page and "完整" in page
    notes = list(AuditEntry.objects.filter(actor=auditor).values_list("action", "note"))
    assert ("audit", "read action=login") in notes
    assert any(action == "export" and note.startswith("audit log") for action, note in notes)
    # And cannot change what they audit, through the product or the database.
    entry = AuditEntry.objects.filter(actor=auditor).first()
    with pytest.raises(PermissionError):
        entry.delete()


def test_migrate_creates_no_account_and_the_first_administrator_needs_a_strong_password(db, monkeypatch):
    assert User.objects.count() == 0
    monkeypatch.setenv("INVESTDESK_ADMIN_PASSWORD", "admin123")
    with pytest.raises(CommandError, match="password"):
        call_command("createadmin", "--username", "root", stdout=io.StringIO())
    monkeypatch.setenv("INVESTDESK_ADMIN_PASSWORD", NEW)
    for username, role in (("sysadmin", "admin"), ("secadmin", "secadmin"), ("auditor", "auditor")):
        call_command("createadmin", "--username", username, "--role", role, stdout=io.StringIO())
    assert dict(User.objects.values_list("username", "role")) == {
        "sysadmin": "admin",
        "secadmin": "secadmin",
        "auditor": "auditor",
    }


# --- sessions -----------------------------------------------------------------------------------


def test_an_administrator_ends_all_of_a_persons_sessions_at_once(admin, owner, password):
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        device.post("/login/", {"username": "alice", "password": password})
        assert device.get("/").status_code == 200
    assert LoginSession.objects.filter(user=owner).count() == 2
    response = _signed_in(admin).post(f"/manage/people/{owner.pk}/sessions/end/")
    assert response.status_code == 302
    assert laptop.get("/").status_code == 302 and phone.get("/").status_code == 302
    assert not LoginSession.objects.filter(user=owner).exists()
    assert (
        AuditEntry.objects.get(action="session", target_id=str(owner.pk)).note == "ended by an administrator: 2 ended"
    )


def test_deactivating_ends_sessions_without_scanning_other_peoples(admin, owner, colleague, password):
    mine, theirs = Client(), Client()
    mine.post("/login/", {"username": "alice", "password": password})
    theirs.post("/login/", {"username": "bob", "password": password})
    services.user_update(actor=admin, user=owner, version=None, is_active=False)
    assert mine.get("/").status_code == 302
    assert theirs.get("/").status_code == 200


@override_settings(SESSION_ABSOLUTE_HOURS=12)
def test_a_session_ends_after_twelve_hours_however_active(owner, password):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.post("/login/", {"username": "alice", "password": password})
        for _ in range(28):  # busy all day: every 25 minutes, so the 30-minute idle timeout never strikes
            clock.shift(timedelta(minutes=25))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=25))  # 12 h 5 min after signing in
        response = client.get("/directory/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_changing_second_factor_or_contact_details_asks_for_the_password_again(owner, password):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.post("/login/", {"username": "alice", "password": password})
        assert client.get("/account/details/").status_code == 200  # just signed in
        clock.shift(timedelta(minutes=10))
        for path in ("/account/details/", "/account/otp/"):
            response = client.get(path)
            assert response.status_code == 302 and response["Location"].startswith("/account/confirm/")
        wrong = client.post("/account/confirm/?next=/account/details/", {"password": "nope"})
        assert wrong.status_code == 400
        assert client.post("/account/confirm/?next=/account/details/", {"password": password})["Location"] == (
            "/account/details/"
        )
        response = client.post("/account/details/", {"mobile": "139 0000 1111", "version": owner.version})
        assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.mobile == "13900001111"
    assert AuditEntry.objects.filter(action="update", target_id=str(owner.pk), note="own details").exists()


def test_the_confirmation_page_does_not_redirect_off_site(client_for, owner, password):
    client = client_for(owner)
    response = client.post("/account/confirm/?next=https://evil.example/", {"password": password})
    assert response["Location"] == "/account/"


# --- passwords ----------------------------------------------------------------------------------


def test_the_last_five_passwords_cannot_be_reused(owner, password):
    history = [f"Shu-Dao-{n}-Nan!" for n in range(6)]
    for new in history:
        services.user_change_own_password(user=owner, password=new)
    with pytest.raises(DomainError, match=r"last 5|最近5"):
        services.user_change_own_password(user=owner, password=history[-1])  # the current one
    with pytest.raises(DomainError):
        services.user_change_own_password(user=owner, password=history[1])  # fifth-last
    services.user_change_own_password(user=owner, password=history[0])  # sixth-last: allowed again
    assert owner.password_history.count() == 5


@override_settings(PASSWORD_MAX_AGE_DAYS=90)
def test_a_password_older_than_ninety_days_must_be_changed(owner, password):
    owner.password_changed_at = timezone.now()
    owner.save(update_fields=["password_changed_at"])
    client = Client()
    client.post("/login/", {"username": "alice", "password": password})
    assert client.get("/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        client.post("/login/", {"username": "alice", "password": password})
        response = client.get("/")
        assert response.status_code == 302 and response["Location"] == "/account/password/"
        assert b"90" in client.get("/account/password/").content


@pytest.mark.parametrize(
    "weak", ["P@ssw0rd2024!", "Admin@123456", "1qaz2WSX!@", "Qwerty-123456", "Woaini-5201314", "Abcd!23456789"]
)
def test_common_and_breached_patterns_are_refused(owner, weak):
    with pytest.raises(DomainError) as exc:
        services.user_change_own_password(user=owner, password=weak)
    assert exc.value.field == "password"


# --- an audit log nobody can quietly change --------------------------------------------------------


def _entries(owner, n=3):
    return [audit_log(actor=owner, action=AuditEntry.Action.EXPORT, note=f"rows={i}") for i in range(n)]


def test_the_database_refuses_to_update_or_delete_audit_rows(owner):
    entry = _entries(owner, 1)[0]
    for statement in (
        "UPDATE core_auditentry SET note = 'nothing happened' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(note="via the ORM")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE core_auditentry CASCADE")
    entry.refresh_from_db()
    assert entry.note == "rows=0"


def _as_database_owner(statement: str, params) -> None:
    """What someone with the database owner's rights could do: lift the guard, change, restore it."""
    with connection.cursor() as cursor:
        for sql in auditguard.drop_sql(connection.vendor):
            cursor.execute(sql)
        cursor.execute(statement, params)
        for sql in auditguard.install_sql(connection.vendor):
            cursor.execute(sql)


def test_the_hash_chain_finds_an_edited_entry(owner):
    entries = _entries(owner, 5)
    assert verify_chain().ok and verify_chain().checked >= 5
    _as_database_owner("UPDATE core_auditentry SET note = 'rows=999' WHERE id = %s", [entries[2].pk])
    report = verify_chain()
    assert not report.ok and report.broken_id == entries[2].pk and "changed" in report.reason
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_status:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    assert exit_status.value.code == 1 and f"BROKEN at entry {entries[2].pk}" in err.getvalue()


def test_the_hash_chain_finds_a_removed_entry(owner):
    entries = _entries(owner, 5)
    _as_database_owner("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    report = verify_chain()
    assert not report.ok and report.broken_id == entries[2].pk and "removed" in report.reason


def test_prune_keeps_six_months_and_the_chain_stays_verifiable(owner):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=400), tick=False):
        old = _entries(owner, 3)
    with time_machine.travel(now - timedelta(days=100), tick=False):
        young = _entries(owner, 2)
    with pytest.raises(CommandError, match="180"):
        call_command("audit", "prune", "--days", "30", stdout=io.StringIO())
    with pytest.raises(DomainError):
        audit_prune(days=179)
    assert audit_prune(days=365) == 3
    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert AuditEntry.objects.filter(pk__in=[e.pk for e in young]).count() == 2
    prune = AuditEntry.objects.get(action="audit", note="prune")
    assert prune.changes["removed"] == 3 and prune.changes["last_removed_hash"] == old[-1].hash
    assert verify_chain().ok
    # Removing the oldest remaining rows without a prune record is noticed.
    _as_database_owner("DELETE FROM core_auditentry WHERE id = %s", [young[0].pk])
    assert not verify_chain().ok


def test_the_audit_export_for_the_assessor_carries_the_hashes(owner, tmp_path):
    entries = _entries(owner, 2)
    out = tmp_path / "audit.jsonl"
    call_command("audit", "export", str(out), stdout=io.StringIO())
    lines = out.read_text(encoding="utf-8").splitlines()
    assert f'"hash": "{entries[1].hash}"' in lines[1]


def test_personal_data_in_audit_changes_is_masked(admin, owner):
    services.user_update(actor=admin, user=owner, version=None, mobile="13612345678")
    change = AuditEntry.objects.filter(action="update", target_id=str(owner.pk)).latest("id").changes["mobile"]
    assert "13612345678" not in str(change) and change[1] == "136****5678"
