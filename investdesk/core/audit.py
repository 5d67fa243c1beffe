"""Writing audit entries. Services call `audit_log` inside their own transaction, so a change and
its audit row commit or roll back together; the request's IP and user agent come from a context
variable the middleware sets, so services need no request argument.

Entries form a hash chain: each row stores the MAC of the previous row (`prev_hash`) and its own
MAC (`hash`) over its content and `prev_hash`, keyed with AUDIT_HMAC_KEY (HMAC-SM3, or HMAC-SHA256
where the linked OpenSSL has no SM3). Appending takes a lock so the chain stays linear: on
PostgreSQL a transaction-scoped advisory lock, on SQLite the write lock every transaction takes
(transaction_mode IMMEDIATE). `verify_chain` walks the rows in order and reports the first one
whose link or content does not match.
"""

import contextvars
import datetime
import decimal
import functools
import hmac
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile

from investdesk.core.crypto import HASH_NAME, hmac_sm3
from investdesk.core.models import AuditEntry
from investdesk.lib.bulk import bulk_insert


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""


request_context: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "investdesk_request_context",
    default=RequestContext(),  # noqa: B039 (frozen dataclass: immutable)
)

_SKIP_FIELDS = {"password", "search_text", "version", "path", "last_login"}


def _plain(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, datetime.datetime | datetime.date | decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model) -> dict:
    """The audited fields of a row, as JSON-able values (foreign keys as their display text).
    Encrypted personal data is recorded masked: the audit log must not become a plaintext copy."""
    data = {}
    for name, attname, mask in _snapshot_fields(type(obj)):
        if mask is _RELATED:
            related = getattr(obj, name, None)
            data[name] = str(related) if related is not None else None
        elif mask is not None:
            data[name] = mask(getattr(obj, attname) or "")
        else:
            value = getattr(obj, attname)
            data[name] = value if type(value) in _JSON_SCALARS else _plain(value)
    return data


_RELATED = object()  # the mask slot of a foreign key: recorded as the related row's display text
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _snapshot_fields(model: type[models.Model]) -> tuple[tuple[str, str, object], ...]:
    """(name, attname, mask) of the fields `snapshot` records, worked out once per model: an
    import snapshots 200,000 rows."""
    fields = []
    for field in model._meta.concrete_fields:
        if field.name in _SKIP_FIELDS or field.primary_key or field.name.endswith("_index"):
            continue
        mask = getattr(field, "mask", None)
        if mask is None and field.is_relation:
            mask = _RELATED
        fields.append((field.name, field.attname, mask))
    return tuple(fields)


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields that changed."""
    return {k: [before.get(k), after.get(k)] for k in after.keys() | before.keys() if before.get(k) != after.get(k)}


def _entry(*, actor, action: str, target=None, changes=None, note: str = "", username: str = "") -> AuditEntry:
    ctx = request_context.get()
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        actor=actor_obj,
        actor_username=(actor_obj.username if actor_obj else username)[:150],
        actor_unit_id=getattr(actor_obj, "unit_id", None),
        action=action,
        # Through JSON once, so the hashed value is exactly what the database gives back.
        changes=json.loads(json.dumps(changes or {}, default=str)),
        note=note[:300],
        ip=_normal_ip(ctx.ip),
        user_agent=ctx.user_agent[:300],
    )
    if target is not None:
        entry.target_type = target._meta.label_lower
        entry.target_id = str(target.pk)
        entry.target_repr = str(target)[:200]
    return entry


def audit_log(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    changes: dict | None = None,
    note: str = "",
    username: str = "",
) -> AuditEntry:
    entry = _entry(actor=actor, action=action, target=target, changes=changes, note=note, username=username)
    with transaction.atomic():
        _lock_chain()
        entry.prev_hash = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or ""
        entry.hash = entry_mac(entry)
        entry.save(force_insert=True)
        _written(action, target)
    return entry


# What changes records, as opposed to reading them (a personal-data view, an export) or signing in.
_WRITES = {AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE, AuditEntry.Action.DELETE, AuditEntry.Action.MESSAGE}


def _written(action: str, target: models.Model | None) -> None:
    """Every write leaves an audit entry, so this is where figures snapshots learn that the records
    they count have changed (core/snapshots.py)."""
    if target is not None and action in _WRITES:
        from investdesk.core.snapshots import records_written

        records_written(target._meta.app_label)


def audit_entries(*, actor, action: str, records: list[tuple[models.Model, dict]]) -> list[AuditEntry]:
    """The entries audit_log_many writes for `records`, not chained yet. No query: a bulk import makes
    them in a thread while its rows are being stored."""
    return [_entry(actor=actor, action=action, target=record, changes=changes) for record, changes in records]


def audit_log_many(
    *, actor, action: str, records: list[tuple[models.Model, dict]], entries: list[AuditEntry] | None = None
) -> int:
    """One entry per (record, changes), chained in order and written at once (bulk creation).
    `entries`: audit_entries(…) of the same arguments, made beforehand."""
    if entries is None:
        entries = audit_entries(actor=actor, action=action, records=records)
    with transaction.atomic():
        _lock_chain()
        previous = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or ""
        for entry in entries:
            entry.prev_hash = previous
            entry.hash = previous = entry_mac(entry)
        bulk_insert(entries)
        for record in {type(record): record for record, _changes in records}.values():
            _written(action, record)
    return len(entries)


# --- the hash chain -----------------------------------------------------------------------------

_CHAIN_LOCK = 0x1D_A0D17  # an arbitrary constant naming the advisory lock
VERIFIED = "verify"  # the note of the entry that records a verification
PRUNED = "prune"  # the note of the entry that records a prune (and the chain's new anchor)


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])


def _normal_ip(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def _key() -> bytes:
    return settings.AUDIT_HMAC_KEY


def _content(entry: AuditEntry) -> bytes:
    at = entry.at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    fields = [
        entry.prev_hash,
        at,
        entry.actor_id,
        entry.actor_username,
        entry.actor_unit_id,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.target_repr,
        entry.changes,
        entry.note,
        entry.ip,
        entry.user_agent,
    ]
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def entry_mac(entry: AuditEntry) -> str:
    return hmac_sm3(_key(), _content(entry)).hex()


@dataclass(frozen=True)
class ChainReport:
    algorithm: str
    checked: int
    head_id: int | None
    head_hash: str
    broken_id: int | None = None
    broken_at: datetime.datetime | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def _entries(batch: int = 2000) -> Iterator[AuditEntry]:
    qs = AuditEntry.objects.order_by("id")
    last_id = 0
    while True:
        rows = list(qs.filter(id__gt=last_id)[:batch])
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def chain_anchor() -> str:
    """The `prev_hash` the oldest remaining row must carry: "" for a log never pruned, otherwise
    the hash of the last row removed, recorded by the latest prune."""
    latest_prune = AuditEntry.objects.filter(action=AuditEntry.Action.AUDIT, note=PRUNED).order_by("-id").first()
    return (latest_prune.changes or {}).get("last_removed_hash", "") if latest_prune else ""


def verify_chain() -> ChainReport:
    """Walk the whole log in order; stop at the first row whose link or MAC does not match."""
    expected_prev = chain_anchor()
    checked, head_id, head_hash = 0, None, ""
    for entry in _entries():
        if entry.prev_hash != expected_prev:
            reason = "link to the previous entry broken (an entry was removed or inserted)"
            return ChainReport(HASH_NAME, checked, head_id, head_hash, entry.id, entry.at, reason)
        if not hmac.compare_digest(entry.hash, entry_mac(entry)):
            reason = "content does not match its MAC (the entry was changed)"
            return ChainReport(HASH_NAME, checked, head_id, head_hash, entry.id, entry.at, reason)
        checked += 1
        expected_prev = head_hash = entry.hash
        head_id = entry.id
    return ChainReport(HASH_NAME, checked, head_id, head_hash)


def verify_and_record(*, actor=None) -> ChainReport:
    """Verify the chain and record the outcome as an audit entry of its own (the command, the daily
    task and the audit administrator's button all do this); `last_verification` reads it back."""
    report = verify_chain()
    audit_log(
        actor=actor,
        action=AuditEntry.Action.AUDIT,
        username="system",
        note=VERIFIED,
        changes={"ok": report.ok, "checked": report.checked, "broken_id": report.broken_id},
    )
    return report


def last_verification() -> AuditEntry | None:
    return AuditEntry.objects.filter(action=AuditEntry.Action.AUDIT, note=VERIFIED).order_by("-id").first()


# --- retention ----------------------------------------------------------------------------------


def audit_prune(*, actor=None, days: int) -> int:
    """Remove the oldest entries, those older than `days` (never fewer than 180), and record the
    prune as an entry carrying the hash of the last row removed: the new start of the chain."""
    from django.utils import timezone

    from investdesk.core.auditguard import RETENTION_FLOOR_DAYS
    from investdesk.core.errors import DomainError

    if days < RETENTION_FLOOR_DAYS:
        raise DomainError(
            f"Audit entries are kept at least {RETENTION_FLOOR_DAYS} days (Cybersecurity Law art. 21).",
            field="days",
        )
    cutoff = timezone.now() - datetime.timedelta(days=days)
    with transaction.atomic():
        _lock_chain()
        # Remove a prefix of the chain: everything before the first entry that must be kept.
        first_kept = AuditEntry.objects.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True).first()
        doomed = AuditEntry.objects.all() if first_kept is None else AuditEntry.objects.filter(id__lt=first_kept)
        last = doomed.order_by("-id").first()
        if last is None:
            return 0
        count = doomed.filter(id__lte=last.id).count()
        audit_log(
            actor=actor,
            action=AuditEntry.Action.AUDIT,
            note=PRUNED,
            username="system",
            changes={
                "removed": count,
                "up_to_id": last.id,
                "last_removed_hash": last.hash,
                "cutoff": cutoff.isoformat(),
            },
        )
        AuditEntry.objects.filter(id__lte=last.id)._raw_delete(AuditEntry.objects.db)
    return count


def check_audit_key(app_configs=None, **kwargs) -> list:
    """`check --deploy`: the chain's key must be its own, not derived from SECRET_KEY, which may be
    rotated: a changed key makes every older entry fail verification."""
    from django.core import checks

    if not getattr(settings, "AUDIT_HMAC_KEY_SET", False):
        return [
            checks.Warning(
                "The audit log's hash chain is keyed with a value derived from SECRET_KEY.",
                hint="Set AUDIT_HMAC_KEY (or AUDIT_HMAC_KEY_FILE) to a random secret of its own and never change "
                "it; see docs/security.md.",
                id="investdesk.W003",
            )
        ]
    return []
