import io

from docx import Document

from investdesk.cases.models import Case
from investdesk.cases.tests.conftest import advance


def test_raise_a_case_from_a_visit_problem(client_for, owner, problem, category):
    client = client_for(owner)
    page = client.get(f"/cases/new/?problem={problem.pk}")
    assert problem.description in page.content.decode()
    response = client.post(
        "/cases/new/",
        {
            "problem": problem.pk,
            "title": "跨省运输受阻",
            "description": problem.description,
            "category": category.pk,
            "source": "visit",
            "urgency": "urgent",
        },
    )
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.problem == problem and case.urgency == "urgent"


def test_raising_a_case_for_another_units_enterprise_is_404(client_for, owner, mianyang_enterprise):
    assert client_for(owner).get(f"/cases/new/?enterprise={mianyang_enterprise.pk}").status_code == 404


def test_the_case_page_offers_only_allowed_actions(client_for, case, dispatcher, owner):
    body = client_for(dispatcher).get(f"/cases/{case.pk}/").content.decode()
    assert 'value="assign"' in body and 'value="resolve"' not in body
    body = client_for(owner).get(f"/cases/{case.pk}/").content.decode()
    assert 'value="assign"' not in body


def test_an_action_form_error_names_the_field(client_for, case, dispatcher, owner, units):
    case = advance(case, to="in_progress", dispatcher=dispatcher, lead=owner, units=units)
    response = client_for(owner).post(
        f"/cases/{case.pk}/act/", {"action": "resolve", "version": case.version, "resolution": ""}
    )
    assert response.status_code == 400
    assert "resolution" in response.context["forms"]["resolve"][1].errors
    assert Case.objects.get(pk=case.pk).status == "in_progress"


def test_a_stale_form_is_a_conflict(client_for, case, dispatcher, units):
    client = client_for(dispatcher)
    stale = case.version
    client.post(f"/cases/{case.pk}/act/", {"action": "assign", "version": stale, "lead_unit": units.chengdu.pk})
    response = client.post(f"/cases/{case.pk}/act/", {"action": "supervise", "version": stale, "note": "督办"})
    assert response.status_code == 400
    assert "您打开此诉求后，张静 已修改" in response.content.decode()  # shown above the form, not on its hidden field


def test_the_queue_and_bulk_assign(client_for, case, dispatcher, units):
    client = client_for(dispatcher)
    assert case.number in client.get("/cases/?queue=unassigned").content.decode()
    client.post("/cases/bulk-assign/", {"case": [case.pk], "lead_unit": units.chengdu.pk})
    assert Case.objects.get(pk=case.pk).status == "assigned"


def test_the_assignment_notice_is_a_word_document(client_for, case, dispatcher, owner, units):
    advance(case, to="assigned", dispatcher=dispatcher, lead=owner, units=units)
    response = client_for(dispatcher).get(f"/cases/{case.pk}/notice.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "企业诉求交办通知书" in text and "成都市投资促进局" in text and "2022年9月16日" in text


def test_another_units_case_is_404(client_for, case, outsider):
    client = client_for(outsider)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/act/", {"action": "accept"}).status_code == 404
    assert client.get(f"/cases/{case.pk}/notice.docx").status_code == 404


def test_notifications_bell(client_for, dispatcher, case):
    client = client_for(dispatcher)
    body = client.get("/").content.decode()
    assert 'id="bell"' in body and "badge" in body
    client.post("/notifications/")
    assert dispatcher.notifications.filter(read_at__isnull=True).count() == 0


def test_attachments_are_checked_and_served_only_in_scope(client_for, case, owner, outsider):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(owner)
    fake = SimpleUploadedFile("通行证.pdf", b"MZ\x90\x00 not a pdf")
    response = client.post(f"/cases/{case.pk}/attach/", {"file": fake})
    assert response.status_code == 400 and "file" in response.context["attachment_form"].errors
    real = SimpleUploadedFile("通行证.pdf", b"%PDF-1.4 test")
    assert client.post(f"/cases/{case.pk}/attach/", {"file": real}).status_code == 302
    attachment = case.attachments.get()
    assert client.get(f"/cases/{case.pk}/attachments/{attachment.pk}/").status_code == 200
    assert client_for(outsider).get(f"/cases/{case.pk}/attachments/{attachment.pk}/").status_code == 404


def test_thank_you_letters_are_recorded_and_counted(client_for, case, owner, dispatcher):
    from investdesk.cases import selectors

    client = client_for(owner)
    response = client.post(
        f"/cases/{case.pk}/letters/",
        {"received_on": "2022-09-01", "sender": "博世中国区总裁", "summary": "想企业之所想，急企业之所急"},
    )
    assert response.status_code == 302
    assert case.thank_you_letters.count() == 1
    assert selectors.case_figures(user=dispatcher).thank_you_letters == 1
    future = client.post(f"/cases/{case.pk}/letters/", {"received_on": "2030-01-01", "sender": "x", "summary": "y"})
    assert future.status_code == 400


def test_the_enterprise_follows_up_through_a_one_time_link(client_for, case, dispatcher, owner, units):
    from django.test import Client

    advance(case, to="resolved", dispatcher=dispatcher, lead=owner, units=units)
    response = client_for(dispatcher).post(f"/cases/{case.pk}/follow-up-link/")
    url = response.context["follow_up_url"]
    path = url.split("testserver", 1)[1]
    enterprise = Client()  # no account
    page = enterprise.get(path)
    assert page.status_code == 200 and "已协调办理通行证" in page.content.decode()
    assert enterprise.post(path, {"solved": "yes", "satisfaction": "satisfied", "comment": "感谢"}).status_code == 200
    case.refresh_from_db()
    assert case.status == "followed_up" and case.satisfaction == "satisfied"
    assert case.events.filter(action="follow_up", actor__isnull=True, data__via="link").exists()
    assert enterprise.get(path).status_code == 410  # used once


def test_a_tampered_follow_up_link_is_refused(client, db):
    assert client.get("/f/not-a-token/").status_code == 410


def test_unsolved_follow_up_reopens_even_if_rated_satisfied(client_for, case, dispatcher, owner, units):
    from django.test import Client

    advance(case, to="resolved", dispatcher=dispatcher, lead=owner, units=units)
    url = client_for(dispatcher).post(f"/cases/{case.pk}/follow-up-link/").context["follow_up_url"]
    Client().post(url.split("testserver", 1)[1], {"solved": "no", "satisfaction": "satisfied"})
    case.refresh_from_db()
    assert case.status == "in_progress" and case.reopen_count == 1 and case.satisfaction == "dissatisfied"


def test_the_resolve_form_starts_from_the_category_reply_template(client_for, case, dispatcher, owner, units):
    case.category.reply_template = "您反映的物流运输问题已协调交通运输部门办理"
    case.category.save()
    advance(case, to="in_progress", dispatcher=dispatcher, lead=owner, units=units)
    body = client_for(owner).get(f"/cases/{case.pk}/").content.decode()
    assert "您反映的物流运输问题已协调交通运输部门办理" in body


def test_the_home_page_shows_my_work(client_for, dispatcher, case, owner, chengdu_enterprise):
    body = client_for(dispatcher).get("/").content.decode()
    assert "待交办诉求" in body
    assert "?queue=unassigned" in body
    body = client_for(owner).get("/").content.decode()
    assert "liaison=" in body  # my key enterprises without a visit (比亚迪 is key, liaison alice)


def test_a_thank_you_letter_for_the_enterprise_without_a_case(client_for, owner, chengdu_enterprise, outsider):
    from investdesk.cases.models import ThankYouLetter

    client = client_for(owner)
    response = client.post(
        f"/cases/letters/new/{chengdu_enterprise.pk}/",
        {"received_on": "2022-08-20", "sender": "比亚迪", "summary": "感谢一对一服务"},
    )
    assert response.status_code == 302
    assert ThankYouLetter.objects.get().case is None
    assert "感谢一对一服务" in client.get(f"/enterprises/{chengdu_enterprise.pk}/").content.decode()
    assert client_for(outsider).get(f"/cases/letters/new/{chengdu_enterprise.pk}/").status_code == 404


def test_nonsense_in_the_address_is_ignored_or_404_never_500(client_for, dispatcher, case):
    client = client_for(dispatcher)
    assert client.get("/cases/?queue=all&category=abc&page=x").status_code == 200
    assert client.get("/cases/new/?problem=abc").status_code == 404
    assert client.get("/cases/new/?enterprise=abc").status_code == 404
    assert client.get(f"/enterprises/{case.enterprise_id}/visits/new/?action=abc").status_code == 200
    assert client.get("/projects/list/?unit=abc&stage=nonsense&min_wan=x").status_code == 200
    assert client.get("/enterprises/?industry=abc&city=nowhere&page=-1").status_code == 200
    assert client.get("/directory/?unit=abc").status_code == 200
