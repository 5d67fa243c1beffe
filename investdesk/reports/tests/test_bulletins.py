"""Drafting, editing, refreshing and issuing bulletins; the .docx and PDF; the API."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from docx import Document
from docx.oxml.ns import qn

from investdesk.core.errors import ConflictError, DomainError
from investdesk.emergency import services as emergency_services
from investdesk.reports import documents, services
from investdesk.reports.figures import Scope
from investdesk.reports.models import Bulletin

SEPT = Scope(start=datetime.date(2022, 9, 1), end=datetime.date(2022, 9, 14))


@pytest.fixture
def stints(owner, leader):
    lockdown = emergency_services.incident_create(
        actor=leader, name="成都疫情静默管理", kind="epidemic", starts_on=datetime.date(2022, 9, 1)
    )
    for day, community, tests in [(2, "玉林社区", 137), (3, "芳草社区", 45)]:
        emergency_services.volunteer_log(
            actor=owner, incident=lockdown, on=datetime.date(2022, 9, day), district="武侯区", community=community,
            hours=Decimal(4), tasks=["testing"], tests_assisted=tests, records_entered=10, households_surveyed=3,
        )  # fmt: skip
    return lockdown


def _auth(user):
    out = io.StringIO()
    call_command("token", "create", "--user", user.username, stdout=out)
    return {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip()}"}


def test_a_draft_carries_the_figures_in_its_sentences(stints, owner):
    bulletin = services.bulletin_draft(actor=owner, scope=SEPT, keys=["emergency", "aftercare"])
    assert [s["key"] for s in bulletin.sections] == ["aftercare", "emergency"]
    text = documents.render_text(bulletin, bulletin.sections[1]["text"])
    assert (
        "截至9月14日，共开展志愿服务2人次，服务社区2个，协助完成核酸检测182人次，协助录入信息20条，入户调查6户。"
        in text
    )
    bulletin.rounded = True
    assert "协助完成核酸检测180余人次" in documents.render_text(bulletin, bulletin.sections[1]["text"])
    assert bulletin.sections[0]["heading"] == "一、企业服务和诉求办理"


def test_editing_keeps_figures_linked_and_names_an_unknown_one(stints, owner):
    bulletin = services.bulletin_draft(actor=owner, scope=SEPT, keys=["emergency"])
    with pytest.raises(DomainError) as exc:
        services.bulletin_update(
            actor=owner, bulletin=bulletin, version=bulletin.version, title="九月上旬工作情况",
            texts={"emergency": "共{emergency.person_times}人次，{emergency.nonsense}。"},
        )  # fmt: skip
    assert exc.value.field == "text_emergency"
    bulletin = services.bulletin_update(
        actor=owner, bulletin=bulletin, version=bulletin.version, title="九月上旬工作情况",
        texts={"emergency": "机关干部下沉社区，共服务{emergency.person_times}人次。"},
    )  # fmt: skip
    assert documents.render_text(bulletin, bulletin.sections[0]["text"]) == "机关干部下沉社区，共服务2人次。"
    # A new stint, then refresh: the text stays, the figure follows the records.
    emergency_services.volunteer_log(
        actor=owner, incident=stints, on=datetime.date(2022, 9, 4), district="成华区", community="新华社区",
        hours=Decimal(2), tasks=["survey"],
    )  # fmt: skip
    bulletin = services.bulletin_refresh(actor=owner, bulletin=bulletin, version=bulletin.version)
    assert documents.render_text(bulletin, bulletin.sections[0]["text"]) == "机关干部下沉社区，共服务3人次。"
    with pytest.raises(ConflictError):  # a stale version
        services.bulletin_refresh(actor=owner, bulletin=bulletin, version=bulletin.version - 1)


def test_issuing_numbers_the_bulletin_and_keeps_its_figures(stints, owner, colleague):
    first = services.bulletin_draft(actor=owner, scope=SEPT, keys=["emergency"])
    second = services.bulletin_draft(actor=colleague, scope=SEPT, keys=["emergency"])
    first = services.bulletin_issue(actor=owner, bulletin=first, version=first.version)
    second = services.bulletin_issue(actor=colleague, bulletin=second, version=second.version)
    assert (first.number, second.number) == (1, 2)  # the same unit's 工作简报, 2022
    saved = first.figures["emergency.person_times"]["value"]
    emergency_services.volunteer_log(
        actor=owner, incident=stints, on=datetime.date(2022, 9, 5), district="成华区", community="新华社区",
        hours=Decimal(2), tasks=["survey"],
    )  # fmt: skip
    with pytest.raises(DomainError):
        services.bulletin_refresh(actor=owner, bulletin=first, version=first.version)
    first.refresh_from_db()
    assert first.figures["emergency.person_times"]["value"] == saved == 2


def test_the_docx_reads_back_with_its_heading_fonts_and_numbers(stints, owner):
    bulletin = services.bulletin_draft(actor=owner, scope=SEPT, keys=["emergency"], title="九月上旬工作情况")
    bulletin = services.bulletin_update(
        actor=owner, bulletin=bulletin, version=bulletin.version, title="九月上旬工作情况",
        texts={}, send_to="省委办公厅、省政府办公厅", copy_to="各市（州）投资促进局",
    )  # fmt: skip
    bulletin = services.bulletin_issue(actor=owner, bulletin=bulletin, version=bulletin.version)
    doc = Document(io.BytesIO(documents.bulletin_docx(bulletin)))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "工作简报" and texts[1] == "第1期"
    assert "九月上旬工作情况" in texts and "一、应急保障" in texts
    assert any("共开展志愿服务2人次" in t for t in texts)
    assert "报：省委办公厅、省政府办公厅" in texts and "送：各市（州）投资促进局" in texts

    def east_asian(paragraph):
        return paragraph.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia"))

    by_text = {p.text: p for p in doc.paragraphs}
    assert east_asian(by_text["工作简报"]) == "方正小标宋简体"
    assert east_asian(by_text["九月上旬工作情况"]) == "方正小标宋简体"
    assert east_asian(by_text["一、应急保障"]) == "黑体"
    body = next(p for p in doc.paragraphs if "志愿服务" in p.text)
    assert east_asian(body) == "仿宋_GB2312" and body.runs[0].font.size.pt == 16  # 三号
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert "PAGE" in section.footer._element.xml


def test_the_pdf_is_a_pdf(stints, owner):
    bulletin = services.bulletin_draft(actor=owner, scope=SEPT, keys=["emergency"])
    content = documents.bulletin_pdf(bulletin)
    assert content.startswith(b"%PDF") and b"STSong-Light" in content


def test_pages_downloads_and_another_units_bulletin(client_for, stints, owner, outsider):
    client = client_for(owner)
    response = client.post(
        "/reports/bulletins/new/",
        {"period": "custom", "start": "2022-09-01", "end": "2022-09-14", "keys": ["emergency"], "name": "工作简报"},
    )
    assert response.status_code == 302
    bulletin = Bulletin.objects.get()
    page = client.get(f"/reports/bulletins/{bulletin.pk}/").content.decode()
    assert "共开展志愿服务" in page and f"/reports/bulletins/{bulletin.pk}/figures/emergency.person_times/" in page
    figure = client.get(f"/reports/bulletins/{bulletin.pk}/figures/emergency.person_times/")
    assert figure.status_code == 200 and "玉林社区" in figure.content.decode()
    docx = client.get(f"/reports/bulletins/{bulletin.pk}/download.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert client.get(f"/reports/bulletins/{bulletin.pk}/download.exe").status_code == 404
    stranger = client_for(outsider)
    for url in [f"/reports/bulletins/{bulletin.pk}/", f"/reports/bulletins/{bulletin.pk}/download.docx",
                f"/reports/bulletins/{bulletin.pk}/figures/emergency.person_times/"]:  # fmt: skip
        assert stranger.get(url).status_code == 404, url
    bad = client.post(
        "/reports/bulletins/new/", {"period": "custom", "start": "2022-09-01", "end": "2022-09-14", "name": "工作简报"}
    )
    assert bad.status_code == 400 and "keys" in bad.context["form"].errors


def test_api_stats_equal_the_dashboard_and_bulletins_draft(client, stints, owner, outsider):
    from investdesk.reports import selectors

    auth = _auth(owner)
    stats = client.get("/api/v1/stats/emergency?from=2022-09-01&to=2022-09-14", **auth).json()
    [result] = selectors.dashboard(user=owner, scope=SEPT, keys=["emergency"])
    assert {k: v["value"] for k, v in stats["figures"].items()} == {
        k: (str(f.value) if isinstance(f.value, Decimal) else f.value) for k, f in result.figures.items()
    }
    assert stats["figures"]["person_times"]["value"] == 2
    assert client.get("/api/v1/stats/emergency?from=2022-09-01&to=2022-09-14", **_auth(outsider)).json()[
        "figures"]["person_times"]["value"] == 0  # fmt: skip
    assert client.get("/api/v1/stats/outreach", **auth).status_code == 200
    assert client.get("/api/v1/stats/nothing", **auth).status_code == 404
    created = client.post(
        "/api/v1/bulletins",
        {"sections": ["emergency"], "from": "2022-09-01", "to": "2022-09-14"},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201
    body = created.json()
    assert (
        "共开展志愿服务2人次" in body["sections"][0]["text"]
        and "{emergency.person_times}" in body["sections"][0]["template"]
    )
    assert client.get("/api/v1/bulletins", **auth).json()["count"] == 1
    assert client.get("/api/v1/bulletins", **_auth(outsider)).json()["count"] == 0
    bad = client.post(
        "/api/v1/bulletins", {"sections": [], "from": "2022-09-01", "to": "2022-09-14"},
        content_type="application/json", **auth,
    )  # fmt: skip
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "sections"
