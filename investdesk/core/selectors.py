"""Every read of units, people, tokens and the audit log, scoped by the permission policy."""

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from investdesk.core import policy
from investdesk.core.models import ApiToken, AuditEntry, Unit, User
from investdesk.lib.chinese_text import normalize_query
from investdesk.lib.localdays import days_filter


def _search(qs: QuerySet, q: str | None) -> QuerySet:
    q = normalize_query(q)
    return qs.filter(search_text__contains=q) if q else qs


# --- units --------------------------------------------------------------------------------------


def units_all(*, include_inactive: bool = False) -> QuerySet[Unit]:
    """The unit tree in display order. Units are not secret: everyone signed in may list them."""
    qs = Unit.objects.all()
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("path")


def units_with_counts(*, user) -> QuerySet[Unit]:
    policy.require(user, policy.Capability.MANAGE_UNITS)
    return (
        units_all(include_inactive=True)
        .select_related("parent")
        .annotate(people=Count("members", filter=Q(members__is_active=True)))
    )


def units_search(*, q: str | None = None, kind: str | None = None) -> QuerySet[Unit]:
    qs = units_all()
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        term = q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(short_name__icontains=term) | Q(code__icontains=term.lower()))
    return qs


def unit_get(*, unit_id: int) -> Unit:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Unit, pk=unit_id)


# --- people -------------------------------------------------------------------------------------


def people_for_directory(*, user, q: str | None = None, unit_id: int | None = None) -> QuerySet[User]:
    """Active colleagues the user may see (their unit's subtree; everyone for leaders)."""
    qs = policy.visible(user, User.objects.filter(is_active=True)).select_related("unit")
    qs = policy.within_unit(qs, unit_id, "unit")
    return _search(qs, q).order_by("unit__path", "role", "username")


def person_get_for_user(*, user, person_id: int) -> User:
    return policy.get_visible_or_404(user, User.objects.select_related("unit"), pk=person_id)


def people_for_admin(
    *,
    user,
    q: str | None = None,
    unit_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
) -> QuerySet[User]:
    _require_people_admin(user)
    qs = User.objects.select_related("unit")
    qs = policy.within_unit(qs, unit_id, "unit")
    if role:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    return _search(qs, q).order_by("unit__path", "username")


def person_get_for_admin(*, user, person_id: int) -> User:
    from django.shortcuts import get_object_or_404

    _require_people_admin(user)
    return get_object_or_404(User.objects.select_related("unit"), pk=person_id)


def _require_people_admin(user) -> None:
    """The people list is the system administrator's (accounts) and the security administrator's (roles)."""
    if not (policy.can(user, policy.Capability.MANAGE_PEOPLE) or policy.can(user, policy.Capability.MANAGE_ROLES)):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied


# --- tokens -------------------------------------------------------------------------------------


def api_tokens_of(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def api_token_user(*, key: str) -> User | None:
    """The active user a bearer key belongs to, or None (unknown, revoked, expired, deactivated)."""
    if not key or not key.startswith(ApiToken.PREFIX):
        return None
    token = ApiToken.objects.select_related("user", "user__unit").filter(key_hash=ApiToken.hash_key(key)).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    # Touch at most once a minute: a busy script should not turn every read into a write.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- audit --------------------------------------------------------------------------------------


def audit_entries(
    *,
    user,
    q: str | None = None,
    action: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
) -> QuerySet[AuditEntry]:
    policy.require(user, policy.Capability.READ_AUDIT)
    qs = AuditEntry.objects.select_related("actor_unit")
    if q:
        term = q.strip()
        match = Q(actor_username__icontains=term) | Q(target_repr__icontains=term) | Q(note__icontains=term)
        if _looks_like_ip(term):
            match |= Q(ip=term)
        qs = qs.filter(match)
    if action:
        qs = qs.filter(action=action)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=str(target_id))
    return qs.filter(**days_filter("at", date_from, date_to)).order_by("-at", "-id")


def audit_last_verification(*, user) -> AuditEntry | None:
    """The latest check of the hash chain (by the daily task, the command or an audit administrator)."""
    from investdesk.core.audit import last_verification

    policy.require(user, policy.Capability.READ_AUDIT)
    return last_verification()


def _looks_like_ip(term: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(term)
    except ValueError:
        return False
    return True


def recent_activity_for_user(*, user, limit: int = 10) -> list[AuditEntry]:
    """The person's own latest actions, for the home page (their own trail, no audit right needed)."""
    return list(AuditEntry.objects.filter(actor=user).order_by("-at", "-id")[:limit])


def notifications_of(*, user, unread_only: bool = False):
    from investdesk.core.models import Notification

    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


# Panels other modules add to the home page ("my work"): each is `panel(*, user) -> dict | None`
# with a "template" key and its context; registered in the module's AppConfig.ready().
HOME_PANELS: list = []


def home_panels(*, user) -> list[dict]:
    return [panel for make in HOME_PANELS if (panel := make(user=user))]
