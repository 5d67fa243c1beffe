import io

from django.core.management import call_command


def _auth(user):
    out = io.StringIO()
    call_command("token", "create", "--user", user.username, stdout=out)
    return {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip()}"}


def test_stage_change_through_the_api(client, project, owner, outsider):
    auth = _auth(owner)
    response = client.post(
        f"/api/v1/projects/{project.pk}/stage", {"stage": "signed"}, content_type="application/json", **auth
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "owner"
    response = client.post(
        f"/api/v1/projects/{project.pk}/stage",
        {"stage": "signed", "owner_id": owner.pk, "signed_on": "2022-09-10", "contract_amount_cny": "100"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200 and response.json()["stage"] == "signed"
    assert client.get(f"/api/v1/projects/{project.pk}", **_auth(outsider)).status_code == 404
    assert client.get("/api/v1/projects", **_auth(outsider)).json()["count"] == 0


def test_patch_a_project_with_its_version(client, project, owner):
    auth = _auth(owner)
    url = f"/api/v1/projects/{project.pk}"
    ok = client.patch(
        url,
        {"version": project.version, "is_watched": True, "watch_reason": "局领导重点盯"},
        content_type="application/json",
        **auth,
    )
    assert ok.status_code == 200 and ok.json()["is_watched"] is True
    stale = client.patch(url, {"version": project.version, "note": "x"}, content_type="application/json", **auth)
    assert stale.status_code == 409


def test_targets_through_the_api(client, leader, owner, units):
    auth = _auth(leader)
    body = {"unit_id": units.chengdu.pk, "year": 2022, "signed_projects": 10, "q1_pct": 10, "q2_pct": 40}
    response = client.put("/api/v1/targets", body, content_type="application/json", **auth)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "q3_pct"
    response = client.put("/api/v1/targets", {**body, "q3_pct": 70}, content_type="application/json", **auth)
    assert response.status_code == 200 and response.json()["q3_pct"] == 70
    [row] = client.get("/api/v1/targets?year=2022&as_of=2022-09-30", **auth).json()
    assert row["expected"] == 0.7 and row["quarterly"] == [10, 40, 70, 100]
    denied = client.put("/api/v1/targets", {**body, "q3_pct": 70}, content_type="application/json", **_auth(owner))
    assert denied.status_code == 400 and "局领导" in denied.json()["detail"]
    assert client.get("/api/v1/targets?year=2022", **_auth(owner)).json()[0]["unit_id"] == units.chengdu.pk


def test_plans_and_events_through_the_api(client, owner, outsider, chengdu_enterprise, project):
    from investdesk.projects import services

    plan = services.plan_create(actor=owner, name="新能源汽车产业链招商方案")
    services.plan_add_targets(actor=owner, plan=plan, enterprises=[chengdu_enterprise])
    auth = _auth(owner)
    listed = client.get("/api/v1/plans", **auth).json()
    assert listed["count"] == 1 and listed["items"][0]["name"] == plan.name
    detail = client.get(f"/api/v1/plans/{plan.pk}", **auth).json()
    assert detail["targets"][0]["enterprise_id"] == chengdu_enterprise.pk
    assert detail["conversion"]["total"] == 1
    assert client.get(f"/api/v1/plans/{plan.pk}", **_auth(outsider)).status_code == 404
    response = client.patch(
        f"/api/v1/projects/{project.pk}",
        {"version": project.version, "likelihood": "high", "expected_start_on": "2023-03-01"},
        content_type="application/json",
        **auth,
    )
    assert response.json()["likelihood"] == "high" and response.json()["expected_start_on"] == "2023-03-01"
    assert client.get("/api/v1/projects?likelihood=high", **auth).json()["count"] == 1
    assert client.get("/api/v1/projects?likelihood=low", **auth).json()["count"] == 0


def test_an_impossible_year_is_a_422_naming_it_not_a_500(client, leader):
    """Found by API fuzzing: year=0 reached datetime.date() and answered 500."""
    for url in ("/api/v1/targets?year=0", "/api/v1/projects-figures?year=0", "/api/v1/targets?year=99999"):
        response = client.get(url, **_auth(leader))
        assert response.status_code == 422, url
        assert [e["field"] for e in response.json()["errors"]] == ["year"]
    assert client.get("/api/v1/projects-figures?year=2022", **_auth(leader)).status_code == 200
