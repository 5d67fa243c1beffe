"""Units, people, API tokens, explicit shares and the audit log: what every module stands on."""

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investdesk.core.fields import EncryptedCharField
from investdesk.lib.masking import mask_phone


class Access:
    """How the permission policy scopes a model.

    Either the model is owned by a unit (`owner="owner_unit"`, optionally with a boolean
    `confidential` field), or it lives inside another record (`parent="enterprise"`) and whoever
    may see or edit the parent may see or edit it.
    """

    def __init__(self, *, owner: str | None = None, confidential: str | None = None, parent: str | None = None):
        if (owner is None) == (parent is None):
            raise ValueError("Access needs exactly one of owner= or parent=")
        self.owner = owner
        self.confidential = confidential
        self.parent = parent


class ReferenceTable(models.Model):
    """A short list administrators edit (industries, case categories, …): name, code, order, active."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    class Kind(models.TextChoices):
        BUREAU = "bureau", _("Bureau")
        DIVISION = "division", _("Division")
        CITY = "city", _("City/prefecture bureau")
        OFFICE = "office", _("Out-of-province office")
        PARTNER = "partner", _("Partner department")

    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("Stable identifier, e.g. chengdu."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of primary keys ("/1/7/"): a subtree is one indexed prefix match on any database.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="unit_unique_name_under_parent")]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    @property
    def label(self) -> str:
        return self.short_name or self.name


class Role(models.TextChoices):
    # The three administrators are separated (三权分立, MLPS 2.0 level 3): none can do another's job.
    ADMIN = "admin", _("System administrator")
    SECURITY_ADMIN = "secadmin", _("Security administrator")
    AUDIT_ADMIN = "auditor", _("Audit administrator")
    LEADER = "leader", _("Bureau leader")
    DISPATCHER = "dispatcher", _("Dispatcher")
    STAFF = "staff", _("Staff")
    OBSERVER = "observer", _("Read-only observer")


# The three separated administrators (三权分立).
ADMIN_ROLES = frozenset({Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


class User(AbstractUser):
    # Chinese names are not split into first/last: one full name field.
    first_name = None
    last_name = None
    name = models.CharField(_("full name"), max_length=60)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    mobile = EncryptedCharField(_("mobile"), max_length=20, blank=True)  # SM4 at rest (core/fields.py)
    office_phone = models.CharField(_("office phone"), max_length=30, blank=True)
    # Capabilities a security administrator granted on top of the role (policy.GRANTABLE).
    grants = models.JSONField(_("grants"), default=list, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    search_text = models.TextField(blank=True, default="", editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = UserManager()
    REQUIRED_FIELDS = ["email"]
    access = Access(owner="unit")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["unit__path", "username"]

    def __str__(self) -> str:
        return self.name or self.username

    def get_full_name(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.name or self.username

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_leader(self) -> bool:
        return self.role == Role.LEADER


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once, when created."""

    PREFIX = "idk_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    key_prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class RecordShare(models.Model):
    """A record explicitly shared with another unit (and its sub-units), read-only or editable."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="shares")
    can_edit = models.BooleanField(_("may edit"), default=False)
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "unit"], name="share_unique_per_unit")
        ]
        indexes = [models.Index(fields=["content_type", "unit", "object_id"])]

    def __str__(self) -> str:
        return f"{self.content_type.model}#{self.object_id} → {self.unit}"


class AuditEntry(models.Model):
    """One row per change, login or sensitive read. Written by services in the same transaction.

    Append-only: nothing in the product updates or deletes these rows, the ORM refuses to, and so
    does the database (triggers from migration core 0005, core/auditguard.py), except `audit prune`
    removing rows past the retention period (never younger than 180 days).
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")
        LOGIN = "login", _("Login")
        LOGOUT = "logout", _("Logout")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOCKOUT = "lockout", _("Account locked")
        PASSWORD = "password", _("Password change")
        VIEW_PERSONAL = "view_personal", _("View of personal data")
        EXPORT = "export", _("Export")
        TOKEN = "token", _("API token")
        ROLE = "role", _("Role or grant change")
        SESSION = "session", _("Sessions ended")
        MESSAGE = "message", _("Message sent")
        AUDIT = "audit", _("Audit log read, export or prune")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # PROTECT, not SET_NULL: a row is never rewritten, so a person or unit with audit entries is
    # deactivated rather than deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Snapshots: the entry must still read correctly after the person or unit is renamed or removed.
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    actor_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    target_type = models.CharField(_("record type"), max_length=60, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    target_repr = models.CharField(_("record"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # Hash chain (core/audit.py): each row's MAC covers its content and the previous row's MAC, so
    # an edited, inserted or removed row breaks the chain at that point (`investdesk audit verify`).
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["actor", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")


class PasswordHistory(models.Model):
    """Hashes of a person's previous passwords, so the last few are not reused (passwords.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class LoginSession(models.Model):
    """A signed-in session of a person: lets an administrator (or disabling the account) end all of
    a person's sessions at once, and lists where someone is signed in."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    started_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.started_at:%Y-%m-%d %H:%M} {self.ip or ''}"


class Notification(models.Model):
    """An in-app notification. `key` makes one event notify a person once, however often it is raised."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=120)
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notify_once_per_key")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text


class Snapshot(models.Model):
    """A figures computation's result as last computed for one set of parameters, in one permission
    scope and one language (`key`): on a million records a province-wide dashboard section or the
    targets page takes seconds to compute, so pages show the snapshot while it is younger than
    FIGURES_MAX_AGE and have it recomputed in the background when it is older (core/snapshots.py)."""

    key = models.CharField(max_length=255, unique=True)  # name|visibility|params|language
    name = models.CharField(max_length=60)  # the registered computation
    params = models.JSONField(default=dict)
    # Whose view it was computed in: the background refresh recomputes it as this person (anyone with
    # the same policy.visibility_key sees the same figures).
    computed_for = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)  # how long computing it took
    refresh_queued_at = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(default=False)  # written to since: shown once more while recomputed
    payload = models.JSONField()

    class Meta:
        indexes = [
            models.Index(fields=["computed_at"], name="snapshot_computed_at"),
            models.Index(fields=["name"], name="snapshot_name"),
        ]

    def __str__(self) -> str:
        return self.key
