"""List exports: every .xlsx download of a list goes through here, so each is audited the same way and
personal data in it is masked the same way.

Personal columns (mobile numbers, emails) are masked unless the request asks for `?unmasked=1` and the
person holds the EXPORT_PERSONAL grant (`export_unmasked`); an unmasked export says so in its audit
entry. Cell text that could run as a formula is escaped by lib/excel.py.
"""

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from django.http import HttpResponse
from django.utils import timezone

from investdesk.core import policy
from investdesk.core.audit import audit_log
from investdesk.core.models import AuditEntry
from investdesk.lib.excel import attachment, xlsx_bytes
from investdesk.lib.masking import mask_phone

UNMASKED_PARAM = "unmasked"

Masker = Callable[[str | None], str]


def export_unmasked(request) -> bool:
    """Whether this export request gets personal data in full: it asked (`?unmasked=1`) and may.
    Anyone else asking is not refused: they get the masked export, as without the parameter."""
    return request.GET.get(UNMASKED_PARAM) == "1" and policy.can(request.user, policy.Capability.EXPORT_PERSONAL)


def masked_rows(rows: Iterable[Sequence], personal: Collection[int] | Mapping[int, Masker]) -> Iterable[tuple]:
    """`rows` with the personal columns (indexes; a mapping gives each its masker, else mask_phone) masked."""
    maskers = dict(personal) if isinstance(personal, Mapping) else dict.fromkeys(personal, mask_phone)
    for row in rows:
        yield tuple(maskers[i](value) if i in maskers else value for i, value in enumerate(row))


def xlsx_export(
    *,
    actor,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    note: str,
    name: str | None = None,
    widths: Sequence[int] = (),
    personal: Collection[int] | Mapping[int, Masker] = (),
    unmasked: bool = False,
) -> HttpResponse:
    """The rows as an .xlsx download named "<name>-<date>.xlsx" (name: the title), with an audit entry
    saying who exported what (`note`) and how many rows.

    `personal`: the indexes of the columns holding personal data, given in full in `rows`; they are
    masked (with mask_phone, or the masker a mapping gives) unless `unmasked` — which the caller
    decides with `export_unmasked(request)` — and then the audit entry notes "unmasked"."""
    rows = list(rows)
    unmasked = bool(unmasked and personal)
    if personal and not unmasked:
        rows = list(masked_rows(rows, personal))
    flag = " unmasked" if unmasked else ""
    audit_log(actor=actor, action=AuditEntry.Action.EXPORT, note=f"{note}{flag} rows={len(rows)}")
    content = xlsx_bytes(title=str(title), headers=headers, rows=rows, widths=widths)
    return attachment(content, filename=f"{name or title}-{timezone.localdate():%Y%m%d}.xlsx")
