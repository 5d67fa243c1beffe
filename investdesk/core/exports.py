"""List exports: every .xlsx download of a list goes through here, so each is audited the same way."""

from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone

from investdesk.core.audit import audit_log
from investdesk.core.models import AuditEntry
from investdesk.lib.excel import attachment, xlsx_bytes


def xlsx_export(
    *,
    actor,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    note: str,
    name: str | None = None,
    widths: Sequence[int] = (),
) -> HttpResponse:
    """The rows as an .xlsx download named "<name>-<date>.xlsx" (name: the title), with an audit entry
    saying who exported what (`note`) and how many rows."""
    rows = list(rows)
    audit_log(actor=actor, action=AuditEntry.Action.EXPORT, note=f"{note} rows={len(rows)}")
    content = xlsx_bytes(title=str(title), headers=headers, rows=rows, widths=widths)
    return attachment(content, filename=f"{name or title}-{timezone.localdate():%Y%m%d}.xlsx")
