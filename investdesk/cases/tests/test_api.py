import io

from django.core.management import call_command


def _auth(user):
    out = io.StringIO()
    call_command("token", "create", "--user", user.username, stdout=out)
    return {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip()}"}


def test_create_transition_and_events(client, owner, dispatcher, problem, category, units):
    response = client.post(
        "/api/v1/cases",
        {"problem_id": problem.pk, "category_id": category.pk},
        content_type="application/json",
        **_auth(owner),
    )
    assert response.status_code == 201
    case = response.json()
    auth = _auth(dispatcher)
    response = client.post(
        f"/api/v1/cases/{case['id']}/transitions",
        {"action": "assign", "version": case["version"], "lead_unit_id": units.chengdu.pk},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200 and response.json()["status"] == "assigned"
    refused = client.post(
        f"/api/v1/cases/{case['id']}/transitions", {"action": "close"}, content_type="application/json", **auth
    )
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "action"
    stale = client.post(
        f"/api/v1/cases/{case['id']}/transitions",
        {"action": "supervise", "version": case["version"], "note": "x"},
        content_type="application/json",
        **auth,
    )
    assert stale.status_code == 409
    events = client.get(f"/api/v1/cases/{case['id']}/events", **auth).json()
    assert [e["action"] for e in events] == ["register", "assign"]


def test_cases_api_scope(client, case, outsider, partner):
    assert client.get(f"/api/v1/cases/{case.pk}", **_auth(outsider)).status_code == 404
    assert client.get("/api/v1/cases", **_auth(partner)).json()["count"] == 0


def test_figures_api(client, case, dispatcher):
    data = client.get("/api/v1/cases-figures", **_auth(dispatcher)).json()
    assert data["total"] == 1 and data["by_status"]["registered"] == 1
