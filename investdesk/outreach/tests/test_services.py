"""The letter and its merge fields, the audience and its channels, the approval rule, phone calls,
responses, internal notices with read receipts, and the policy."""

import datetime

import pytest
from django.db import connection
from django.http import Http404
from django.utils import timezone

from investdesk.core.errors import DomainError
from investdesk.enterprises import services as enterprise_services
from investdesk.outreach import selectors, services
from investdesk.outreach.models import Campaign, Message

LETTER = "{{联系人}}{{联系人职务}}：\n\n您好！感谢{{企业名称}}长期以来对四川发展的支持。\n\n四川省经济合作局"


@pytest.fixture
def letter(owner, chengdu_enterprise):
    return services.campaign_create(
        actor=owner, name="中秋致企业家的一封信", subject="相信四川 相信未来——致{{企业名称}}", body=LETTER,
        enterprises=[chengdu_enterprise],
    )  # fmt: skip


def _enterprise(owner, enterprise_name, **contact):
    enterprise = enterprise_services.enterprise_create(actor=owner, name=enterprise_name)
    if contact:
        enterprise_services.contact_create(actor=owner, enterprise=enterprise, **contact)
    return enterprise


def test_merge_fields_fill_in_and_a_missing_value_is_named(owner, chengdu_enterprise):
    contact = chengdu_enterprise.contacts.get()
    text, missing = services.render(LETTER, enterprise=chengdu_enterprise, contact=contact)
    assert text.startswith("王磊总经理：") and "感谢比亚迪股份有限公司" in text and missing == []
    contact.title = ""
    text, missing = services.render(LETTER, enterprise=chengdu_enterprise, contact=contact)
    assert missing == ["联系人职务"] and "{{联系人职务}}" in text  # never sent blank
    html = services.html_of("第一段\n第二行\n\n<第二段>")
    assert html == "<p>第一段<br>第二行</p><p>&lt;第二段&gt;</p>"


def test_an_unknown_merge_field_is_refused(owner):
    with pytest.raises(DomainError) as exc:
        services.campaign_create(actor=owner, name="x", subject="x", body="{{企业地址}}")
    assert exc.value.field == "body"


def test_the_audience_takes_each_contacts_channel_with_fallback(owner, chengdu_enterprise):
    wechat = _enterprise(owner, "微信企业", name="李娜", title="经理", wechat="lina_wx", preferred_channel="wecom")
    fallback = _enterprise(
        owner, "只有手机", name="张伟", title="董事长", mobile="13900001111", preferred_channel="email"
    )
    nobody = _enterprise(owner, "没有联系人")
    campaign = services.campaign_create(
        actor=owner, name="信", subject="致{{企业名称}}", body=LETTER,
        enterprises=[chengdu_enterprise, wechat, fallback, nobody],
    )  # fmt: skip
    campaign.filters = "q=比亚迪"  # the same enterprise by the registry's filters: a duplicate
    campaign.save()
    report = services.resolve_audience(user=owner, campaign=campaign)
    channels = {r.enterprise.name: (r.channel, r.address) for r in report.recipients}
    assert channels == {
        "比亚迪股份有限公司": ("phone", "13812348888"),  # its preference (the default) can reach it
        "微信企业": ("wecom", "lina_wx"),
        "只有手机": ("sms", "13900001111"),  # prefers email, has none: email → WeCom → SMS
    }
    assert [e.name for e in report.unreachable] == ["没有联系人"]
    assert report.duplicates == 1 and report.by_channel["sms"] == 1 and report.ready


def test_approval_needs_someone_else_with_the_right_role(letter, owner, colleague, dispatcher, leader):
    with pytest.raises(DomainError):
        services.campaign_approve(actor=dispatcher, campaign=letter, version=None)  # not submitted yet
    letter = services.campaign_submit(actor=owner, campaign=letter, version=letter.version)
    for who in (owner, colleague):  # the author; staff without the right
        with pytest.raises(DomainError):
            services.campaign_approve(actor=who, campaign=letter, version=None)
    assert not Message.objects.exists()
    letter = services.campaign_approve(actor=leader, campaign=letter, version=letter.version)
    assert letter.status == Campaign.Status.SENDING and letter.approved_by == leader
    [message] = letter.messages.all()
    assert (message.channel, message.address, message.state) == ("phone", "13812348888", "pending")
    assert message.subject == "相信四川 相信未来——致比亚迪股份有限公司" and message.text.startswith("王磊总经理：")
    # The address copies the contact's mobile: encrypted at rest like it (delivery reads the plaintext).
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM outreach_message WHERE id = %s", [message.pk])
        [stored] = cursor.fetchone()
    assert stored.startswith("sm4:") and "13812348888" not in stored
    assert message.masked_address == "138****8888"


def test_missing_values_block_submission(owner, chengdu_enterprise):
    chengdu_enterprise.contacts.update(title="")
    campaign = services.campaign_create(
        actor=owner, name="信", subject="信", body=LETTER, enterprises=[chengdu_enterprise]
    )
    with pytest.raises(DomainError) as exc:
        services.campaign_submit(actor=owner, campaign=campaign, version=None)
    assert exc.value.field == "body" and "联系人职务" in str(exc.value)


def test_callers_never_phone_the_same_person(owner, colleague, leader):
    enterprises = [_enterprise(owner, f"企业{i}", name=f"联系人{i}", title="经理", mobile=f"1390000{i:04d}")
                   for i in range(5)]  # fmt: skip
    campaign = services.campaign_create(actor=owner, name="电话", subject="致{{企业名称}}", body=LETTER,
                                        enterprises=enterprises)  # fmt: skip
    services.campaign_submit(actor=owner, campaign=campaign, version=None)
    services.campaign_approve(actor=leader, campaign=campaign, version=None)
    mine = services.calls_reserve(actor=owner, campaign=campaign, count=3)
    theirs = services.calls_reserve(actor=colleague, campaign=campaign, count=3)
    assert len(mine) == 3 and len(theirs) == 2 and not {m.pk for m in mine} & {m.pk for m in theirs}
    with pytest.raises(DomainError):  # not reserved by this caller
        services.call_record(actor=colleague, message=mine[0], outcome="reached")
    services.call_record(actor=owner, message=mine[0], outcome="reached", note="很支持")
    with pytest.raises(DomainError) as exc:
        services.call_record(actor=owner, message=mine[1], outcome="call_back")
    assert exc.value.field == "call_back_at"
    services.call_record(
        actor=owner, message=mine[1], outcome="call_back", call_back_at=timezone.now() + datetime.timedelta(hours=2)
    )
    assert Message.objects.get(pk=mine[0].pk).state == "sent"
    # A lapsed reservation is free again.
    Message.objects.filter(pk=mine[2].pk).update(reserved_until=timezone.now() - datetime.timedelta(minutes=1))
    assert [m.pk for m in services.calls_reserve(actor=colleague, campaign=campaign, count=5)] == sorted(
        [mine[2].pk, *[m.pk for m in theirs]]
    )


def test_responses_their_counts_and_a_case(letter, owner, leader, chengdu_enterprise, outsider, mianyang_enterprise):
    from investdesk.cases.models import CaseCategory

    with pytest.raises(DomainError):  # not sent yet
        services.response_add(actor=owner, campaign=letter, enterprise=chengdu_enterprise, who="王磊",
                              received_on=datetime.date.today(), via="phone", summary="x")  # fmt: skip
    services.campaign_submit(actor=owner, campaign=letter, version=None)
    services.campaign_approve(actor=leader, campaign=letter, version=None)
    response = services.response_add(
        actor=owner, campaign=letter, enterprise=chengdu_enterprise, who="王磊", received_on=datetime.date.today(),
        via="phone", summary="四川仍是公司西部的重要布局地，希望协调解决物流问题", needs_follow_up=True,
    )  # fmt: skip
    with pytest.raises(DomainError) as exc:
        services.response_add(actor=owner, campaign=letter, enterprise=mianyang_enterprise, who="x",
                              received_on=datetime.date.today(), via="phone", summary="x")  # fmt: skip
    assert exc.value.field == "enterprise"
    progress = selectors.progress(campaign=letter)
    assert progress.responses == 1 and progress.by_sentiment["positive"] == 1
    category, _ = CaseCategory.objects.get_or_create(code="logistics", defaults={"name": "物流运输"})
    case = services.response_raise_case(actor=owner, response=response, category=category)
    assert case.enterprise == chengdu_enterprise and "物流" in case.description
    with pytest.raises(DomainError):
        services.response_raise_case(actor=owner, response=response, category=category)
    # The policy: another unit's campaign is not there.
    assert not selectors.campaigns_for_user(user=outsider).exists()
    with pytest.raises(Http404):
        selectors.campaign_get_for_user(user=outsider, campaign_id=letter.pk)
    panel = selectors_panel(owner, chengdu_enterprise)
    assert panel and panel["responses"][0].who == "王磊"


def selectors_panel(user, enterprise):
    return selectors.enterprise_outreach_panel(user=user, enterprise=enterprise)


def test_an_internal_notice_with_read_receipts(owner, colleague, outsider, dispatcher, leader, units):
    notice = services.campaign_create(
        actor=dispatcher, name="通知", audience="staff", subject="关于下沉社区参与疫情防控的通知",
        body="{{姓名}}同志：\n\n请于明日到居住地社区报到。", units=[units.chengdu],
    )  # fmt: skip
    report = services.resolve_audience(user=dispatcher, campaign=notice)
    assert {r.user for r in report.recipients} == {owner, colleague} and report.by_channel["inapp"] == 2
    services.campaign_submit(actor=dispatcher, campaign=notice, version=None)
    services.campaign_approve(actor=leader, campaign=notice, version=None)
    message = Message.objects.get(campaign=notice, user=owner)
    assert message.state == "sent" and message.text.startswith(f"{owner.name}同志")
    assert owner.notifications.filter(url=f"/outreach/notices/{message.pk}/").exists()
    assert {m.user for m in selectors.unread_of(campaign=notice)} == {owner, colleague}
    services.notice_read(user=owner, message=message)
    assert [m.user for m in selectors.unread_of(campaign=notice)] == [colleague]
    assert selectors.progress(campaign=notice).read == 1
    with pytest.raises(Http404):
        selectors.notice_get_for_user(user=outsider, message_id=message.pk)
