"""Pages: scoped to the policy (another unit's record answers 404), bad input names its field, the
quick self-logging form, exports with the same filters."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from investdesk.emergency import services
from investdesk.emergency.models import Donation, VolunteerService


@pytest.fixture
def incident(leader):
    return services.incident_create(
        actor=leader, name="泸定6.8级地震", kind="earthquake", starts_on=datetime.date(2022, 9, 5)
    )


@pytest.fixture
def gift(owner, incident, chengdu_enterprise):
    return services.donation_pledge(
        actor=owner,
        incident=incident,
        donor_kind="enterprise",
        enterprise=chengdu_enterprise,
        kind="money",
        pledged_on=datetime.date(2022, 9, 6),
        amount=Decimal("5000000"),
        recipient="四川省红十字会",
    )


def test_another_units_donation_answers_404_everywhere(client_for, gift, outsider, owner):
    client = client_for(outsider)
    for url in [
        f"/emergency/donations/{gift.pk}/",
        f"/emergency/donations/{gift.pk}/edit/",
        f"/emergency/donations/{gift.pk}/certificate/",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/emergency/donations/{gift.pk}/receipts/", {}).status_code == 404
    listing = client.get(f"/emergency/donations/?incident={gift.incident_id}").content.decode()
    assert "比亚迪" not in listing
    export = client.get(f"/emergency/donations/export.xlsx?incident={gift.incident_id}")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert sheet.max_row == 1  # the header only
    assert "比亚迪" in client_for(owner).get(f"/emergency/donations/?incident={gift.incident_id}").content.decode()


def test_receipts_through_the_page_and_the_over_receipt_message(client_for, gift, owner):
    client = client_for(owner)
    url = f"/emergency/donations/{gift.pk}/receipts/"
    assert client.post(url, {"received_on": "2022-09-08", "quantity": "2000000"}).status_code == 302
    too_much = client.post(url, {"received_on": "2022-09-09", "quantity": "3000001"})
    assert too_much.status_code == 400
    assert "quantity" in too_much.context["receipt_form"].errors
    assert "300万元" in too_much.content.decode() or "3000000" in too_much.content.decode()
    gift.refresh_from_db()
    assert gift.state == Donation.State.PARTLY and gift.received_value == Decimal("2000000")
    page = client.get(f"/emergency/donations/{gift.pk}/").content.decode()
    assert "部分到账" in page or "部分" in page
    certificate = client.get(f"/emergency/donations/{gift.pk}/certificate/").content.decode()
    assert "捐赠证书" in certificate and "200万元" in certificate


def test_a_pledge_form_names_the_missing_field(client_for, owner, incident):
    response = client_for(owner).post(
        f"/emergency/donations/new/?incident={incident.pk}",
        {"donor_kind": "enterprise", "kind": "money", "pledged_on": "2022-09-06", "amount": "100"},
    )
    assert response.status_code == 400 and "enterprise" in response.context["form"].errors
    assert not Donation.objects.exists()


def test_staff_log_their_own_stint_quickly(client_for, owner, incident):
    client = client_for(owner)
    form = client.get(f"/emergency/volunteer/log/?incident={incident.pk}")
    assert form.status_code == 200 and 'name="tasks"' in form.content.decode()
    data = {
        "on": "2022-09-06",
        "district": "武侯区",
        "community": "玉林社区",
        "hours": "4",
        "tasks": ["testing", "data_entry"],
        "tests_assisted": "320",
        "records_entered": "85",
    }
    response = client.post(f"/emergency/volunteer/log/?incident={incident.pk}", data)
    assert response.status_code == 302
    stint = VolunteerService.objects.get()
    assert (stint.person, stint.unit, stint.tests_assisted, stint.households_surveyed) == (owner, owner.unit, 320, 0)
    again = client.post(f"/emergency/volunteer/log/?incident={incident.pk}", data)
    assert again.status_code == 400 and "community" in again.context["form"].errors
    # The next time, the form starts from the same community.
    assert (
        client.get(f"/emergency/volunteer/log/?incident={incident.pk}").context["form"].initial["community"]
        == "玉林社区"
    )
    page = client.get(f"/emergency/volunteer/?incident={incident.pk}").content.decode()
    assert "320" in page and "玉林社区" in page


def test_the_volunteer_export_follows_the_scope(client_for, owner, outsider, incident):
    services.volunteer_log(
        actor=owner,
        incident=incident,
        on=datetime.date(2022, 9, 6),
        district="武侯区",
        community="玉林社区",
        hours=Decimal(4),
        tasks=["testing"],
        tests_assisted=100,
    )
    mine = client_for(owner).get(f"/emergency/volunteer/export.xlsx?incident={incident.pk}")
    rows = list(openpyxl.load_workbook(io.BytesIO(mine.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][4] == "玉林社区" and rows[1][7] == 100
    theirs = client_for(outsider).get(f"/emergency/volunteer/export.xlsx?incident={incident.pk}")
    assert openpyxl.load_workbook(io.BytesIO(theirs.content)).active.max_row == 1


def test_a_blocked_shipment_becomes_a_case_in_one_step(client_for, dispatcher, units, incident, chengdu_enterprise):
    from investdesk.cases.models import Case, CaseCategory
    from investdesk.core.models import Unit

    CaseCategory.objects.get_or_create(name="物流运输")
    transport = Unit.objects.create(name="四川省交通运输厅", code="jiaotong", kind="partner", path="/jiaotong/")
    client = client_for(dispatcher)
    response = client.post(
        f"/emergency/shipments/new/?incident={incident.pk}",
        {"goods": "饮用水", "quantity": "20", "measure": "吨", "origin": "成都", "destination": "泸定县",
         "township": "磨西镇", "driver_phone": "138 1234 5678", "transit_pass": "granted"},
    )  # fmt: skip
    assert response.status_code == 302
    shipment_url = response["Location"]
    shipment_id = int(shipment_url.rstrip("/").rsplit("/", 1)[-1])
    bad = client.post(f"/emergency/shipments/{shipment_id}/move/", {"state": "blocked", "reason": ""})
    assert bad.status_code == 400 and "reason" in bad.context["move_form"].errors
    client.post(f"/emergency/shipments/{shipment_id}/move/", {"state": "blocked", "reason": "省道217线塌方"})
    page = client.get(shipment_url).content.decode()
    # A dispatcher may view personal data: the driver's number in full (masked for others, see
    # test_personal_data.py), and that view audited.
    assert "13812345678" in page
    client.post(f"/emergency/shipments/{shipment_id}/case/", {"enterprise": chengdu_enterprise.pk})
    case = Case.objects.get()
    assert case.lead_unit == transport and "省道217线塌方" in case.description
    assert "物资运输受阻" in case.title or "blocked" in case.title


def test_incident_pages_render_for_every_role(client_for, gift, owner, outsider, leader, dispatcher, observer):
    for user in (owner, outsider, leader, dispatcher, observer):
        client = client_for(user)
        for url in [
            "/emergency/",
            f"/emergency/incidents/{gift.incident_id}/",
            f"/emergency/shipments/?incident={gift.incident_id}",
            f"/emergency/continuity/?incident={gift.incident_id}",
            f"/emergency/volunteer/?incident={gift.incident_id}",
        ]:
            assert client.get(url).status_code == 200, (user, url)
    assert client_for(owner).get("/emergency/incidents/new/").status_code == 403
    assert client_for(owner).get("/emergency/incidents/999/").status_code == 404
