"""Writing .xlsx downloads the way Chinese offices expect: a bold header row, sensible column
widths, dates as dates, and a UTF-8 file name that Windows browsers keep in Chinese.

Two safety rules (OWASP "CSV injection", ASVS 5.3.10 / 12.5): text that a spreadsheet program would
read as a formula is written as plain text with a leading apostrophe, and the file name in
Content-Disposition never carries characters that could break the header or name another path.
"""

import io
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Excel, WPS and LibreOffice start a formula (or a DDE command) with these; TAB and CR too once the
# sheet is saved as CSV and opened again.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value):
    """`value` as a cell may hold it: text beginning like a formula gets a leading apostrophe, so it
    is shown and kept as text. Numbers (negative ones too), dates and empty cells are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(ws, value, *, bold: bool = False):
    safe = formula_safe(value)
    if safe is value and not bold:
        return value  # nothing to escape: a plain value is faster to write than a cell
    cell = WriteOnlyCell(ws, value=safe)
    if isinstance(safe, str):
        cell.data_type = "s"  # a string, whatever it starts with (openpyxl takes "=…" for a formula)
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_bytes(*, title: str, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] = ()) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.append([_cell(ws, str(text), bold=True) for text in headers])
    for row in rows:
        ws.append([_cell(ws, value) for value in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# Not in a file name: control characters, quotes and backslash (they end or escape the header's
# quoted string), path separators, ";" and "," (parameter and header separators), and what Windows
# forbids in a name (<>:"/\|?*).
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f"\\/;,:*?<>|]+')
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9.]+")
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,10}")
_MAX_NAME = 120  # characters of the stem; Windows keeps the whole path under 260


def _split(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, ext) if dot and _EXTENSION.fullmatch(ext) else (name, "")


def safe_filename(filename: str, *, default: str = "export") -> str:
    """`filename` with what is unsafe in a header or a file name replaced by "_"; Chinese is kept."""
    stem, ext = _split(_UNSAFE_IN_NAME.sub("_", str(filename)))
    stem = stem.strip(" ._")[:_MAX_NAME].strip(" ._") or default
    return f"{stem}.{ext}" if ext else stem


def ascii_filename(filename: str, *, default: str = "export") -> str:
    """The plain-ASCII stand-in for browsers that ignore filename*: "企业-20261129.xlsx" becomes
    "export-20261129.xlsx" (never "-20261129.xlsx"), "Enterprises-20261129.xlsx" stays."""
    stem, ext = _split(safe_filename(filename, default=default))
    stem = _NOT_ASCII_NAME.sub("-", stem).strip("-.")
    if not re.search(r"[A-Za-z]", stem):
        stem = f"{default}-{stem}" if stem else default
    return f"{stem}.{ext}" if ext else stem


def content_disposition(filename: str, *, disposition: str = "attachment") -> str:
    """RFC 6266: an ASCII `filename` for old clients and the UTF-8 `filename*` the others prefer."""
    name = safe_filename(filename)
    return f"{disposition}; filename=\"{ascii_filename(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment(content: bytes, *, filename: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    return response
