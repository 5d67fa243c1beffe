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
