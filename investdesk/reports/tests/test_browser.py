"""A leader drafts a bulletin in the browser, edits a sentence, and downloads the Word file."""

import datetime
from decimal import Decimal

import pytest
from docx import Document

from investdesk.core.tests.browser import sign_in
from investdesk.emergency import services as emergency_services

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_draft_edit_and_download_a_bulletin(page, live_server, owner, leader, password, tmp_path):
    today = datetime.date.today()
    incident = emergency_services.incident_create(
        actor=leader, name="成都疫情静默管理", kind="epidemic", starts_on=today - datetime.timedelta(days=5)
    )
    emergency_services.volunteer_log(
        actor=owner, incident=incident, on=today - datetime.timedelta(days=1), district="武侯区",
        community="玉林社区", hours=Decimal(4), tasks=["testing"], tests_assisted=320,
    )  # fmt: skip
    sign_in(page, live_server, "alice", password)

    page.goto(f"{live_server.url}/reports/bulletins/new/")
    page.select_option("#draft-form select[name=period]", "week")
    page.fill("#draft-form input[name=start]", (today - datetime.timedelta(days=5)).isoformat())
    page.fill("#draft-form input[name=end]", today.isoformat())
    page.uncheck("#draft-form input[name=keys][value=pipeline]")
    page.click("#draft-form button.btn-primary")
    page.wait_for_selector("#bulletin-preview")
    assert "协助完成核酸检测320人次" in page.inner_text("#bulletin-preview")

    page.fill("#edit-form textarea[name=text_emergency]", "机关干部下沉社区，共服务{emergency.person_times}人次。")
    page.click("#edit-form button.btn-primary")
    page.wait_for_selector(".alert-success")
    assert "机关干部下沉社区，共服务1人次。" in page.inner_text("#bulletin-preview")

    with page.expect_download() as download:
        page.click("#download-docx")
    path = tmp_path / "bulletin.docx"
    download.value.save_as(path)
    texts = [p.text for p in Document(path).paragraphs]
    assert "工作简报" in texts and "机关干部下沉社区，共服务1人次。" in texts
