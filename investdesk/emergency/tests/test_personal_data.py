"""A relief driver's phone and resident ID number (for the transit pass): encrypted, checked, masked."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from investdesk.core.errors import DomainError
from investdesk.core.models import AuditEntry
from investdesk.emergency import services
from investdesk.emergency.models import Shipment
from investdesk.lib.identifiers import make_resident_id

ID_NUMBER = make_resident_id("51010419850312007")  # ends in X: the check character of this body is 10
PHONE = "13812345678"  # the driver of the `shipment` fixture


@pytest.fixture
def with_id(owner, shipment):
    return services.shipment_update(
        actor=owner, shipment=shipment, version=None, driver_id_number=ID_NUMBER.lower(), transit_pass="applied"
    )


def _views(shipment) -> int:
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW_PERSONAL, target_type="emergency.shipment", target_id=str(shipment.pk)
    ).count()


def _raw(shipment) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT driver_phone, driver_id_number FROM emergency_shipment WHERE id = %s", [shipment.pk])
        return cursor.fetchone()


def test_the_id_number_is_checked_normalised_and_stored_encrypted(with_id):
    assert ID_NUMBER.endswith("X")
    shipment = Shipment.objects.get(pk=with_id.pk)
    assert (shipment.driver_id_number, shipment.driver_phone) == (ID_NUMBER, PHONE)
    phone, id_number = _raw(shipment)
    assert phone.startswith("sm4:") and id_number.startswith("sm4:")
    assert PHONE not in phone and ID_NUMBER not in id_number and "19850312" not in id_number
    assert shipment.masked_driver_id_number == "510104********007X"


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("51010419850312007", "应为18位"),
        (ID_NUMBER[:-1] + "1", "校验码"),
        ("5101041985031200AX", "17位数字"),
        (make_resident_id("51010419851332007"), "出生日期"),  # month 13
    ],
)
def test_a_wrong_id_number_is_refused_with_the_reason(owner, shipment, number, why):
    with pytest.raises(DomainError, match=why) as exc:
        services.shipment_update(actor=owner, shipment=shipment, version=None, driver_id_number=number)
    assert exc.value.field == "driver_id_number"
    assert Shipment.objects.get(pk=shipment.pk).driver_id_number == ""


def test_the_detail_page_shows_the_driver_in_full_to_staff_and_audits_it(client_for, owner, with_id):
    page = client_for(owner).get(f"/emergency/shipments/{with_id.pk}/").content.decode()
    assert PHONE in page and ID_NUMBER in page
    assert _views(with_id) == 1


def test_without_view_personal_the_detail_page_is_masked_and_not_audited(client_for, reader, with_id):
    page = client_for(reader).get(f"/emergency/shipments/{with_id.pk}/").content.decode()
    assert "138****5678" in page and "510104********007X" in page
    assert PHONE not in page and ID_NUMBER not in page
    assert _views(with_id) == 0


def test_the_board_and_the_api_are_masked(client, client_for, owner, with_id):
    page = client_for(owner).get(f"/emergency/shipments/?incident={with_id.incident_id}").content.decode()
    assert "138****5678" in page and PHONE not in page and ID_NUMBER not in page
    out = io.StringIO()
    call_command("token", "create", "--user", owner.username, stdout=out)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip()}"}
    item = client.get(f"/api/v1/shipments/{with_id.pk}", **auth).json()
    assert (item["driver_phone"], item["driver_id_number"]) == ("138****5678", "510104********007X")
    assert _views(with_id) == 0


def test_the_id_number_is_entered_on_the_shipment_form(client_for, owner, incident):
    response = client_for(owner).post(
        f"/emergency/shipments/new/?incident={incident.pk}",
        {"goods": "帐篷", "quantity": "200", "measure": "顶", "origin": "德阳", "destination": "泸定县",
         "driver_phone": "139 1234 5678", "driver_id_number": ID_NUMBER, "transit_pass": "applied"},
    )  # fmt: skip
    assert response.status_code == 302
    shipment = Shipment.objects.get(goods="帐篷")
    assert (shipment.driver_id_number, shipment.quantity) == (ID_NUMBER, Decimal("200"))
    wrong = client_for(owner).post(
        f"/emergency/shipments/{shipment.pk}/edit/",
        {"goods": "帐篷", "quantity": "200", "measure": "顶", "origin": "德阳", "destination": "泸定县",
         "driver_id_number": "510104198503124410", "transit_pass": "applied", "version": shipment.version},
    )  # fmt: skip
    assert wrong.status_code == 400 and "driver_id_number" in wrong.context["form"].errors


def test_without_view_personal_the_edit_form_withholds_and_keeps_the_numbers(client_for, sysadmin, with_id):
    url = f"/emergency/shipments/{with_id.pk}/edit/"
    client = client_for(sysadmin)
    page = client.get(url).content.decode()
    assert PHONE not in page and ID_NUMBER not in page and "510104********007X" in page
    form = {"goods": "饼干", "quantity": "10", "measure": "吨", "origin": "成都市双流区", "destination": "泸定县",
            "driver": "李师傅", "driver_phone": "", "driver_id_number": "", "transit_pass": "granted",
            "donation": with_id.donation_id, "version": with_id.version}  # fmt: skip
    assert client.post(url, form).status_code == 302
    shipment = Shipment.objects.get(pk=with_id.pk)
    assert (shipment.driver, shipment.driver_phone, shipment.driver_id_number) == ("李师傅", PHONE, ID_NUMBER)
    assert _views(shipment) == 0


def test_staff_see_the_numbers_in_the_edit_form_and_that_view_is_audited(client_for, owner, with_id):
    page = client_for(owner).get(f"/emergency/shipments/{with_id.pk}/edit/").content.decode()
    assert f'value="{ID_NUMBER}"' in page and f'value="{PHONE}"' in page
    assert _views(with_id) == 1
