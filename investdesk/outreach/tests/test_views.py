"""Pages: write a campaign, the audience report and preview, approve, responses; another unit's
campaign answers 404."""

import datetime

from investdesk.core.models import AuditEntry, Role
from investdesk.core.tests.factories import UserFactory
from investdesk.outreach import services
from investdesk.outreach.models import Campaign, Message

LETTER = "{{联系人}}{{联系人职务}}：\n\n您好！感谢{{企业名称}}对四川发展的支持。"


def test_write_preview_submit_approve_and_respond(client_for, owner, leader, outsider, chengdu_enterprise):
    client = client_for(owner)
    response = client.post(
        "/outreach/new/",
        {"name": "中秋致企业家的一封信", "audience": "enterprises", "subject": "相信四川 相信未来", "body": LETTER,
         "filters": "http://127.0.0.1:8000/enterprises/?q=比亚迪"},
    )  # fmt: skip
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.filters == "q=比亚迪"  # the address of a filtered list is taken as its filters
    page = client.get(f"/outreach/{campaign.pk}/").content.decode()
    assert "王磊总经理：" in page and "感谢比亚迪股份有限公司" in page  # the preview
    assert "audience-report" in page
    bad = client.post("/outreach/new/", {"name": "x", "audience": "enterprises", "subject": "x", "body": "{{地址}}"})
    assert bad.status_code == 400 and "body" in bad.context["form"].errors
    client.post(f"/outreach/{campaign.pk}/submit/", {"version": campaign.version})
    campaign.refresh_from_db()
    assert campaign.status == "submitted"
    client.post(f"/outreach/{campaign.pk}/approve/", {"version": campaign.version, "decision": "approve"})
    campaign.refresh_from_db()
    assert campaign.status == "submitted"  # the author may not approve
    leader_client = client_for(leader)
    leader_client.post(f"/outreach/{campaign.pk}/approve/", {"version": campaign.version, "decision": "approve"})
    campaign.refresh_from_db()
    assert campaign.status == "sending" and campaign.messages.count() == 1
    progress = leader_client.get(f"/outreach/{campaign.pk}/progress/").content.decode()
    assert 'id="progress"' in progress and "every 2s" in progress
    client = client_for(owner)
    added = client.post(
        f"/outreach/{campaign.pk}/responses/",
        {"enterprise": chengdu_enterprise.pk, "who": "王磊", "received_on": datetime.date.today().isoformat(),
         "via": "phone", "summary": "四川仍是重要布局地", "sentiment": "positive"},
    )  # fmt: skip
    assert added.status_code == 302 and campaign.responses.count() == 1
    stranger = client_for(outsider)
    for url in [f"/outreach/{campaign.pk}/", f"/outreach/{campaign.pk}/progress/", f"/outreach/{campaign.pk}/calls/"]:
        assert stranger.get(url).status_code == 404, url
    assert "中秋" not in stranger.get("/outreach/").content.decode()


def test_the_call_list_reserves_and_records(client_for, owner, leader, chengdu_enterprise):
    campaign = services.campaign_create(actor=owner, name="电话", subject="致{{企业名称}}", body=LETTER,
                                        enterprises=[chengdu_enterprise])  # fmt: skip
    services.campaign_submit(actor=owner, campaign=campaign, version=None)
    services.campaign_approve(actor=leader, campaign=campaign, version=None)
    client = client_for(owner)
    client.post(f"/outreach/{campaign.pk}/calls/", {"reserve": "1", "count": "5"})
    page = client.get(f"/outreach/{campaign.pk}/calls/").content.decode()
    assert "13812348888" in page and "王磊" in page
    # The number to dial is personal data: shown in full to staff, and that view is audited.
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL, target_id=str(campaign.pk)).exists()
    message = Message.objects.get()
    client.post(f"/outreach/{campaign.pk}/calls/{message.pk}/", {"outcome": "reached", "note": "支持"})
    message.refresh_from_db()
    assert message.state == "sent" and message.note == "支持"
    campaign.refresh_from_db()
    assert campaign.status == "done"


def test_a_caller_without_view_personal_sees_the_number_masked(client_for, owner, leader, units, chengdu_enterprise):
    sysadmin = UserFactory(username="sysadmin", name="吴刚", unit=units.chengdu, role=Role.ADMIN)
    campaign = services.campaign_create(actor=owner, name="电话", subject="致{{企业名称}}", body=LETTER,
                                        enterprises=[chengdu_enterprise])  # fmt: skip
    services.campaign_submit(actor=owner, campaign=campaign, version=None)
    services.campaign_approve(actor=leader, campaign=campaign, version=None)
    client = client_for(sysadmin)
    client.post(f"/outreach/{campaign.pk}/calls/", {"reserve": "1", "count": "5"})
    page = client.get(f"/outreach/{campaign.pk}/calls/").content.decode()
    assert "王磊" in page and "138****8888" in page and "13812348888" not in page
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL).exists()


def test_a_notice_is_read_by_opening_it(client_for, owner, dispatcher, leader, units):
    notice = services.campaign_create(actor=dispatcher, name="通知", audience="staff", subject="下沉社区的通知",
                                      body="{{姓名}}同志：请报到。", units=[units.chengdu])  # fmt: skip
    services.campaign_submit(actor=dispatcher, campaign=notice, version=None)
    services.campaign_approve(actor=leader, campaign=notice, version=None)
    message = Message.objects.get(user=owner)
    client = client_for(owner)
    assert "下沉社区的通知" in client.get("/").content.decode()  # on the home page until read
    assert client.get(f"/outreach/notices/{message.pk}/").status_code == 200
    message.refresh_from_db()
    assert message.read_at is not None
    assert "下沉社区的通知" not in client.get("/").content.decode()


def test_the_dashboard_counts_letters_and_responses(owner, leader, outsider, chengdu_enterprise):
    from django.utils import timezone

    from investdesk.reports import selectors as report_selectors
    from investdesk.reports.figures import Scope

    campaign = services.campaign_create(actor=owner, name="信", subject="致{{企业名称}}", body=LETTER,
                                        enterprises=[chengdu_enterprise])  # fmt: skip
    services.campaign_submit(actor=owner, campaign=campaign, version=None)
    services.campaign_approve(actor=leader, campaign=campaign, version=None)
    Message.objects.update(state="sent", sent_at=timezone.now())
    services.response_add(actor=owner, campaign=campaign, enterprise=chengdu_enterprise, who="王磊",
                          received_on=datetime.date.today(), via="phone", summary="支持")  # fmt: skip
    today = datetime.date.today()
    scope = Scope(start=today, end=today)
    [result] = report_selectors.dashboard(user=leader, scope=scope, keys=["outreach"])
    f = {k: v.value for k, v in result.figures.items()}
    assert (f["enterprises_reached"], f["messages"], f["by_phone"], f["responses"], f["positive"]) == (1, 1, 1, 1, 1)
    assert "一对一向1家企业送达信函1封" in result.sentences[0].replace("{outreach.enterprises_reached}", "1").replace(
        "{outreach.messages}", "1"
    )
    [theirs] = report_selectors.dashboard(user=outsider, scope=scope, keys=["outreach"])
    assert theirs.figures["messages"].value == 0
