"""Every write to units, people, tokens and shares. Each function is atomic and audited."""

import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from investdesk.core import policy
from investdesk.core.audit import audit_log, diff, snapshot
from investdesk.core.errors import DomainError
from investdesk.core.fields import encrypted_changes, encrypted_values
from investdesk.core.models import ApiToken, AuditEntry, LoginSession, Notification, RecordShare, Role, Unit, User
from investdesk.core.passwords import remember_password
from investdesk.core.versioning import full_clean, lock_for_update
from investdesk.lib.chinese_text import search_key
from investdesk.lib.phones import normalize_mobile

# --- units --------------------------------------------------------------------------------------


def _unit_path(unit: Unit) -> str:
    return f"{unit.parent.path if unit.parent_id else '/'}{unit.pk}/"


@transaction.atomic
def unit_create(
    *,
    actor,
    name: str,
    code: str,
    kind: str,
    parent: Unit | None = None,
    short_name: str = "",
    sort_order: int = 100,
) -> Unit:
    unit = Unit(
        name=name.strip(),
        code=code.strip(),
        kind=kind,
        parent=parent,
        short_name=short_name.strip(),
        sort_order=sort_order,
    )
    full_clean(unit)
    unit.save()
    unit.path = _unit_path(unit)
    unit.save(update_fields=["path"])
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=unit, changes=diff({}, snapshot(unit)))
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, version: int | None, **fields) -> Unit:
    unit = lock_for_update(Unit, unit.pk, version)
    before = snapshot(unit)
    allowed = {"name", "short_name", "code", "kind", "parent", "sort_order", "is_active"}
    for key, value in fields.items():
        if key not in allowed:
            raise TypeError(f"unit_update does not change {key!r}")
        setattr(unit, key, value.strip() if isinstance(value, str) else value)
    new_parent = unit.parent
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise DomainError(_("A unit cannot be moved under itself or one of its sub-units."), field="parent")
    if fields.get("is_active") is False and unit.members.filter(is_active=True).exists():
        raise DomainError(_("This unit still has active people; move or deactivate them first."), field="is_active")
    full_clean(unit)
    old_path, unit.path = unit.path, _unit_path(unit)
    unit.version += 1
    unit.save()
    if old_path != unit.path:
        # Re-root the whole subtree so prefix matches keep working.
        for sub in Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
            sub.path = unit.path + sub.path[len(old_path) :]
            sub.save(update_fields=["path"])
    changes = diff(before, snapshot(unit))
    if changes:
        audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=unit, changes=changes)
    return unit


# --- people -------------------------------------------------------------------------------------


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from None


def _prepare_person(user: User) -> None:
    user.username = user.username.strip()
    user.name = user.name.strip()
    user.email = User.objects.normalize_email(user.email.strip())
    if user.mobile:
        normalized = normalize_mobile(user.mobile)
        if normalized is None:
            raise DomainError(_("Enter a mainland mobile number of 11 digits, e.g. 13812345678."), field="mobile")
        user.mobile = normalized
    user.is_staff = user.role == Role.ADMIN  # Django admin only for the system administrator
    user.search_text = search_key(user.name, user.username, user.title)
    if user.unit_id is None:
        raise DomainError(_("Choose the unit this person belongs to."), field="unit")
    if user.unit_id and not user.unit.is_active:
        raise DomainError(_("This unit is no longer active."), field="unit")


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    name: str,
    unit: Unit,
    role: str = Role.STAFF,
    password: str,
    email: str = "",
    mobile: str = "",
    title: str = "",
    office_phone: str = "",
    must_change_password: bool = True,
) -> User:
    """Create a person with an initial password they must change at first login.

    Roles other than staff are a security administrator's to give (`user_set_role`): a system
    administrator creates the account, the security administrator decides what it may do. Only the
    installation commands (no actor) create a person with another role directly.
    """
    if actor is not None:
        policy.require(actor, policy.Capability.MANAGE_PEOPLE)
        if role != Role.STAFF:
            raise DomainError(
                _("Only a security administrator assigns roles; create the person as staff."), field="role"
            )
    if User.objects.filter(username__iexact=username.strip()).exists():
        raise DomainError(_("This username is already taken."), field="username")
    user = User(
        username=username,
        name=name,
        unit=unit,
        role=role,
        email=email,
        mobile=mobile,
        title=title,
        office_phone=office_phone,
        must_change_password=must_change_password,
    )
    _prepare_person(user)
    _validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    full_clean(user, exclude=["password"])
    user.save()
    remember_password(user, settings.PASSWORD_HISTORY)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=user, changes=diff({}, snapshot(user)))
    return user


@transaction.atomic
def user_update(*, actor, user: User, version: int | None, **fields) -> User:
    policy.require(actor, policy.Capability.MANAGE_PEOPLE)
    if actor.pk == user.pk and fields.get("is_active") is False:
        raise DomainError(_("You cannot deactivate yourself."), field="is_active")
    allowed = {"name", "unit", "email", "mobile", "title", "office_phone", "is_active"}
    user, was_active = _person_update(actor=actor, user=user, version=version, allowed=allowed, fields=fields)
    if was_active and not user.is_active:
        sessions_end_for_user(actor=actor, user=user, reason="deactivated")
    return user


def _person_update(*, actor, user: User, version: int | None, allowed: set, fields: dict, note: str = ""):
    """Lock, change the `allowed` fields, validate, save and audit a person; returns the person and
    whether they were active before."""
    user = lock_for_update(User, user.pk, version)
    before, plain_before = snapshot(user), encrypted_values(user)
    for key, value in fields.items():
        if key not in allowed:
            raise TypeError(f"this update does not change {key!r}")
        setattr(user, key, value)
    _prepare_person(user)
    full_clean(user, exclude=["password"])
    user.version += 1
    user.save()
    changes = diff(before, snapshot(user)) | encrypted_changes(plain_before, user)
    if changes:
        audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=user, changes=changes, note=note)
    return user, before["is_active"]


@transaction.atomic
def user_set_role(*, actor, user: User, version: int | None, role: str, grants: list[str]) -> User:
    """A security administrator gives a person a role and grants (never their own)."""
    policy.require(actor, policy.Capability.MANAGE_ROLES)
    if actor.pk == user.pk:
        raise DomainError(_("You cannot change your own role or grants."), field="role")
    if role not in Role.values:
        raise DomainError(_("Choose one of the roles."), field="role")
    unknown = set(grants) - {str(c) for c in policy.GRANTABLE}
    if unknown:
        raise DomainError(
            _("These cannot be granted: %(names)s.") % {"names": ", ".join(sorted(unknown))}, field="grants"
        )
    user = lock_for_update(User, user.pk, version)
    before = {"role": user.role, "grants": sorted(user.grants or [])}
    user.role = role
    user.grants = sorted(set(grants))
    user.is_staff = user.role == Role.ADMIN
    user.version += 1
    user.save(update_fields=["role", "grants", "is_staff", "version"])
    changes = diff(before, {"role": user.role, "grants": user.grants})
    if changes:
        audit_log(actor=actor, action=AuditEntry.Action.ROLE, target=user, changes=changes)
    return user


@transaction.atomic
def user_update_own_details(*, user: User, version: int | None, **fields) -> User:
    """A person changes their own mobile, office phone or email (the view asks for the password first)."""
    allowed = {"mobile", "office_phone", "email"}
    return _person_update(actor=user, user=user, version=version, allowed=allowed, fields=fields, note="own details")[0]


@transaction.atomic
def user_reset_password(*, actor, user: User, password: str) -> User:
    """An administrator sets a new initial password; the person must change it at next login."""
    policy.require(actor, policy.Capability.MANAGE_PEOPLE)
    _validate_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    remember_password(user, settings.PASSWORD_HISTORY)
    audit_log(actor=actor, action=AuditEntry.Action.PASSWORD, target=user, note="reset by administrator")
    sessions_end_for_user(actor=actor, user=user, reason="password reset")
    return user


@transaction.atomic
def user_change_own_password(*, user: User, password: str) -> User:
    _validate_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    remember_password(user, settings.PASSWORD_HISTORY)
    audit_log(actor=user, action=AuditEntry.Action.PASSWORD, target=user, note="changed by the user")
    return user


# --- sessions -----------------------------------------------------------------------------------


def session_started(*, user: User, session_key: str, ip: str | None, user_agent: str) -> None:
    """Remember a new signed-in session (called at login) so it can be ended from outside."""
    LoginSession.objects.update_or_create(
        session_key=session_key, defaults={"user": user, "ip": ip, "user_agent": user_agent[:300]}
    )


def session_ended(*, session_key: str | None) -> None:
    if session_key:
        LoginSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def sessions_end_for_user(*, actor, user: User, reason: str = "ended by an administrator") -> int:
    """End every session of the person at once (deactivation, password reset, or on request)."""
    if actor is not None and actor.pk != user.pk:
        policy.require(actor, policy.Capability.MANAGE_PEOPLE)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(LoginSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    LoginSession.objects.filter(user=user).delete()
    audit_log(actor=actor, action=AuditEntry.Action.SESSION, target=user, note=f"{reason}: {len(keys)} ended")
    return len(keys)


def sessions_forget_expired() -> int:
    """Drop session records whose session has expired (daily)."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return LoginSession.objects.exclude(session_key__in=live).delete()[0]


# --- API tokens ---------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, user: User, name: str, days_valid: int | None = 365) -> tuple[ApiToken, str]:
    """Create a token; returns it and the key, which is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the token a name, e.g. the script that will use it."), field="name")
    if days_valid is not None and not 1 <= days_valid <= 3650:
        raise DomainError(_("A token is valid for 1 to 3650 days."), field="days_valid")
    key = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:60],
        key_prefix=key[: len(ApiToken.PREFIX) + 6],
        key_hash=ApiToken.hash_key(key),
        expires_at=timezone.now() + timedelta(days=days_valid) if days_valid else None,
    )
    audit_log(actor=user, action=AuditEntry.Action.TOKEN, target=token, note="created")
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise DomainError(_("This token is not yours."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_log(actor=user, action=AuditEntry.Action.TOKEN, target=token, note="revoked")


# --- explicit shares ----------------------------------------------------------------------------


@transaction.atomic
def record_share(*, actor, record: Model, unit: Unit, can_edit: bool = False) -> RecordShare:
    share, _created = RecordShare.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        unit=unit,
        defaults={"can_edit": can_edit, "shared_by": actor},
    )
    audit_log(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        target=record,
        note=f"shared with {unit} ({'edit' if can_edit else 'read'})",
    )
    return share


@transaction.atomic
def record_unshare(*, actor, record: Model, unit: Unit) -> None:
    RecordShare.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk, unit=unit
    ).delete()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=record, note=f"no longer shared with {unit}")


# --- notifications ------------------------------------------------------------------------------


def notify(*, users, key: str, text: str, url: str = "") -> int:
    """Notify each user once per `key` (a repeated event is ignored); returns how many were new.

    People with an email address also get it by email (NOTIFY_BY_EMAIL), sent by the worker after
    the transaction commits, so a rolled-back change never sends mail.
    """
    from investdesk.core.tasks import send_notification_email

    created = 0
    for user in {u.pk: u for u in users if u is not None and u.is_active}.values():
        notification, new = Notification.objects.get_or_create(
            user=user, key=key[:120], defaults={"text": text[:300], "url": url[:300]}
        )
        created += new
        if new and user.email and settings.NOTIFY_BY_EMAIL:
            transaction.on_commit(lambda pk=notification.pk: send_notification_email.enqueue(pk))
    return created


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
