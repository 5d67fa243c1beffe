"""Exports are masked by default: personal data leaves in full only for a person holding the
EXPORT_PERSONAL grant who asks for it (?unmasked=1), and the audit log says so. Cells cannot run as
formulas, and the file name is safe in the header."""

import datetime
import io
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest

from investdesk.core.models import AuditEntry
from investdesk.emergency import services as emergency_services


def _rows(response):
    assert response.status_code == 200, response.status_code
    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def _export_notes(user) -> list[str]:
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, actor=user).values_list("note", flat=True))


@pytest.fixture
def shipment(owner, leader):
    incident = emergency_services.incident_create(
        actor=leader, name='泸定"6.8"级/地震', kind="earthquake", starts_on=datetime.date.today()
    )
    return emergency_services.shipment_create(
        actor=owner, incident=incident, goods="=HYPERLINK(\"http://evil.example\",\"饮用水\")", quantity=Decimal(20),
        measure="吨", origin="成都", destination="泸定县", driver="-张师傅", driver_phone="13812345678",
    )  # fmt: skip


def test_an_ordinary_users_unmasked_request_is_still_masked(client_for, owner, chengdu_enterprise, shipment):
    client = client_for(owner)
    [_, enterprise] = _rows(client.get("/enterprises/export.xlsx?unmasked=1"))
    assert enterprise[15] == "138****8888" and enterprise[16] == "w***@byd.example.com"
    [_, row] = _rows(client.get(f"/emergency/shipments/export.xlsx?incident={shipment.incident_id}&unmasked=1"))
    assert row[8] == "138****5678"
    notes = _export_notes(owner)
    assert len(notes) == 2 and not any("unmasked" in note for note in notes)


def test_a_person_with_the_grant_exports_in_full_and_the_audit_says_so(client_for, owner, chengdu_enterprise, shipment):
    owner.grants = ["export_personal"]
    owner.save()
    client = client_for(owner)

    [_, enterprise] = _rows(client.get("/enterprises/export.xlsx"))  # without asking: masked all the same
    assert enterprise[15] == "138****8888"
    assert "unmasked" not in _export_notes(owner)[-1]

    [_, enterprise] = _rows(client.get("/enterprises/export.xlsx?unmasked=1&q=比亚迪"))
    assert enterprise[15] == "13812348888" and enterprise[16] == "wanglei@byd.example.com"
    note = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, actor=owner).latest("pk").note
    assert note.startswith("enterprises q=") and "unmasked rows=1" in note

    [_, row] = _rows(client.get(f"/emergency/shipments/export.xlsx?incident={shipment.incident_id}&unmasked=1"))
    assert row[8] == "13812345678"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, actor=owner).latest("pk").note == (
        "shipments unmasked rows=1"
    )


def test_an_export_escapes_formulas_and_names_its_file_safely(client_for, owner, shipment):
    response = client_for(owner).get(f"/emergency/shipments/export.xlsx?incident={shipment.incident_id}")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    goods, driver = sheet.cell(row=2, column=1), sheet.cell(row=2, column=8)
    assert goods.value == '\'=HYPERLINK("http://evil.example","饮用水")' and goods.data_type == "s"
    assert driver.value == "'-张师傅"
    assert sheet.cell(row=2, column=2).value == 20  # a number stays a number

    disposition = response["Content-Disposition"]
    plain, star = disposition.removeprefix("attachment; ").split("; filename*=UTF-8''")
    today = f"{datetime.date.today():%Y%m%d}"
    assert plain == f'filename="export-6.8-{today}.xlsx"'
    assert unquote(star) == f"泸定_6.8_级_地震-物资运输-{today}.xlsx"


def test_only_holders_of_the_grant_are_offered_the_unmasked_export(client_for, owner, colleague):
    from django.test import Client

    assert b'id="export-unmasked-link"' not in client_for(owner).get("/enterprises/").content
    colleague.grants = ["export_personal"]
    colleague.save()
    granted = Client()
    granted.force_login(colleague)
    page = granted.get("/enterprises/", {"q": "比亚迪"}).content.decode()
    assert 'id="export-unmasked-link"' in page and "q=%E6%AF%94%E4%BA%9A%E8%BF%AA&amp;unmasked=1" in page
