import datetime
import io

import openpyxl
from django.db import connection
from django.test.utils import CaptureQueriesContext

from investdesk.core.models import AuditEntry
from investdesk.enterprises import services
from investdesk.enterprises.models import Enterprise, Visit


def test_the_list_shows_my_units_enterprises_with_masked_contacts(
    client_for, owner, chengdu_enterprise, mianyang_enterprise
):
    body = client_for(owner).get("/enterprises/").content.decode()
    assert "比亚迪股份有限公司" in body and "138****8888" in body
    assert "13812348888" not in body
    assert mianyang_enterprise.name not in body


def test_list_search_is_an_htmx_partial(client_for, owner, chengdu_enterprise):
    response = client_for(owner).get("/enterprises/", {"q": "byd"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "比亚迪" in body and "<html" not in body


def test_the_list_query_count_does_not_grow_with_the_page(client_for, owner, industry):
    client = client_for(owner)
    for i in range(3):
        services.contact_create(
            actor=owner,
            enterprise=services.enterprise_create(actor=owner, name=f"甲{i}公司"),
            name=f"联系人{i}",
            mobile=f"1380000000{i}",
        )
    with CaptureQueriesContext(connection) as few:
        client.get("/enterprises/")
    for i in range(20):
        services.contact_create(
            actor=owner, enterprise=services.enterprise_create(actor=owner, name=f"乙{i}公司"), name=f"联系人{i}"
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/enterprises/")
    assert len(many) == len(few)


def test_another_units_enterprise_answers_404_everywhere(client_for, owner, mianyang_enterprise):
    client = client_for(owner)
    pk = mianyang_enterprise.pk
    for path in [
        f"/enterprises/{pk}/",
        f"/enterprises/{pk}/edit/",
        f"/enterprises/{pk}/contacts/new/",
        f"/enterprises/{pk}/visits/new/",
    ]:
        assert client.get(path).status_code == 404, path


def test_the_export_is_scoped_masked_and_audited(client_for, owner, chengdu_enterprise, mianyang_enterprise):
    response = client_for(owner).get("/enterprises/export.xlsx", {"q": ""})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "企业名称"
    assert [r[0] for r in rows[1:]] == ["比亚迪股份有限公司"]
    assert rows[1][15] == "138****8888"
    assert AuditEntry.objects.filter(action="export", actor=owner, note__contains="rows=1").exists()


def test_the_360_page_shows_contacts_and_audits_the_view(client_for, owner, chengdu_enterprise):
    body = client_for(owner).get(f"/enterprises/{chengdu_enterprise.pk}/").content.decode()
    assert "13812348888" in body and "王磊" in body
    assert AuditEntry.objects.filter(action="view_personal", target_id=str(chengdu_enterprise.pk)).exists()


def test_create_enterprise_form_names_bad_fields(client_for, owner):
    response = client_for(owner).post(
        "/enterprises/new/",
        {"name": "某公司", "uscc": "914403001922038217", "ownership": "private", "status": "operating"},
    )
    assert response.status_code == 400
    assert "uscc" in response.context["form"].errors
    assert not Enterprise.objects.exists()


def test_record_a_visit_with_problems(client_for, owner, colleague, chengdu_enterprise):
    client = client_for(owner)
    response = client.post(
        f"/enterprises/{chengdu_enterprise.pk}/visits/new/",
        {
            "visited_on": "2022-09-06",
            "mode": "video",
            "staff": [owner.pk, colleague.pk],
            "summary": "线上走访",
            "problems": "物流受阻\n缺少通行证\n",
            "status": "completed",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.problems.count() == 2 and visit.staff.count() == 2


def test_the_visit_form_warns_about_other_units_recent_visits(client_for, owner, dispatcher, chengdu_enterprise):
    services.visit_create(
        actor=dispatcher,
        enterprise=chengdu_enterprise,
        visited_on=datetime.date.today(),
        mode="video",
        staff=[dispatcher],
        status=Visit.Status.COMPLETED,
    )
    body = client_for(owner).get(f"/enterprises/{chengdu_enterprise.pk}/visits/new/").content.decode()
    assert "企业服务处" in body and "90" in body


def test_import_flow_through_the_pages(client_for, owner, industry):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(owner)
    csv = "企业名称,所在市州,联系人,手机\n成都测试科技有限公司,成都,张三,13700001234\n".encode("gbk")
    response = client.post("/enterprises/import/", {"file": SimpleUploadedFile("企业.csv", csv)})
    assert response.status_code == 302  # to the file's own page, which shows the preview
    page = client.get(response["Location"])
    assert page.context["batch"].preview["counts"]["new"] == 1 and not Enterprise.objects.exists()
    assert "确认导入" in page.content.decode() and "成都测试科技有限公司" in page.content.decode()
    client.post(f"{response['Location']}confirm/")
    assert Enterprise.objects.get().name == "成都测试科技有限公司"
    assert "企业.csv" in client.get("/enterprises/import/").content.decode()  # among the recent files


def test_import_of_a_bad_file_names_the_problem(client_for, owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(owner).post("/enterprises/import/", {"file": SimpleUploadedFile("photo.png", b"\x89PNG")})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_merge_from_the_duplicates_page(client_for, owner, chengdu_enterprise):
    duplicate = services.enterprise_create(actor=owner, name="比亚迪 股份有限公司")
    client = client_for(owner)
    assert "比亚迪 股份有限公司" in client.get("/enterprises/duplicates/").content.decode()
    response = client.post(
        "/enterprises/duplicates/", {"survivor": chengdu_enterprise.pk, "duplicate": duplicate.pk, "reason": "重复录入"}
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == chengdu_enterprise


def test_cannot_merge_another_units_enterprise(client_for, owner, chengdu_enterprise, mianyang_enterprise):
    response = client_for(owner).post(
        "/enterprises/duplicates/",
        {"survivor": chengdu_enterprise.pk, "duplicate": mianyang_enterprise.pk, "reason": "x"},
    )
    assert response.status_code == 404
    mianyang_enterprise.refresh_from_db()
    assert mianyang_enterprise.merged_into is None


def test_service_action_page_and_targets_from_a_list(client_for, owner, chengdu_enterprise):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(owner)
    response = client.post(
        "/enterprises/actions/new/",
        {"name": "进千企", "starts_on": "2022-08-01", "ends_on": "2022-09-30", "questions": "问政策\n问需求"},
    )
    assert response.status_code == 302
    url = response["Location"]
    upload = SimpleUploadedFile("list.csv", "企业名称\n比亚迪股份有限公司\n".encode("gbk"))
    assert client.post(url, {"file": upload}).status_code == 302
    page = client.get(url)
    assert page.context["progress"].targets == 1
    bad = SimpleUploadedFile("list.csv", "企业名称\n不存在的公司\n".encode())
    response = client.post(url, {"file": bad})
    assert response.status_code == 400 and "2" in str(response.context["form"].errors)


def test_observers_see_but_cannot_change(client_for, observer, units, leader):
    enterprise = services.enterprise_create(actor=leader, name="规划处的企业", owner_unit=units.planning)
    client = client_for(observer)
    assert client.get(f"/enterprises/{enterprise.pk}/").status_code == 200
    assert client.get(f"/enterprises/{enterprise.pk}/edit/").status_code == 403
    assert client.get("/enterprises/new/").status_code == 403


def test_chambers_are_created_and_given_members(client_for, owner, chengdu_enterprise):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from investdesk.enterprises.models import Chamber

    client = client_for(owner)
    response = client.post(
        "/enterprises/chambers/new/",
        {"name": "河南省四川重庆商会", "kind": "other_province", "people": "陈泽民，名誉会长\n"},
    )
    chamber = Chamber.objects.get()
    assert response["Location"] == f"/enterprises/chambers/{chamber.pk}/"
    assert [(p.name, p.position) for p in chamber.people.all()] == [("陈泽民", "名誉会长")]
    upload = SimpleUploadedFile("members.csv", "统一社会信用代码\n914403001922038216\n".encode())
    client.post(f"/enterprises/chambers/{chamber.pk}/", {"file": upload})
    assert list(chamber.members.all()) == [chengdu_enterprise]
    bad = client.post("/enterprises/chambers/new/", {"name": "x", "kind": "provincial", "people": "只有名字"})
    assert bad.status_code == 400 and "people" in bad.context["form"].errors


def test_the_preview_of_a_large_file_lists_errors_first_and_a_bounded_number_of_rows(
    client_for, owner, industry, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from investdesk.enterprises import importer

    monkeypatch.setattr(importer, "PREVIEW_ROWS", 3)
    lines = ["企业名称,所在市州,企业性质"] + [f"成都测试{i}号科技有限公司,成都,民营" for i in range(1, 7)]
    lines[5] = "成都测试5号科技有限公司,成都,外星"  # row 6: an ownership no one knows
    client = client_for(owner)
    response = client.post(
        "/enterprises/import/", {"file": SimpleUploadedFile("企业.csv", "\n".join(lines).encode("utf-8"))}
    )
    response = client.get(response["Location"])
    assert response.context["batch"].preview["counts"] == {"new": 5, "update": 0, "unchanged": 0, "error": 1}
    assert [r["row"] for r in response.context["status"].preview_rows] == [6, 2, 3]  # the error first
    body = response.content.decode()
    assert "确认导入" not in body  # a file with an error cannot be confirmed
    assert 'id="rows-shown"' in body and "6" in body
    assert "成都测试4号科技有限公司" not in body and "成都测试5号科技有限公司" in body
