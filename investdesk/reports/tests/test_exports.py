"""Every list exports to .xlsx with the page's filters, masked personal data, and only what the user
may see."""

import datetime
import io
from decimal import Decimal

import openpyxl

from investdesk.cases import services as case_services
from investdesk.cases.models import CaseCategory
from investdesk.emergency import services as emergency_services
from investdesk.enterprises import services as enterprise_services


def _rows(response):
    assert response.status_code == 200, response.status_code
    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_lists_export_what_their_pages_show(client_for, owner, outsider, leader, chengdu_enterprise, units):
    category, _ = CaseCategory.objects.get_or_create(code="logistics", defaults={"name": "物流运输"})
    case_services.case_register(
        actor=owner, enterprise=chengdu_enterprise, title="物流受阻", description="原材料运不进来", category=category
    )
    enterprise_services.visit_create(
        actor=owner, enterprise=chengdu_enterprise, visited_on=datetime.date.today(), mode="online", staff=[owner],
        problems=["员工返岗难"], status="completed",
    )  # fmt: skip
    incident = emergency_services.incident_create(
        actor=leader,
        name="泸定6.8级地震",
        kind="earthquake",
        starts_on=datetime.date.today() - datetime.timedelta(days=3),
    )
    emergency_services.shipment_create(
        actor=owner, incident=incident, goods="饮用水", quantity=Decimal(20), measure="吨", origin="成都",
        destination="泸定县", driver_phone="13812345678",
    )  # fmt: skip
    emergency_services.critical_mark(actor=owner, incident=incident, enterprise=chengdu_enterprise, why="城市运行保障")
    from django.test import Client

    mine, theirs = client_for(owner), Client()
    theirs.force_login(outsider)

    cases = _rows(mine.get("/cases/export.xlsx?queue=all"))
    assert len(cases) == 2 and cases[1][3] == "物流受阻"
    assert len(_rows(mine.get("/cases/export.xlsx?queue=all&q=不存在的"))) == 1  # the same search as the page
    assert len(_rows(theirs.get("/cases/export.xlsx?queue=all"))) == 1

    visits = _rows(mine.get("/enterprises/visits/export.xlsx"))
    assert len(visits) == 2 and visits[1][8] == "员工返岗难"
    assert len(_rows(theirs.get("/enterprises/visits/export.xlsx"))) == 1

    shipments = _rows(mine.get(f"/emergency/shipments/export.xlsx?incident={incident.pk}"))
    assert len(shipments) == 2 and shipments[1][8] == "138****5678"
    assert len(_rows(theirs.get(f"/emergency/shipments/export.xlsx?incident={incident.pk}"))) == 1

    critical = _rows(mine.get(f"/emergency/continuity/export.xlsx?incident={incident.pk}"))
    assert len(critical) == 2 and critical[1][0] == chengdu_enterprise.name
    assert len(_rows(mine.get(f"/emergency/continuity/export.xlsx?incident={incident.pk}&not_normal=1"))) == 1

    today = datetime.date.today().isoformat()
    figure = _rows(mine.get(f"/reports/figures/aftercare.cases/export.xlsx?period=custom&start={today}&end={today}"))
    assert len(figure) == 2 and figure[1][3] == "物流受阻"
    assert len(_rows(theirs.get(f"/reports/figures/aftercare.cases/export.xlsx?start={today}&end={today}"))) == 1
    assert mine.get("/reports/figures/aftercare.resolution_rate/export.xlsx").status_code == 404  # a rate has no rows
