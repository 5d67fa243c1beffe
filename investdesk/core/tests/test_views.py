"""Pages: isolation across units (pages and exports), administration, errors, concurrency, language."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from investdesk.core.models import AuditEntry, Unit, User


def test_the_home_page_shows_my_unit_and_my_recent_activity(client_for, owner, colleague):
    from investdesk.core.audit import audit_log

    audit_log(actor=owner, action=AuditEntry.Action.EXPORT, note="something I did")
    response = client_for(owner).get("/")
    body = response.content.decode()
    assert "成都市投资促进局" in body
    assert "导出" in body  # the export I did, in Chinese
    assert "something I did" in [entry.note for entry in response.context["activity"]]


def test_the_ui_is_chinese_by_default_with_an_english_switch(client_for, owner):
    client = client_for(owner)
    assert "通讯录" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Directory" in client.get("/").content.decode()


def test_the_directory_lists_my_units_people_with_masked_mobiles(client_for, owner, colleague, outsider):
    body = client_for(owner).get("/directory/").content.decode()
    assert colleague.name in body and "139****5678" in body
    assert "13912345678" not in body
    assert outsider.name not in body


def test_directory_search_by_pinyin_initials(client_for, owner, colleague):
    response = client_for(owner).get("/directory/", {"q": "yf"}, HTTP_HX_REQUEST="true")
    assert colleague.name in response.content.decode()
    assert "<html" not in response.content.decode()  # the htmx partial only


def test_another_units_person_answers_404(client_for, owner, outsider):
    assert client_for(owner).get(f"/directory/{outsider.pk}/").status_code == 404


def test_a_person_page_shows_the_full_mobile_and_audits_the_view(client_for, owner, colleague):
    body = client_for(owner).get(f"/directory/{colleague.pk}/").content.decode()
    assert "13912345678" in body
    entry = AuditEntry.objects.get(action="view_personal")
    assert entry.actor == owner and entry.target_id == str(colleague.pk)


def test_the_export_holds_only_my_scope_masked_and_is_audited(client_for, owner, colleague, outsider):
    response = client_for(owner).get("/directory/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted([owner.name, colleague.name])
    mobiles = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all("****" in m for m in mobiles)
    assert AuditEntry.objects.filter(action="export", actor=owner, note__contains="rows=2").exists()


def test_a_leader_sees_everyone(client_for, leader, owner, outsider, partner):
    body = client_for(leader).get("/directory/").content.decode()
    assert all(p.name in body for p in (owner, outsider, partner))


def test_directory_query_count_does_not_grow_with_rows(client_for, leader, units):
    from investdesk.core.tests.factories import UserFactory

    client = client_for(leader)
    client.get("/directory/")
    with CaptureQueriesContext(connection) as few:
        client.get("/directory/")
    for i in range(15):
        UserFactory(username=f"extra{i}", unit=units.mianyang)
    with CaptureQueriesContext(connection) as many:
        client.get("/directory/")
    assert len(many) == len(few)


@pytest.mark.parametrize(
    "path",
    ["/manage/units/", "/manage/units/new/", "/manage/people/", "/manage/people/new/", "/manage/audit/"],
)
def test_administration_is_for_administrators_only(client_for, owner, leader, path):
    assert client_for(owner).get(path).status_code == 403
    assert client_for(leader).get(path).status_code == 403


def test_an_administrator_creates_a_unit(client_for, admin, units):
    response = client_for(admin).post(
        "/manage/units/new/",
        {
            "name": "宜宾市投资促进局",
            "code": "yibin",
            "kind": "city",
            "parent": units.bureau.pk,
            "sort_order": 100,
        },
    )
    assert response.status_code == 302
    unit = Unit.objects.get(code="yibin")
    assert unit.parent == units.bureau and unit.path.startswith(units.bureau.path)


def test_a_bad_unit_form_names_the_field_and_saves_nothing(client_for, admin, units):
    response = client_for(admin).post(
        "/manage/units/new/", {"name": "", "code": "chengdu", "kind": "city", "sort_order": 100}
    )
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert Unit.objects.filter(code="chengdu").count() == 1


def test_a_duplicate_unit_code_is_reported_on_the_code_field(client_for, admin, units):
    response = client_for(admin).post(
        "/manage/units/new/", {"name": "又一个", "code": "chengdu", "kind": "city", "sort_order": 100}
    )
    assert response.status_code == 400
    assert "code" in response.context["form"].errors


def test_concurrent_edits_of_a_person_are_detected(client_for, admin, owner):
    client = client_for(admin)
    form = {
        "name": "刘洋",
        "unit": owner.unit_id,
        "role": "staff",
        "title": "科长",
        "mobile": "",
        "office_phone": "",
        "email": "",
        "is_active": "on",
        "version": owner.version,
    }
    assert client.post(f"/manage/people/{owner.pk}/", form).status_code == 302
    form["title"] = "副科长"  # a second tab still holding the old version
    response = client.post(f"/manage/people/{owner.pk}/", form)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() or response.context["form"].errors
    owner.refresh_from_db()
    assert owner.title == "科长"


def test_an_administrator_creates_a_person_who_must_change_password(client_for, admin, units):
    response = client_for(admin).post(
        "/manage/people/new/",
        {
            "username": "wangwu",
            "name": "王五",
            "unit": units.chengdu.pk,
            "role": "staff",
            "title": "",
            "mobile": "138 0000 1111",
            "office_phone": "",
            "email": "",
            "password": "Shu-Dao-2022-nan",
        },
    )
    assert response.status_code == 302
    person = User.objects.get(username="wangwu")
    assert person.must_change_password and person.mobile == "13800001111"


def test_a_bad_mobile_is_named_in_chinese(client_for, admin, units):
    response = client_for(admin).post(
        "/manage/people/new/",
        {
            "username": "wangwu",
            "name": "王五",
            "unit": units.chengdu.pk,
            "role": "staff",
            "mobile": "12345",
            "password": "Shu-Dao-2022-nan",
        },
    )
    assert response.status_code == 400
    assert "mobile" in response.context["form"].errors
    assert "手机" in response.content.decode()
    assert not User.objects.filter(username="wangwu").exists()


def test_the_audit_log_page_filters(client_for, auditor, owner):
    from investdesk.core.audit import audit_log

    audit_log(actor=owner, action=AuditEntry.Action.EXPORT, note="directory rows=2")
    client = client_for(auditor)
    body = client.get("/manage/audit/", {"action": "export"}).content.decode()
    assert "directory rows=2" in body
    body = client.get("/manage/audit/", {"action": "login"}).content.decode()
    assert "directory rows=2" not in body
    assert client.get("/manage/audit/", {"date_from": "not-a-date"}).status_code == 200


def test_healthz_is_ok_with_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"


def test_healthz_is_503_when_the_database_is_down(client, db, monkeypatch):
    from django.db import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", refuse)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert b"database unavailable" in response.content


def test_token_page_shows_the_key_once(client_for, owner):
    client = client_for(owner)
    response = client.post("/account/tokens/", {"name": "周报脚本", "days_valid": 30})
    key = response.context["key"]
    assert key.startswith("idk_")
    assert key not in client.get("/account/").content.decode()


def test_token_form_errors_name_the_field(client_for, owner):
    response = client_for(owner).post("/account/tokens/", {"name": "", "days_valid": 99999})
    assert response.status_code == 400
    assert {"name", "days_valid"} <= set(response.context["token_form"].errors)


def test_a_filter_number_past_64_bits_in_a_page_address_is_a_400_not_a_500(client_for, owner):
    """SQLite cannot bind such an integer (a 500 before); PostgreSQL compares it and finds nothing."""
    from django.db import connection

    response = client_for(owner).get("/cases/", {"category": "9" * 25})
    if connection.vendor == "sqlite":
        assert response.status_code == 400 and "超出范围" in response.content.decode()
    else:
        assert response.status_code == 200
