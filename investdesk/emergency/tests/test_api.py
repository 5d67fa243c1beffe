import datetime
import io
from decimal import Decimal

from django.core.management import call_command

from investdesk.emergency import services


def _auth(user):
    out = io.StringIO()
    call_command("token", "create", "--user", user.username, stdout=out)
    return {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip()}"}


def _post(client, url, body, user):
    return client.post(url, body, content_type="application/json", **_auth(user))


def test_incidents_donations_and_receipts_through_the_api(client, leader, owner, outsider, chengdu_enterprise):
    response = _post(client, "/api/v1/incidents", {"name": "泸定6.8级地震", "kind": "earthquake"}, leader)
    assert response.status_code == 422 or response.status_code == 400
    response = _post(
        client, "/api/v1/incidents", {"name": "泸定6.8级地震", "kind": "earthquake", "starts_on": "2022-09-05"}, leader
    )
    assert response.status_code == 201
    incident_id = response.json()["id"]
    denied = _post(client, "/api/v1/incidents", {"name": "x", "kind": "other", "starts_on": "2022-09-05"}, owner)
    assert denied.status_code == 400
    body = {
        "incident_id": incident_id,
        "donor_kind": "enterprise",
        "enterprise_id": chengdu_enterprise.pk,
        "kind": "money",
        "pledged_on": "2022-09-06",
        "amount": "5000000",
    }
    created = _post(client, "/api/v1/donations", body, owner)
    assert created.status_code == 201 and created.json()["state"] == "pledged"
    donation_id = created.json()["id"]
    over = _post(
        client, f"/api/v1/donations/{donation_id}/receipts", {"received_on": "2022-09-07", "quantity": "6000000"}, owner
    )
    assert over.status_code == 400 and over.json()["errors"][0]["field"] == "quantity"
    ok = _post(
        client, f"/api/v1/donations/{donation_id}/receipts", {"received_on": "2022-09-07", "quantity": "5000000"}, owner
    )
    assert ok.status_code == 201
    assert client.get(f"/api/v1/donations/{donation_id}", **_auth(owner)).json()["state"] == "received"
    assert client.get(f"/api/v1/donations/{donation_id}", **_auth(outsider)).status_code == 404
    assert client.get("/api/v1/donations", **_auth(outsider)).json()["count"] == 0
    totals = client.get(f"/api/v1/donations-totals?incident={incident_id}", **_auth(leader)).json()
    assert Decimal(totals["pledged"]) == 5_000_000 and totals["incomplete"] is False
    detail = client.get(f"/api/v1/incidents/{incident_id}", **_auth(leader)).json()
    assert Decimal(detail["donations"]["received"]) == 5_000_000
    assert client.get(f"/api/v1/incidents/{incident_id}", **_auth(outsider)).json()["donations"]["count"] == 0


def test_shipments_volunteers_and_continuity_through_the_api(client, leader, owner, outsider, chengdu_enterprise):
    incident = services.incident_create(
        actor=leader, name="成都疫情静默管理", kind="epidemic", starts_on=datetime.date(2022, 9, 1)
    )
    shipment = _post(
        client,
        "/api/v1/shipments",
        {"incident_id": incident.pk, "goods": "帐篷", "quantity": "200", "measure": "顶", "origin": "德阳",
         "destination": "泸定县", "driver_phone": "13912345678"},
        owner,
    ).json()  # fmt: skip
    assert shipment["driver_phone"] == "139****5678"
    url = f"/api/v1/shipments/{shipment['id']}/state"
    wrong = _post(client, url, {"state": "delivered"}, owner)
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "state"
    for state in ("loading", "in_transit", "delivered"):
        assert _post(client, url, {"state": state}, owner).status_code == 200
    states = client.get(f"/api/v1/shipments/{shipment['id']}/states", **_auth(owner)).json()
    assert [s["to"] for s in states] == ["planned", "loading", "in_transit", "delivered"]
    assert client.get(f"/api/v1/shipments/{shipment['id']}", **_auth(outsider)).status_code == 404

    stint = {"incident_id": incident.pk, "on": "2022-09-03", "district": "武侯区", "community": "玉林社区",
             "hours": "4", "tasks": ["testing"], "tests_assisted": 300}  # fmt: skip
    assert _post(client, "/api/v1/volunteer-services", stint, owner).status_code == 201
    bad = _post(client, "/api/v1/volunteer-services", {**stint, "on": "2022-09-04", "tasks": ["dancing"]}, owner)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "tasks"
    figures = client.get(f"/api/v1/volunteer-services/figures?incident={incident.pk}", **_auth(owner)).json()
    assert (figures["person_times"], figures["communities"], figures["tests_assisted"]) == (1, 1, 300)
    assert client.get("/api/v1/volunteer-services/figures", **_auth(outsider)).json()["person_times"] == 0

    critical = _post(
        client,
        "/api/v1/continuity",
        {
            "incident_id": incident.pk,
            "enterprise_id": chengdu_enterprise.pk,
            "why": "城市运行保障：新能源汽车",
            "on": "2022-09-02",
        },
        owner,
    )
    assert critical.status_code == 201
    update_url = f"/api/v1/continuity/{critical.json()['id']}/updates"
    missing = _post(client, update_url, {"on": "2022-09-05", "status": "stopped"}, owner)
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "reason"
    _post(client, update_url, {"on": "2022-09-05", "status": "stopped", "reason": "物流受阻"}, owner)
    listed = client.get(f"/api/v1/continuity?incident={incident.pk}&not_normal=true", **_auth(owner)).json()
    assert listed["count"] == 1 and listed["items"][0]["status"] == "stopped"
