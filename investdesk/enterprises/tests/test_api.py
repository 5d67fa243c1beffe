import io

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from investdesk.enterprises import services
from investdesk.enterprises.models import Enterprise


def _auth(user):
    out = io.StringIO()
    call_command("token", "create", "--user", user.username, stdout=out)
    return {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip()}"}


def test_create_with_just_a_name(client, owner):
    response = client.post(
        "/api/v1/enterprises", {"name": "成都某科技有限公司"}, content_type="application/json", **_auth(owner)
    )
    assert response.status_code == 201
    assert response.json()["owner_unit_id"] == owner.unit_id


def test_a_bad_uscc_is_named(client, owner):
    response = client.post(
        "/api/v1/enterprises",
        {"name": "某公司", "uscc": "914403001922038217"},
        content_type="application/json",
        **_auth(owner),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "uscc"
    assert not Enterprise.objects.exists()


def test_a_bad_choice_is_named(client, owner):
    response = client.post(
        "/api/v1/enterprises", {"name": "某公司", "city": "atlantis"}, content_type="application/json", **_auth(owner)
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "city"


def test_list_search_and_scope(client, owner, chengdu_enterprise, mianyang_enterprise):
    data = client.get("/api/v1/enterprises", {"q": "byd"}, **_auth(owner)).json()
    assert data == {"items": data["items"], "has_next": False, "count": None}
    assert [e["name"] for e in data["items"]] == ["比亚迪股份有限公司"]
    data = client.get("/api/v1/enterprises", {"q": "changhong", "count": "true"}, **_auth(owner)).json()
    assert data == {"items": [], "has_next": False, "count": 0}


def test_the_registry_says_whether_a_next_page_follows_and_counts_only_when_asked(client, leader, owner):
    for i in range(5):
        services.enterprise_create(actor=owner, name=f"翻页测试{i}有限公司")
    auth = _auth(leader)
    pages = [client.get("/api/v1/enterprises", {"limit": 2, "offset": o}, **auth).json() for o in (0, 2, 4)]
    assert [p["has_next"] for p in pages] == [True, True, False] and [len(p["items"]) for p in pages] == [2, 2, 1]
    assert {e["id"] for p in pages for e in p["items"]} == set(Enterprise.objects.values_list("pk", flat=True))
    assert all(p["count"] is None for p in pages)
    counted = client.get("/api/v1/enterprises", {"limit": 2, "count": "true"}, **auth).json()
    assert counted["count"] == 5 and counted["items"] == pages[0]["items"] and counted["has_next"]
    with CaptureQueriesContext(connection) as uncounted:
        client.get("/api/v1/enterprises", {"limit": 2}, **auth)
    with CaptureQueriesContext(connection) as counting:
        client.get("/api/v1/enterprises", {"limit": 2, "count": "true"}, **auth)
    assert len(counting) == len(uncounted) + 1
    assert not any("COUNT(" in q["sql"] for q in uncounted.captured_queries)


def test_another_units_enterprise_is_404(client, owner, mianyang_enterprise):
    auth = _auth(owner)
    assert client.get(f"/api/v1/enterprises/{mianyang_enterprise.pk}", **auth).status_code == 404
    assert client.get(f"/api/v1/enterprises/{mianyang_enterprise.pk}/contacts", **auth).status_code == 404
    response = client.patch(
        f"/api/v1/enterprises/{mianyang_enterprise.pk}",
        {"version": 1, "employees": 1},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 404


def test_patch_detects_a_stale_version(client, owner, chengdu_enterprise):
    auth = _auth(owner)
    url = f"/api/v1/enterprises/{chengdu_enterprise.pk}"
    version = client.get(url, **auth).json()["version"]
    ok = client.patch(url, {"version": version, "employees": 100}, content_type="application/json", **auth)
    assert ok.status_code == 200 and ok.json()["employees"] == 100
    stale = client.patch(url, {"version": version, "employees": 200}, content_type="application/json", **auth)
    assert stale.status_code == 409 and stale.json()["errors"][0]["field"] == "version"


def test_contacts_are_masked_in_the_api(client, owner, chengdu_enterprise):
    data = client.get(f"/api/v1/enterprises/{chengdu_enterprise.pk}/contacts", **_auth(owner)).json()
    assert data["items"][0]["mobile"] == "138****8888"
    assert data["items"][0]["email"] == "w***@byd.example.com"


def test_create_a_contact_and_a_visit(client, owner, chengdu_enterprise):
    auth = _auth(owner)
    response = client.post(
        f"/api/v1/enterprises/{chengdu_enterprise.pk}/contacts",
        {"name": "李四", "mobile": "12345"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "mobile"
    response = client.post(
        "/api/v1/visits",
        {"enterprise_id": chengdu_enterprise.pk, "visited_on": "2022-09-05", "mode": "video", "problems": ["物流受阻"]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201
    assert response.json()["staff_ids"] == [owner.pk] and response.json()["problems"] == ["物流受阻"]
    assert client.get("/api/v1/visits", **auth).json()["count"] == 1


def test_service_actions_and_progress(client, owner, chengdu_enterprise):
    import datetime

    from investdesk.enterprises import services

    action = services.service_action_create(
        actor=owner, name="进千企", starts_on=datetime.date(2022, 8, 1), ends_on=datetime.date(2022, 9, 30)
    )
    services.service_action_add_targets(actor=owner, action=action, enterprises=[chengdu_enterprise])
    auth = _auth(owner)
    assert client.get("/api/v1/service-actions", **auth).json()["items"][0]["target_count"] == 1
    progress = client.get(f"/api/v1/service-actions/{action.pk}/progress", **auth).json()
    assert progress == {
        "targets": 1,
        "visited": 0,
        "not_visited": 1,
        "visits": 0,
        "problems": 0,
        "enterprises_with_problems": 0,
    }
