"""The /api/v1 conventions: bearer tokens, {"items", "count"}, JSON errors naming fields, 401/404."""

from django.core.management import call_command
from django.db import connection

from investdesk.core.models import AuditEntry, User


def _bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _token_for(user) -> str:
    import io

    out = io.StringIO()
    call_command("token", "create", "--user", user.username, stdout=out)
    return out.getvalue().strip()


def test_token_create_command_and_an_authenticated_call(client, owner):
    key = _token_for(owner)
    response = client.get("/api/v1/me", **_bearer(key))
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert response.json()["unit"]["code"] == "chengdu"


def test_no_token_is_401_with_a_json_body(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_wrong_or_revoked_token_is_401(client, owner):
    assert client.get("/api/v1/me", **_bearer("idk_nonsense")).status_code == 401


def test_lists_answer_items_and_count_with_limit_offset_and_q(client, owner, colleague, outsider):
    key = _token_for(owner)
    data = client.get("/api/v1/people", {"limit": 1}, **_bearer(key)).json()
    assert data["count"] == 2 and len(data["items"]) == 1
    data = client.get("/api/v1/people", {"q": "yangfan"}, **_bearer(key)).json()
    assert [p["username"] for p in data["items"]] == ["bob"]
    assert data["items"][0]["mobile"] == "139****5678"


def test_another_units_person_is_404_through_the_api(client, owner, outsider):
    key = _token_for(owner)
    response = client.get(f"/api/v1/people/{outsider.pk}", **_bearer(key))
    assert response.status_code == 404
    assert response.json()["detail"]


def test_a_visible_persons_detail_is_unmasked_and_audited(client, owner, colleague):
    key = _token_for(owner)
    data = client.get(f"/api/v1/people/{colleague.pk}", **_bearer(key)).json()
    assert data["mobile"] == "13912345678"
    assert AuditEntry.objects.filter(action="view_personal", actor=owner, target_id=str(colleague.pk)).exists()


def test_validation_errors_name_the_field(client, admin, units):
    key = _token_for(admin)
    response = client.post(
        "/api/v1/people",
        {"username": "bad name!", "name": "", "unit_id": "x", "password": "p"},
        content_type="application/json",
        **_bearer(key),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"username", "name", "unit_id"} <= fields


def test_business_rule_errors_name_the_field(client, admin, units):
    key = _token_for(admin)
    response = client.post(
        "/api/v1/people",
        {"username": "wangwu", "name": "王五", "unit_id": units.chengdu.pk, "password": "weak"},
        content_type="application/json",
        **_bearer(key),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "password"
    assert not User.objects.filter(username="wangwu").exists()


def test_an_administrator_creates_a_person_through_the_api(client, admin, units):
    key = _token_for(admin)
    response = client.post(
        "/api/v1/people",
        {
            "username": "wangwu",
            "name": "王五",
            "unit_id": units.chengdu.pk,
            "password": "Shu-Dao-2022-nan",
            "mobile": "+8613800001111",
        },
        content_type="application/json",
        **_bearer(key),
    )
    assert response.status_code == 201
    assert response.json()["mobile"] == "13800001111"


def test_only_administrators_create_people(client, owner, units):
    key = _token_for(owner)
    response = client.post(
        "/api/v1/people",
        {"username": "x", "name": "x", "unit_id": units.chengdu.pk, "password": "Shu-Dao-2022-nan"},
        content_type="application/json",
        **_bearer(key),
    )
    assert response.status_code == 403


def test_the_audit_api_is_for_the_audit_administrator(client, admin, auditor, owner):
    _token_for(owner)
    assert client.get("/api/v1/audit", **_bearer(_token_for(owner))).status_code == 403
    assert client.get("/api/v1/audit", **_bearer(_token_for(admin))).status_code == 403
    data = client.get("/api/v1/audit", {"action": "token"}, **_bearer(_token_for(auditor))).json()
    assert data["count"] >= 1
    assert AuditEntry.objects.filter(actor=auditor, action="audit", note__startswith="read (API)").exists()


def test_the_session_works_for_the_browser_but_needs_csrf_to_write(admin, units):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    assert browser.get("/api/v1/me").status_code == 200
    response = browser.post("/api/v1/people", {}, content_type="application/json")
    assert response.status_code in (401, 403)


def test_openapi_document_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/people" in response.json()["paths"]


def test_api_docs_load_nothing_from_the_internet(client, db):
    body = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle" in body
    assert "http://" not in body and "https://" not in body


def test_an_id_past_64_bits_in_a_list_is_a_422_naming_it_not_a_500(client, owner, chengdu_enterprise):
    """Found by API fuzzing: SQLite cannot bind such an integer in `IN (...)`, which answered 500."""
    key = _token_for(owner)
    huge = 2**64
    campaign = {
        "name": "中秋问候",
        "subject": "中秋问候",
        "body": "祝中秋快乐",
        "enterprise_ids": [chengdu_enterprise.pk, huge],
    }
    visit = {"enterprise_id": chengdu_enterprise.pk, "visited_on": "2022-09-01", "staff_ids": [huge]}
    for url, body, field in (
        ("/api/v1/campaigns", campaign, "enterprise_ids.1"),
        ("/api/v1/campaigns", {**campaign, "enterprise_ids": [], "unit_ids": [huge]}, "unit_ids.0"),
        ("/api/v1/visits", visit, "staff_ids.0"),
        ("/api/v1/visits", {**visit, "staff_ids": [], "contact_ids": [huge]}, "contact_ids.0"),
    ):
        response = client.post(url, body, content_type="application/json", **_bearer(key))
        assert response.status_code == 422, (url, response.content)
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_filter_number_past_64_bits_is_a_422_not_a_500(client, owner):
    """Found by API fuzzing (GET /enterprises?industry=-152539368038258933760): SQLite overflowed."""
    key = _token_for(owner)
    for url in ("/api/v1/enterprises?industry=-152539368038258933760", "/api/v1/cases?category=" + "9" * 25):
        response = client.get(url, **_bearer(key))
        # PostgreSQL compares such a number and finds nothing; SQLite cannot bind it: a 422 then.
        if connection.vendor == "sqlite":
            assert response.status_code == 422, (url, response.content)
            assert response.json()["errors"][0]["code"] == "out_of_range"
        else:
            assert response.status_code == 200 and response.json()["items"] == []


def test_an_offset_past_64_bits_is_a_422_naming_it_not_a_500(client, owner, chengdu_enterprise):
    """Found by API fuzzing (GET /enterprises?offset=127848621856177793018101760): the offset reached
    the database as it was, where SQLite answered "datatype mismatch" and PostgreSQL "bigint out of
    range", both a 500. The largest 64-bit offset still answers, with no items."""
    key = _token_for(owner)
    for url in ("/api/v1/enterprises", "/api/v1/people", "/api/v1/cases"):
        response = client.get(url, {"offset": 2**63, "limit": 300}, **_bearer(key))
        assert response.status_code == 422, (url, response.content)
        assert [e["field"] for e in response.json()["errors"]] == ["offset"]
        response = client.get(url, {"offset": 2**63 - 1, "limit": 300}, **_bearer(key))
        assert response.status_code == 200, (url, response.content)
        assert response.json()["items"] == []


def test_the_openapi_document_declares_the_error_answers(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/me"]["get"]["responses"]) == {"200", "400", "401", "403", "404", "422", "503"}
    patch = paths["/api/v1/enterprises/{enterprise_id}"]["patch"]["responses"]
    assert patch["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def test_a_nul_character_is_a_422_naming_the_field_not_a_500(client, owner, chengdu_enterprise):
    """Found by API fuzzing on PostgreSQL, whose text columns refuse NUL: it answered 500."""
    key = _token_for(owner)
    body = {
        "name": "中秋\x00问候",
        "subject": "中秋问候",
        "body": "祝中秋快乐",
        "enterprise_ids": [chengdu_enterprise.pk],
    }
    response = client.post("/api/v1/campaigns", body, content_type="application/json", **_bearer(key))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["name"]
    response = client.get("/api/v1/people", {"q": "a\x00b"}, **_bearer(key))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["q"]
    assert client.post("/api/v1/campaigns", "{", content_type="application/json", **_bearer(key)).status_code == 400


def test_no_two_api_schemas_share_a_name():
    """django-ninja names OpenAPI components by class name: two `EventOut`s (cases, projects) made the
    document describe case events as promotion events (found by the fuzz test)."""
    import importlib
    import pkgutil

    from ninja import Schema

    import investdesk

    for module in pkgutil.walk_packages(investdesk.__path__, "investdesk."):
        if module.name.rsplit(".", 1)[-1] in ("api", "schemas"):
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(Schema) if c.__module__.startswith("investdesk.")]
    names = [c.__name__ for c in ours]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
