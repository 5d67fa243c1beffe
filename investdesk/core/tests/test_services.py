import pytest

from investdesk.core import services
from investdesk.core.errors import ConflictError, DomainError
from investdesk.core.models import AuditEntry, Role, Unit, User

STRONG = "Shu-Dao-2022-nan"


def test_unit_create_sets_the_path_and_audits(units, admin):
    unit = services.unit_create(
        actor=admin, name="青白江区投资促进局", code="qingbaijiang", kind=Unit.Kind.CITY, parent=units.chengdu
    )
    assert unit.path == f"{units.chengdu.path}{unit.pk}/"
    entry = AuditEntry.objects.get(action="create", target_type="core.unit", target_id=str(unit.pk))
    assert entry.actor == admin
    assert entry.changes["name"] == [None, "青白江区投资促进局"]


def test_moving_a_unit_reroots_its_subtree(units, admin):
    district = services.unit_create(
        actor=admin, name="高新区", code="gaoxin", kind=Unit.Kind.CITY, parent=units.chengdu
    )
    services.unit_update(actor=admin, unit=units.chengdu, version=units.chengdu.version, parent=units.service)
    district.refresh_from_db()
    assert district.path.startswith(units.service.path)


def test_a_unit_cannot_move_under_itself(units, admin):
    district = services.unit_create(
        actor=admin, name="高新区", code="gaoxin", kind=Unit.Kind.CITY, parent=units.chengdu
    )
    with pytest.raises(DomainError) as exc:
        services.unit_update(actor=admin, unit=units.chengdu, version=None, parent=district)
    assert exc.value.field == "parent"


def test_duplicate_unit_code_names_the_field(units, admin):
    with pytest.raises(DomainError) as exc:
        services.unit_create(actor=admin, name="又一个成都", code="chengdu", kind=Unit.Kind.CITY)
    assert exc.value.field == "code"
    assert Unit.objects.filter(code="chengdu").count() == 1


def test_a_stale_version_is_a_conflict_and_nothing_changes(units, admin):
    services.unit_update(actor=admin, unit=units.chengdu, version=1, short_name="蓉")
    with pytest.raises(ConflictError):
        services.unit_update(actor=admin, unit=units.chengdu, version=1, short_name="成都")
    units.chengdu.refresh_from_db()
    assert units.chengdu.short_name == "蓉"
    assert units.chengdu.version == 2


def test_user_create_requires_password_change_and_normalises_mobile(units, admin):
    user = services.user_create(
        actor=admin,
        username="wangwu",
        name="王五",
        unit=units.chengdu,
        password=STRONG,
        mobile="+86 138-0000-1111",
    )
    assert user.must_change_password
    assert user.mobile == "13800001111"
    assert user.check_password(STRONG)
    assert "wangwu" in user.search_text and "ww" in user.search_text
    assert AuditEntry.objects.filter(action="create", target_id=str(user.pk)).exists()


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1A!", "too short"), ("alllowercaseletters", "one class only"), ("12345678901", "numeric")],
)
def test_weak_passwords_are_refused_and_nothing_is_saved(units, admin, password, reason):
    with pytest.raises(DomainError) as exc:
        services.user_create(actor=admin, username="weak", name="弱", unit=units.chengdu, password=password)
    assert exc.value.field == "password", reason
    assert not User.objects.filter(username="weak").exists()
    assert not AuditEntry.objects.filter(target_repr="弱").exists()


def test_bad_mobile_names_the_field(units, admin):
    with pytest.raises(DomainError) as exc:
        services.user_create(actor=admin, username="x1", name="甲", unit=units.chengdu, password=STRONG, mobile="12345")
    assert exc.value.field == "mobile"


def test_duplicate_username_is_refused_case_insensitively(units, admin, owner):
    with pytest.raises(DomainError) as exc:
        services.user_create(actor=admin, username="ALICE", name="重名", unit=units.chengdu, password=STRONG)
    assert exc.value.field == "username"


def test_user_update_audits_before_and_after(admin, owner):
    services.user_update(actor=admin, user=owner, version=owner.version, title="科长")
    entry = AuditEntry.objects.filter(action="update", target_id=str(owner.pk)).latest("at")
    assert entry.changes == {"title": ["", "科长"]}


def test_role_change_controls_django_admin_access(secadmin, owner):
    services.user_set_role(actor=secadmin, user=owner, version=None, role=Role.ADMIN, grants=[])
    owner.refresh_from_db()
    assert owner.is_staff


def test_an_admin_cannot_deactivate_themselves(admin):
    with pytest.raises(DomainError):
        services.user_update(actor=admin, user=admin, version=None, is_active=False)


def test_deactivating_a_person_ends_their_sessions(client, admin, owner):
    client.force_login(owner)
    assert client.get("/").status_code == 200
    services.user_update(actor=admin, user=owner, version=None, is_active=False)
    assert client.get("/").status_code == 302


def test_reset_password_forces_a_change_and_ends_sessions(client, admin, owner):
    client.force_login(owner)
    services.user_reset_password(actor=admin, user=owner, password=STRONG)
    owner.refresh_from_db()
    assert owner.must_change_password
    assert client.get("/").status_code == 302


def test_audit_entries_are_append_only(admin):
    entry = AuditEntry.objects.create(action="login", actor=admin, actor_username="admin")
    entry.note = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_api_token_is_stored_as_a_hash(owner):
    token, key = services.api_token_create(user=owner, name="report script")
    assert key.startswith("idk_")
    assert key not in token.key_hash
    assert token.key_prefix == key[:10]
    from investdesk.core.selectors import api_token_user

    assert api_token_user(key=key) == owner
    services.api_token_revoke(user=owner, token=token)
    assert api_token_user(key=key) is None
