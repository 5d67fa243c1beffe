"""Sign-in, lockout, idle timeout, forced password change, second factor; each leaves an audit row."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from investdesk.core.models import AuditEntry


def _login(client, username, password):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3")


def test_sign_in_and_out_are_audited(client, owner, password):
    response = _login(client, "alice", password)
    assert response.status_code == 302 and response["Location"] == "/"
    login = AuditEntry.objects.get(action="login")
    assert login.actor == owner and login.ip == "10.1.2.3"
    client.post("/logout/")
    assert AuditEntry.objects.filter(action="logout", actor=owner).exists()


def test_wrong_password_is_refused_and_audited(client, owner):
    response = _login(client, "alice", "not-the-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.actor_username == "alice" and failed.ip == "10.1.2.3"


def test_five_failures_lock_the_account_for_fifteen_minutes(client, owner, password):
    for _ in range(4):
        assert _login(client, "alice", "wrong").status_code == 200
    assert _login(client, "alice", "wrong").status_code == 429
    # Even the right password is refused while locked.
    assert _login(client, "alice", password).status_code == 429
    assert AuditEntry.objects.filter(action="lockout", actor_username="alice").exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert _login(client, "alice", password).status_code == 302


def test_lockout_is_per_account_and_ip(client, owner, colleague, password):
    for _ in range(5):
        _login(client, "alice", "wrong")
    assert (
        client.post("/login/", {"username": "alice", "password": password}, REMOTE_ADDR="10.9.9.9").status_code == 302
    )


def test_an_administrator_unlocks_an_account(client, owner, admin, password):
    for _ in range(5):
        _login(client, "alice", "wrong")
    client.force_login(admin)
    client.post(f"/manage/people/{owner.pk}/unlock/")
    client.logout()
    assert _login(client, "alice", password).status_code == 302


def test_idle_session_expires_after_thirty_minutes(client, owner):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(owner)
        assert client.get("/").status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200  # activity renews the session
        traveller.shift(timedelta(minutes=31))
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_initial_password_must_be_changed_before_anything_else(client, owner, password):
    owner.must_change_password = True
    owner.save()
    _login(client, "alice", password)
    response = client.get("/directory/")
    assert response.status_code == 302 and response["Location"] == "/account/password/"
    new = "Tianfu-Guo-2022!"
    response = client.post("/account/password/", {"old_password": password, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert not owner.must_change_password and owner.check_password(new)
    assert client.get("/directory/").status_code == 200


def test_password_change_names_what_is_wrong(client, owner, password):
    client.force_login(owner)
    response = client.post(
        "/account/password/", {"old_password": "nope", "new_password1": "short", "new_password2": "different"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "old_password" in form.errors and "new_password2" in form.errors
    owner.refresh_from_db()
    assert owner.check_password(password)


def _device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device, at=None) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_second_factor_is_asked_after_the_password(client, owner, password):
    device = _device(owner)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert _login(client, "alice", password)["Location"] == "/"
        assert client.get("/")["Location"] == "/login/otp/"
        assert client.get("/api/v1/me").status_code == 401  # the session does not count yet
        response = client.post("/login/otp/", {"token": "000000" if _code(device) != "000000" else "111111"})
        assert response.status_code == 200 and "token" in response.context["form"].errors
        assert AuditEntry.objects.filter(action="login_failed", actor=owner).exists()
        traveller.shift(timedelta(seconds=3))  # django-otp throttles attempts after a failure
        assert client.post("/login/otp/", {"token": _code(device)}).status_code == 302
        assert client.get("/").status_code == 200


def test_a_totp_code_works_only_once(client, owner, password):
    device = _device(owner)
    with time_machine.travel(timezone.now(), tick=False):
        code = _code(device)
        _login(client, "alice", password)
        assert client.post("/login/otp/", {"token": code}).status_code == 302
        client.post("/logout/")
        _login(client, "alice", password)
        assert client.post("/login/otp/", {"token": code}).status_code == 200  # replay refused


@override_settings(OTP_REQUIRED_FOR_ADMINS=True)
def test_administrators_must_enrol_a_second_factor_when_required(client, admin, password):
    _login(client, "admin", password)
    assert client.get("/manage/people/")["Location"] == "/account/otp/"
    page = client.get("/account/otp/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    assert client.post("/account/otp/", {"token": _code(device)}).status_code == 302
    assert client.get("/manage/people/").status_code == 200


@pytest.mark.parametrize("path", ["/", "/directory/", "/manage/people/", "/manage/audit/", "/account/"])
def test_pages_require_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
