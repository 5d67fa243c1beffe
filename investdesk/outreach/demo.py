"""Demo outreach of September 2022 (story 4 of the brief, and the lockdown notice of story 2).

* The Mid-Autumn letter "相信四川 相信未来——致广大来川投资企业家的一封信", written by the enterprise
  service division (the dispatcher), approved by the leader on 8 September and sent one-to-one to
  every operating enterprise of the registry (the registry filter `status=operating`, 1,200+
  enterprises), each to its primary contact by the contact's channel. Most emails and SMS arrived
  on 8–9 September, a handful failed for good (unknown mailbox, empty number); the phone calls were
  made by three of the bureau's staff (the campaign is shared with the promotion and foreign-investment
  divisions for that), almost all reached.
* The answers: Dell (China), CATL, the EU Chamber (a chamber is not an enterprise and received no
  letter: its answer is recorded against its member Bosch, which passed it on) and ten others, by
  phone, email, WeChat and letter, mostly positive, two needing follow-up.
* The bureau's internal notice of 1 September calling all staff of the provincial system to
  volunteer in their communities, with read receipts.

Campaigns, approvals, phone calls, read receipts and responses go through the services. The services
stamp "now", so afterwards the timestamps are moved back to the days of the story, as the other
demos do. Deterministic (seeded); skipped when a campaign exists already.
"""

import datetime
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from investdesk.core import services as core_services
from investdesk.core.models import Notification, Unit, User
from investdesk.enterprises.models import Enterprise
from investdesk.outreach import services
from investdesk.outreach.models import Campaign, Message, Response

SEED = 20220908
TZ = ZoneInfo("Asia/Shanghai")

LETTER_SUBJECT = "相信四川 相信未来——致广大来川投资企业家的一封信"
LETTER_FILTERS = "status=operating"  # the enterprise list's query string: every operating enterprise
# Only merge fields every contact has a value for (enterprise name, contact name): the liaison
# officer, for one, is not set on most of the registry's enterprises.
LETTER_BODY = """尊敬的{{联系人}}：

您好！中秋佳节即将来临，四川省经济合作局谨向您和{{企业名称}}全体员工致以节日的问候，衷心感谢你们长期以来对四川经济社会发展的信任和支持！

今年以来，四川接连经受了极端高温干旱、新冠肺炎疫情和泸定6.8级地震的考验。广大在川投资企业与四川人民同舟共济、守望相助，坚持稳产保供，踊跃捐款捐物，展现了企业家的责任与担当，我们深受感动。

困难是暂时的，四川经济长期向好的基本面没有改变，发展的潜力和韧性没有改变。我们将全面落实稳经济一揽子政策和接续措施，全力帮助企业解决物流运输、原材料供应、员工返岗等难题，企业反映的问题第一时间响应、第一时间协调、第一时间解决。

经合局是在川投资企业的“娘家人”，服务好已落户企业是招商引资“后半篇文章”。生产经营中遇到任何困难，请随时与我们或您的包联干部联系，我们将竭诚为您服务。

相信四川，相信未来！祝您和家人中秋快乐、阖家幸福，祝{{企业名称}}事业兴旺、蒸蒸日上！

四川省经济合作局
2022年9月8日"""

NOTICE_SUBJECT = "关于号召全系统干部职工下沉社区参与疫情防控志愿服务的通知"
NOTICE_BODY = """局机关各处室，各市（州）投资促进局，各驻外办事处：

根据成都市新冠肺炎疫情防控指挥部通告，9月1日起成都市全域开展全员核酸检测，全市居民原则上居家。为坚决打赢疫情防控攻坚战，现号召全系统党员干部职工就近就地向居住地社区（村）报到，参与疫情防控志愿服务。有关事项通知如下：

一、主动报到。请于9月2日12时前向居住地社区报到，服从社区统一安排，协助开展核酸检测秩序维护、信息录入、入户摸排、物资配送等工作。

二、做好防护。志愿服务期间严格落实个人防护要求，做好健康监测，身体不适及时报告并停止服务。

三、兼顾工作。下沉社区期间保持通讯畅通，统筹做好居家办公、重点企业稳产保供服务和项目跟进，确保各项工作不断不乱。

四、及时报送。各单位每日17时前将志愿服务人次、服务社区和主要工作情况报局办公室汇总。

四川省经济合作局
2022年9月1日"""
NOTICE_READ_SHARE = 0.7

EMAIL_FAILURES = 8
EMAIL_REASONS = [
    ("邮箱地址不存在 (550)", 1),
    ("邮箱地址不存在 (550 5.1.1 User unknown)", 1),
    ("收件人邮箱已满 (452) (×5)", 5),
]
SMS_FAILURES = 5
SMS_REASONS = [("号码为空号", 1), ("号码已停机", 1)]
RETRIED_SHARE = 0.04  # temporary failures on 8 September, delivered on the retry on 9 September
CALLERS = ["dispatcher", "promotion", "foreign"]
SHARED_WITH = ["promotion", "foreign-investment"]  # the callers' divisions
CALLS_NOT_REACHED = 0.04  # never reached in the maximum number of attempts
CALLS_REACHED_LATER = 0.12  # not reached at first, reached on a later try
CALL_NOTES = [
    "已电话转达来信内容，企业负责人表示感谢",
    "企业表示生产经营基本正常，将继续在川发展",
    "已告知包联干部联系方式，企业如有困难将及时反映",
    "企业负责人对节日问候表示感谢",
    "",
    "",
]
NOT_REACHED_NOTE = "多次拨打无人接听，请属地投促局协助联系"

EU_CHAMBER = "中国欧盟商会西南分会"
CHENGDU_FOOD = {"name__startswith": "成都", "name__contains": "食品"}  # as the emergency demo's stopped food maker
# enterprise name (or a query for one of Chengdu's), who ("" = the letter's addressee), day, via,
# summary, sentiment, needs follow-up, recorded by
RESPONSES = [
    ("戴尔（中国）有限公司成都分公司", "", 9, "email", "戴尔（中国）回复：感谢省经济合作局在疫情和地震期间的关心与帮助。四川仍是公司在中国西部的重要布局地，成都基地将继续扩大产能、深化与本地供应链的合作，对四川的发展充满信心。", "positive", False, "foreign"),
    ("四川时代新能源科技有限公司", "", 10, "wechat", "宁德时代（四川时代）回复：宜宾基地在有序用电和疫情防控期间保持连续生产，感谢各级政府协调物流和电力保障。四川是公司动力电池全球布局的重要基地，将按计划推进后续项目建设，持续看好四川。", "positive", False, "dispatcher"),
    ("博世底盘控制系统（成都）有限公司", "Massimo Bagnasco（中国欧盟商会西南分会主席）", 13, "letter", "中国欧盟商会西南分会回函（经会员企业博世转达）：感谢四川省经济合作局的慰问和一对一服务。分会会员企业普遍认为，四川仍是欧洲企业在中国西部布局的关键地点；希望继续加强政企沟通，便利外籍人员往来和跨境物流。", "positive", False, "foreign"),
    ("丰田汽车（中国）投资有限公司", "", 9, "email", "丰田中国回复：感谢来信和节日问候。公司已向泸定地震灾区捐款600万元，成都工厂生产经营正常，将继续深耕四川市场。", "positive", False, "foreign"),
    ("比亚迪股份有限公司", "", 9, "phone", "比亚迪西南区回复：成都基地新能源汽车产销两旺，感谢在静默期间协调零部件运输，后续将加快推进配套项目落地。", "positive", False, "dispatcher"),
    ("英特尔产品（成都）有限公司", "", 11, "email", "英特尔成都回复：闭环生产期间工厂运行平稳，感谢政府在员工通勤和物资保障方面的支持，成都仍是英特尔全球重要的封装测试基地。", "positive", False, "foreign"),
    ("鸿富锦精密电子（成都）有限公司", "", 13, "phone", "富士康成都回复：感谢来信。目前员工返岗受限，约六成产线开工，出口订单交付压力较大，希望协调园区闭环管理和员工通勤专线。", "neutral", True, "foreign"),
    ("京东方科技集团绵阳有限公司", "", 12, "wechat", "京东方绵阳回复：感谢节日问候，生产线满负荷运行，将继续加大在川投资，推动上下游配套企业来绵落户。", "positive", False, "dispatcher"),
    ("四川长虹电器股份有限公司", "", 14, "letter", "长虹公司复函：感谢省经济合作局的关心，公司将坚定扎根四川，积极参与以商招商，带动产业链企业来川投资。", "positive", False, "dispatcher"),
    ("东方电气集团东方汽轮机有限公司", "", 12, "phone", "东方汽轮机回复：震后生产未受影响，在手订单饱满，感谢政府帮助协调原材料运输。", "positive", False, "dispatcher"),
    ("拼多多（成都）科技有限公司", "", 10, "wechat", "拼多多成都回复：静默期间全力保障生活物资线上供应，将继续助力四川农产品上行，看好四川数字经济发展前景。", "positive", False, "dispatcher"),
    ("广东嘉士利食品集团有限公司", "", 15, "phone", "嘉士利集团回复：感谢协调救灾物资运输通行，眉山工厂生产正常，将继续支持灾区重建。", "positive", False, "dispatcher"),
    (CHENGDU_FOOD, "", 14, "phone", "企业回复：感谢来信。受物流影响原材料无法运入，目前已停产，希望协调原料运输车辆通行并帮助申请纾困贷款。", "neutral", True, "dispatcher"),
]  # fmt: skip


def _at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2022, 9, day, hour, minute, second, tzinfo=TZ)


@transaction.atomic
def load() -> dict:
    # One transaction: the delivery task the approval enqueues "on commit" is only enqueued after
    # every message has its final state below, so a worker finds nothing to send.
    if Campaign.objects.exists():
        return {"skipped": "campaigns exist already"}
    if not Enterprise.objects.filter(name=RESPONSES[0][0]).exists():
        return {"skipped": "no demo enterprises (load the enterprise demo first)"}
    rng = random.Random(SEED)
    people = {u.username: u for u in User.objects.all()}
    letter, report = _letter(rng, people)
    responses = _responses(letter, people)
    notice, read = _notice(rng, people)
    by_state: dict[str, int] = {}
    for state in letter.messages.values_list("state", flat=True):
        by_state[state] = by_state.get(state, 0) + 1
    return {
        "campaigns": 2,
        "letter_messages": sum(report.by_channel.values()),
        "by_channel": {k: v for k, v in report.by_channel.items() if v},
        "by_state": by_state,
        "unreachable_enterprises": len(report.unreachable),
        "responses": responses,
        "notice_recipients": notice.messages.count(),
        "notice_read": read,
    }


# --- the Mid-Autumn letter ------------------------------------------------------------------------


def _letter(rng: random.Random, people: dict[str, User]):
    # The dispatcher writes it (the enterprise service division owns it): the audience is resolved
    # with the author's view of the registry, and a division's staff see only their own records.
    author, leader = people["dispatcher"], people["leader"]
    campaign = services.campaign_create(
        actor=author,
        name="2022年中秋致在川投资企业家的一封信",
        audience=Campaign.Audience.ENTERPRISES,
        subject=LETTER_SUBJECT,
        body=LETTER_BODY,
        filters=LETTER_FILTERS,
    )
    report = services.resolve_audience(user=author, campaign=campaign)
    campaign = services.campaign_submit(actor=author, campaign=campaign, version=campaign.version)
    campaign = services.campaign_approve(actor=leader, campaign=campaign, version=campaign.version)

    # The call list is worked with the promotion and foreign-investment divisions: the campaign is
    # shared with them (editable), so their staff can reserve calls and record answers.
    for code in SHARED_WITH:
        core_services.record_share(actor=author, record=campaign, unit=Unit.objects.get(code=code), can_edit=True)
    responders = _responder_ids()
    _deliver(rng, campaign, responders)
    _call(rng, campaign, people, responders)

    created, approved, sent = _at(6, 15, 30), _at(8, 9, 20), _at(8, 10, 0)
    open_states = [Message.State.PENDING, Message.State.SENDING, Message.State.FAILED]
    if campaign.messages.filter(state__in=open_states).exists():
        raise RuntimeError("the demo left letters pending: a worker would try to send them")
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.DONE, created_at=created, approved_at=approved, sent_at=sent
    )
    _backdate_notifications(f"campaign-submitted:{campaign.pk}:", _at(7, 17, 10), read=_at(8, 9, 15))
    campaign.refresh_from_db()
    return campaign, report


def _responder_ids() -> set[int]:
    """The enterprises that answer: their letters arrived (no demo failure falls on them)."""
    return {_responder(which).pk for which, *_ in RESPONSES}


def _responder(which) -> Enterprise:
    if isinstance(which, str):
        return Enterprise.objects.get(name=which)
    return (
        Enterprise.objects.filter(
            owner_unit__code="chengdu", city="chengdu", status=Enterprise.Status.OPERATING, **which
        )
        .order_by("pk")
        .first()
    )


def _deliver(rng: random.Random, campaign: Campaign, responders: set[int]) -> None:
    """The outcome of email, SMS and WeCom delivery. The demo has no provider to send through, so the
    results a worker would have recorded are written here with the ORM: sent on 8 September (a few
    on the retry of 9 September) with a provider id, a handful failed for good with the provider's
    reason. Nothing stays pending for a worker to send."""
    messages = list(campaign.messages.filter(channel__in=["email", "sms", "wecom"]).order_by("id"))
    candidates = {
        channel: [m for m in messages if m.channel == channel and m.enterprise_id not in responders]
        for channel in ("email", "sms")
    }
    failing = {}
    for channel, count, reasons in (("email", EMAIL_FAILURES, EMAIL_REASONS), ("sms", SMS_FAILURES, SMS_REASONS)):
        for i, message in enumerate(rng.sample(candidates[channel], min(count, len(candidates[channel])))):
            failing[message.pk] = reasons[i % len(reasons)]
    start = _at(8, 10, 0)
    position = {"email": 0, "sms": 0, "wecom": 0}
    for message in messages:
        # One worker: email at ~2 a second, SMS and WeCom at ~1 a second, from 10:00.
        position[message.channel] += 1
        step = 0.5 if message.channel == "email" else 1.0
        at = start + datetime.timedelta(seconds=int(position[message.channel] * step) + rng.randint(0, 2))
        message.claim_token, message.claim_expires_at, message.next_attempt_at = None, None, at
        if message.pk in failing:
            reason, attempts = failing[message.pk]
            if attempts > 1:  # retried with backoff through the evening, then given up
                at += datetime.timedelta(hours=rng.randint(3, 6))
            message.state, message.last_error, message.attempts = Message.State.FAILED_PERMANENTLY, reason, attempts
            message.handed_over_at, message.updated_at = None, at
            continue
        if rng.random() < RETRIED_SHARE:  # a temporary failure first, delivered the next morning
            message.attempts = 2
            at = _at(9, 8, rng.randint(0, 59), rng.randint(0, 59))
        else:
            message.attempts = 1
        message.state, message.provider_id, message.last_error = Message.State.SENT, f"demo-{message.key.hex}", ""
        message.handed_over_at = message.sent_at = message.updated_at = at
    Message.objects.bulk_update(
        messages,
        ["state", "attempts", "provider_id", "last_error", "sent_at", "handed_over_at", "updated_at",
         "next_attempt_at", "claim_token", "claim_expires_at"],
        batch_size=500,
    )  # fmt: skip


def _call(rng: random.Random, campaign: Campaign, people: dict[str, User], responders: set[int]) -> None:
    """The call list worked through by three of the bureau's staff with the services (reserve a batch,
    record each outcome); a number not reached is tried again until the maximum of attempts."""
    calls = list(campaign.messages.filter(channel="phone").order_by("id"))
    others = [m for m in calls if m.enterprise_id not in responders]
    never = {m.pk for m in rng.sample(others, round(len(calls) * CALLS_NOT_REACHED))}
    later = {m.pk for m in rng.sample(others, round(len(calls) * CALLS_REACHED_LATER))} - never
    callers = [people[name] for name in CALLERS]
    turn = 0
    while campaign.messages.filter(channel="phone", state=Message.State.PENDING).exists():
        # An unanswered number is tried again later (an hour on): the demo moves the clock on.
        campaign.messages.filter(channel="phone", state=Message.State.PENDING).update(call_back_at=None)
        caller = callers[turn % len(callers)]
        turn += 1
        for message in services.calls_reserve(actor=caller, campaign=campaign, count=30):
            if message.pk in never or (message.pk in later and message.attempts == 0):
                services.call_record(actor=caller, message=message, outcome=Message.Outcome.NOT_REACHED,
                                     note=NOT_REACHED_NOTE if message.pk in never else "")  # fmt: skip
            else:
                services.call_record(actor=caller, message=message, outcome=Message.Outcome.REACHED,
                                     note=rng.choice(CALL_NOTES))  # fmt: skip
    # The calls were made on the afternoon of 8 September and on 9 September (the services stamp
    # "now"): spread them over those working hours, in the order of the list.
    slots = [(8, h) for h in (14, 15, 16, 17)] + [(9, h) for h in (9, 10, 11, 14, 15, 16, 17)]
    per_slot = -(-len(calls) // len(slots))
    for index, message in enumerate(calls):
        day, hour = slots[index // per_slot]
        at = _at(day, hour, rng.randint(0, 59), rng.randint(0, 59))
        fields = {"updated_at": at, "next_attempt_at": _at(8, 10)}
        if message.pk in later or message.pk in never:
            at = at if day == 9 else at + datetime.timedelta(days=1)  # tried again the next day
            fields["updated_at"] = at
        if message.pk not in never:
            fields["sent_at"] = at
        Message.objects.filter(pk=message.pk).update(**fields)


# --- the answers ----------------------------------------------------------------------------------


def _responses(campaign: Campaign, people: dict[str, User]) -> int:
    for which, who, day, via, summary, sentiment, follow_up, recorder in RESPONSES:
        enterprise = _responder(which)
        if not who:
            contact = campaign.messages.get(enterprise=enterprise).contact
            who = f"{contact.name}（{contact.title}）" if contact.title else contact.name
        response = services.response_add(
            actor=people[recorder],
            campaign=campaign,
            enterprise=enterprise,
            who=who,
            received_on=datetime.date(2022, 9, day),
            via=via,
            summary=summary,
            sentiment=sentiment,
            needs_follow_up=follow_up,
        )
        Response.objects.filter(pk=response.pk).update(recorded_at=_at(day, 16, 30 + len(summary) % 29))
    return len(RESPONSES)


# --- the internal notice --------------------------------------------------------------------------


def _notice(rng: random.Random, people: dict[str, User]) -> tuple[Campaign, int]:
    """Drafted by the general office, approved by the leader, read by most staff within a day."""
    bureau = Unit.objects.get(code="bureau")
    author, leader = people["admin"], people["leader"]
    notice = services.campaign_create(
        actor=author,
        name="号召全系统干部职工下沉社区参与疫情防控志愿服务",
        audience=Campaign.Audience.STAFF,
        subject=NOTICE_SUBJECT,
        body=NOTICE_BODY,
        units=[bureau],
    )
    notice = services.campaign_submit(actor=author, campaign=notice, version=notice.version)
    notice = services.campaign_approve(actor=leader, campaign=notice, version=notice.version)
    approved = _at(1, 9, 10)
    messages = list(notice.messages.select_related("user").order_by("id"))
    # The author and the approver read it first; most of the others within a day.
    first = [m for m in messages if m.user_id in (author.pk, leader.pk)]
    others = [m for m in messages if m not in first]
    readers = first + rng.sample(others, max(round(len(messages) * NOTICE_READ_SHARE) - len(first), 0))
    for message in readers:
        services.notice_read(user=message.user, message=message)
    Message.objects.filter(campaign=notice).update(sent_at=approved, next_attempt_at=approved, updated_at=approved)
    for message in readers:
        late = 30 if message in first else 26 * 60
        read = approved + datetime.timedelta(minutes=rng.randint(5, late))
        Message.objects.filter(pk=message.pk).update(read_at=read)
        Notification.objects.filter(user=message.user, key=f"notice:{message.pk}").update(read_at=read)
    # In-app notices are delivered on approval: nothing is left for a worker.
    Campaign.objects.filter(pk=notice.pk).update(
        status=Campaign.Status.DONE, created_at=_at(1, 8, 30), approved_at=approved, sent_at=approved
    )
    _backdate_notifications(f"campaign-submitted:{notice.pk}:", _at(1, 8, 40), read=_at(1, 9, 5))
    _backdate_notifications("notice:", approved, pks=[m.pk for m in messages])
    return notice, len(readers)


def _backdate_notifications(prefix: str, at: datetime.datetime, *, read=None, pks=None) -> None:
    """The services' notifications dated to the story, and marked emailed then (so a worker today
    does not email news of September 2022); an approval request was read by its approver."""
    if pks is not None:
        qs = Notification.objects.filter(key__in=[f"{prefix}{pk}" for pk in pks])
    else:
        qs = Notification.objects.filter(key__startswith=prefix)
    fields = {"created_at": at}
    if settings.NOTIFY_BY_EMAIL:
        fields["emailed_at"] = at
    if read is not None:
        fields["read_at"] = read
    qs.update(**fields)
