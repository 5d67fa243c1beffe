"""Writing audit entries. Services call `audit_log` inside their own transaction, so a change and
its audit row commit or roll back together; the request's IP and user agent come from a context
variable the middleware sets, so services need no request argument.
"""

import contextvars
import datetime
import decimal
from dataclasses import dataclass

from django.db import models
from django.db.models.fields.files import FieldFile

from investdesk.core.models import AuditEntry


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
    """The audited fields of a row, as JSON-able values (foreign keys as their display text)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in _SKIP_FIELDS or field.primary_key:
            continue
        if field.is_relation:
            related = getattr(obj, field.name, None)
            data[field.name] = str(related) if related is not None else None
        else:
            data[field.name] = _plain(getattr(obj, field.attname))
    return data


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields that changed."""
    return {k: [before.get(k), after.get(k)] for k in after.keys() | before.keys() if before.get(k) != after.get(k)}


def audit_log(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    changes: dict | None = None,
    note: str = "",
    username: str = "",
) -> AuditEntry:
    ctx = request_context.get()
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        actor=actor_obj,
        actor_username=(actor_obj.username if actor_obj else username)[:150],
        actor_unit_id=getattr(actor_obj, "unit_id", None),
        action=action,
        changes=changes or {},
        note=note[:300],
        ip=ctx.ip,
        user_agent=ctx.user_agent[:300],
    )
    if target is not None:
        entry.target_type = target._meta.label_lower
        entry.target_id = str(target.pk)
        entry.target_repr = str(target)[:200]
    entry.save(force_insert=True)
    return entry
