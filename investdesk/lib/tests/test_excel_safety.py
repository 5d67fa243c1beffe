"""Exports a spreadsheet cannot turn against its reader (OWASP CSV/formula injection), and file names a
Content-Disposition header carries safely, Chinese kept."""

import datetime
import io
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest

from investdesk.lib.excel import (
    ascii_filename,
    attachment,
    content_disposition,
    formula_safe,
    safe_filename,
    xlsx_bytes,
)


def _cells(content: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows()]


@pytest.mark.parametrize(
    "text",
    ["=1+1", "=HYPERLINK(\"http://evil.example\",\"点我\")", "+86 138 0000 0000", "-2+3", "@SUM(A1:A2)",
     "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"],
)  # fmt: skip
def test_text_beginning_like_a_formula_is_written_as_text_with_an_apostrophe(text):
    assert formula_safe(text) == "'" + text
    [_, row] = _cells(xlsx_bytes(title="表", headers=["值"], rows=[[text]]))
    cell = row[0]
    assert cell.value == "'" + text
    assert cell.data_type == "s"  # a string, not a formula


def test_a_header_is_escaped_too_and_stays_bold():
    [header] = _cells(xlsx_bytes(title="表", headers=["=危险"], rows=[]))
    assert header[0].value == "'=危险" and header[0].data_type == "s" and header[0].font.bold


def test_numbers_dates_and_plain_text_are_untouched():
    row = [-5, Decimal("-12.50"), -0.5, 0, datetime.date(2022, 9, 5), None, "比亚迪股份有限公司", "a=b", "138****5678"]
    assert [formula_safe(v) for v in row] == row
    [_, cells] = _cells(xlsx_bytes(title="表", headers=list("abcdefghi"), rows=[row]))
    assert [c.value for c in cells[:4]] == [-5, -12.5, -0.5, 0]
    assert all(c.data_type == "n" for c in cells[:4])
    assert cells[4].value == datetime.datetime(2022, 9, 5)
    assert cells[5].value is None
    assert [c.value for c in cells[6:]] == ["比亚迪股份有限公司", "a=b", "138****5678"]


def test_unsafe_characters_leave_a_file_name_and_chinese_stays():
    name = '比亚迪"成都"/分公司\\;\r\n台账:*?<>|.xlsx'
    safe = safe_filename(name)
    assert safe.startswith("比亚迪") and safe.endswith(".xlsx")
    for ch in '"\\/;\r\n:*?<>|':
        assert ch not in safe
    assert safe_filename("../../etc/passwd") == "etc_passwd"
    assert safe_filename("") == "export"


def test_the_ascii_fallback_is_never_a_bare_date():
    assert ascii_filename("企业-20261129.xlsx") == "export-20261129.xlsx"
    assert ascii_filename("泸定6.8级地震-捐赠-20261129.xlsx") == "export-6.8-20261129.xlsx"
    assert ascii_filename("Enterprises-20261129.xlsx") == "Enterprises-20261129.xlsx"
    assert ascii_filename("交办通知书-SC2022-0001.docx") == "SC2022-0001.docx"
    assert ascii_filename('"/\\.xlsx') == "export.xlsx"


def test_content_disposition_is_one_safe_header_with_the_chinese_name_in_filename_star():
    name = '泸定"6.8"级/地震\\捐赠;台账-20261129.xlsx'
    header = content_disposition(name)
    assert "\r" not in header and "\n" not in header
    plain, star = header.removeprefix("attachment; ").split("; filename*=UTF-8''")
    assert plain == 'filename="export-6.8-20261129.xlsx"'
    assert all(ch not in star for ch in ' "\\/;')
    assert unquote(star) == "泸定_6.8_级_地震_捐赠_台账-20261129.xlsx"


def test_attachment_sets_the_header():
    response = attachment(b"x", filename="企业-20261129.xlsx")
    assert response["Content-Disposition"] == (
        "attachment; filename=\"export-20261129.xlsx\"; filename*=UTF-8''%E4%BC%81%E4%B8%9A-20261129.xlsx"
    )
