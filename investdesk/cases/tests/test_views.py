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
    assert "张静" in response.content.decode()


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
