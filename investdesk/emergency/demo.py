"""Demo emergency response of September 2022 (stories 1–3 of the brief): the Chengdu lockdown and the
Luding earthquake.

* Earthquake relief: the gifts the brief names (Toyota 600万元, BYD 500万元, Pinduoduo 300万元, 陈泽民
  300万元, Jiashili 30 tonnes of biscuits) and the chambers' own and mobilised gifts, together exactly
  3.4亿元 of money and goods (`DONATION_TOTAL`); most received, some partly, a few only pledged
  (据不完全统计). Eleven relief shipments from 成都/德阳/雅安/眉山 to 泸定县 and 石棉县 in every state, two
  of them blocked; the blocked Jiashili lorry became a case for the transport department.
* The lockdown: 182 volunteer stints of 24 of the bureau's cadres in 42 Chengdu communities, with
  the exact figures of the brief as of 14 September (`VOLUNTEER_FIGURES`), and nine critical
  enterprises (稳产保供) with dated production updates.

Everything goes through the services (validation, audit). The services stamp "now" on what they
create, so afterwards the timestamps are moved back to the days of the story, as the projects and
cases demos do. Deterministic (seeded); skipped when an incident exists already.
"""

import datetime
import random
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from investdesk.core import services as core_services
from investdesk.core.demo import DEMO_PASSWORD
from investdesk.core.models import Notification, Role, Unit, User
from investdesk.emergency import services
from investdesk.emergency.models import (
    CriticalEnterprise,
    Donation,
    Incident,
    ProductionUpdate,
    Receipt,
    Shipment,
    ShipmentEvent,
    VolunteerService,
)
from investdesk.enterprises.models import Chamber, Enterprise
from investdesk.lib.identifiers import make_resident_id
from investdesk.lib.workdays import add_workdays

SEED = 20220901
TZ = ZoneInfo("Asia/Shanghai")
AS_OF = datetime.date(2022, 9, 14)  # the brief's figures are "as of 14 September"

LOCKDOWN = "成都疫情静默管理"
QUAKE = "泸定6.8级地震"
DONATION_TOTAL = Decimal(340_000_000)  # 3.4亿元: every gift's value (money, or goods' estimate)
VOLUNTEER_FIGURES = {
    "person_times": 182,
    "communities": 42,
    "tests_assisted": 50_785,
    "records_entered": 13_854,
    "households_surveyed": 1_013,
}


def _day(day: int) -> datetime.date:
    return datetime.date(2022, 9, day)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TZ)


# --- donations ------------------------------------------------------------------------------------

CSZH, YD, GG, HN, EU = (
    "四川省川商总会",
    "四川省异地商会联合会",
    "四川省归国人士企业联合会",
    "河南省四川重庆商会",
    "中国欧盟商会西南分会",
)
RED_CROSS, CHARITY, LUDING, SHIMIAN, GANZI = (
    "四川省红十字会",
    "四川省慈善联合会",
    "泸定县人民政府",
    "石棉县人民政府",
    "甘孜州慈善总会",
)


class Gift(NamedTuple):
    donor_kind: str
    donor: str  # the enterprise, chamber or person; "" = an enterprise picked from `mobilised`'s members or `unit`'s registry
    unit: str  # the recording unit
    money: int = 0  # yuan
    goods: tuple | None = None  # (item, quantity, measure, estimated value in yuan)
    mobilised: str = ""  # the chamber credited (soft credit)
    title: str = ""
    day: int = 0  # pledged on (September); 0 = by chance, 6–14
    recipient: str = ""  # "" = by chance
    plan: str = ""  # "full", "partly", "pledged", "shipped" (received as its lorries arrive); "" = by chance
    key: str = ""  # the shipments' handle on a gift of goods


E, C, P = Donation.DonorKind.ENTERPRISE, Donation.DonorKind.CHAMBER, Donation.DonorKind.PERSON
SERVICE, FOREIGN, CHENGDU = "enterprise-service", "foreign-investment", "chengdu"

GIFTS = [
    # The gifts the brief names.
    Gift(E, "丰田汽车（中国）投资有限公司", FOREIGN, money=6_000_000, day=6, recipient=RED_CROSS, plan="full"),
    Gift(E, "比亚迪股份有限公司", SERVICE, money=5_000_000, day=6, recipient=CHARITY, plan="full"),
    Gift(E, "拼多多（成都）科技有限公司", SERVICE, money=3_000_000, day=7, recipient=CHARITY, plan="full"),
    Gift(P, "陈泽民", SERVICE, money=3_000_000, mobilised=HN, title="河南省四川重庆商会名誉会长", day=6, recipient=RED_CROSS, plan="full"),
    Gift(E, "广东嘉士利食品集团有限公司", SERVICE, goods=("饼干", 30, "吨", 600_000), day=6, recipient=LUDING, plan="shipped", key="biscuits"),
    # The chambers' own gifts.
    Gift(C, CSZH, SERVICE, money=30_000_000, day=6, recipient=CHARITY, plan="full"),
    Gift(C, CSZH, SERVICE, goods=("帐篷", 800, "顶", 1_600_000), day=7, recipient=LUDING, plan="shipped", key="tents"),
    Gift(C, YD, SERVICE, money=20_000_000, day=7, recipient=CHARITY, plan="partly"),
    Gift(C, GG, SERVICE, money=8_000_000, day=7, recipient=RED_CROSS, plan="full"),
    Gift(C, HN, SERVICE, money=2_000_000, day=6, recipient=RED_CROSS, plan="full"),
    Gift(C, EU, FOREIGN, money=1_000_000, day=9, recipient=GANZI, plan="pledged"),
    # Member enterprises the chambers mobilised (soft credit to the chamber).
    *[Gift(E, "", SERVICE, money=m, mobilised=CSZH) for m in (30_000_000, 20_000_000, 20_000_000, 15_000_000, 10_000_000, 10_000_000, 8_000_000, 5_000_000, 5_000_000, 3_000_000, 2_000_000, 1_000_000)],
    Gift(E, "", SERVICE, goods=("饮用水", 10_000, "箱", 300_000), mobilised=CSZH, day=7, recipient=SHIMIAN, plan="shipped", key="water-shimian"),
    Gift(E, "", SERVICE, goods=("方便面", 5_000, "箱", 400_000), mobilised=CSZH, day=12, recipient=LUDING, plan="shipped", key="noodles"),
    *[Gift(E, "", SERVICE, money=m, mobilised=YD) for m in (20_000_000, 10_000_000, 10_000_000, 8_000_000, 5_000_000, 5_000_000, 3_000_000, 2_000_000, 1_000_000, 500_000)],
    Gift(E, "", SERVICE, goods=("棉被", 3_000, "床", 450_000), mobilised=YD, day=10, recipient=LUDING, plan="shipped", key="quilts"),
    Gift(E, "", SERVICE, goods=("柴油发电机", 20, "台", 600_000), mobilised=YD, day=10, recipient=LUDING, plan="shipped", key="generators"),
    *[Gift(E, "", SERVICE, money=m, mobilised=GG) for m in (10_000_000, 8_000_000, 5_000_000, 5_000_000, 3_000_000, 2_000_000, 1_000_000)],
    Gift(E, "", SERVICE, goods=("药品及医疗器械", 300, "箱", 1_500_000), mobilised=GG, day=11, recipient=SHIMIAN, plan="shipped", key="medicine"),
    *[Gift(E, "", SERVICE, money=m, mobilised=HN) for m in (5_000_000, 3_000_000, 2_000_000, 1_000_000)],
    Gift(E, "博世底盘控制系统（成都）有限公司", FOREIGN, money=2_000_000, mobilised=EU, day=8, recipient=RED_CROSS),
    Gift(E, "戴尔（中国）有限公司成都分公司", FOREIGN, money=3_000_000, mobilised=EU, day=8, recipient=CHARITY),
    Gift(E, "英特尔产品（成都）有限公司", FOREIGN, money=2_000_000, mobilised=EU, day=9, recipient=RED_CROSS),
    # Enterprises that gave directly: Chengdu's records and the division's.
    *[Gift(E, "", CHENGDU, money=m) for m in (3_000_000, 2_000_000, 1_000_000, 500_000)],
    Gift(E, "", CHENGDU, goods=("饮用水", 5_000, "箱", 150_000), day=6, recipient=LUDING, plan="shipped", key="water-luding"),
    Gift(E, "", CHENGDU, goods=("折叠床", 500, "张", 250_000), day=13, recipient=SHIMIAN, plan="shipped", key="beds"),
    Gift(E, "", CHENGDU, goods=("消毒液", 200, "箱", 150_000), day=13, recipient=LUDING, plan="shipped", key="disinfectant"),
    Gift(E, "四川时代新能源科技有限公司", SERVICE, money=3_000_000, recipient=GANZI),
    Gift(E, "四川长虹电器股份有限公司", SERVICE, money=1_000_000, recipient=CHARITY),
]  # fmt: skip
assert sum(g.money or g.goods[3] for g in GIFTS) == DONATION_TOTAL, "the gifts must add up to 3.4亿元"


def _donations(rng, quake, actors, units) -> tuple[dict[str, Donation], int]:
    chambers = {c.name: c for c in Chamber.objects.all()}
    used: set[int] = set()
    keyed: dict[str, Donation] = {}
    receipts = 0
    for gift in GIFTS:
        actor = actors[gift.unit]
        fields = {"donor_kind": gift.donor_kind, "mobilised_by": chambers.get(gift.mobilised)}
        if gift.donor_kind == C:
            fields["chamber"] = chambers[gift.donor]
        elif gift.donor_kind == P:
            fields.update(donor_name=gift.donor, donor_title=gift.title)
        else:
            enterprise = _donor_enterprise(rng, gift, chambers, units, used)
            used.add(enterprise.pk)
            fields["enterprise"] = enterprise
        if gift.money:
            fields.update(kind=Donation.Kind.MONEY, amount=Decimal(gift.money))
        else:
            item, quantity, measure, value = gift.goods
            fields.update(kind=Donation.Kind.GOODS, item=item, quantity=Decimal(quantity), measure=measure)
            fields["value"] = Decimal(value)
        plan = gift.plan or rng.choice(["full"] * 8 + ["partly"] + ["pledged"])
        day = gift.day or (rng.randint(11, 14) if plan == "pledged" else rng.randint(6, 13))
        recipient = gift.recipient or rng.choice([CHARITY, CHARITY, RED_CROSS, RED_CROSS, LUDING, SHIMIAN, GANZI])
        donation = services.donation_pledge(
            actor=actor,
            incident=quake,
            owner_unit=units[gift.unit],
            pledged_on=_day(day),
            recipient=recipient,
            note="定向捐赠泸定地震灾区" if recipient in (CHARITY, RED_CROSS) else "",
            **fields,
        )
        Donation.objects.filter(pk=donation.pk).update(
            created_at=_at(_day(day), rng.randint(9, 17), rng.randint(0, 59))
        )
        if gift.key:
            keyed[gift.key] = donation
        if plan in ("full", "partly"):
            receipts += _receive(rng, actor, donation, plan)
    return keyed, receipts


def _donor_enterprise(rng, gift: Gift, chambers, units, used: set[int]) -> Enterprise:
    if gift.donor:
        return Enterprise.objects.get(name=gift.donor)
    if gift.mobilised:
        pool = chambers[gift.mobilised].members.all()
    else:
        pool = Enterprise.objects.filter(owner_unit=units[gift.unit], city=gift.unit, is_key=True)
    candidates = [e for e in pool.filter(status=Enterprise.Status.OPERATING).order_by("pk") if e.pk not in used]
    return rng.choice(candidates)


def _receive(rng, actor, donation: Donation, plan: str) -> int:
    """All of it arrives in one transfer or delivery, or a share of it so far."""
    pledged = donation.pledged
    start = donation.pledged_on
    if plan == "full":
        parts = [pledged]
    else:
        share = Decimal(rng.choice(["0.3", "0.5", "0.6", "0.75"]))
        parts = [(pledged * share).quantize(Decimal(1))]
    day = start
    for quantity in parts:
        day = min(day + datetime.timedelta(days=rng.randint(0, 3)), AS_OF)
        receipt = services.receipt_add(
            actor=actor,
            donation=donation,
            received_on=day,
            quantity=quantity,
            note="已到账" if donation.kind == Donation.Kind.MONEY else "已到货",
        )
        Receipt.objects.filter(pk=receipt.pk).update(recorded_at=_at(day, 16, rng.randint(0, 59)))
    return len(parts)


# --- shipments ------------------------------------------------------------------------------------

PLANNED, LOADING, IN_TRANSIT, DELIVERED, BLOCKED = Shipment.State.values
ROAD_SLIDE = "省道217线塌方，车辆无法通行"
PASS_PENDING = "灾区实行交通管制，通行证尚在办理，车辆暂停发运"


class Trip(NamedTuple):
    key: str  # the gift of goods it carries
    quantity: int
    origin: str
    destination: str
    township: str
    carrier: str
    plate: str  # the province prefix of the origin's plates
    unit: str
    moves: list  # [(state, (day, hour, minute), reason)], the first the planning
    transit_pass: str = Shipment.Pass.GRANTED


TRIPS = [
    Trip("biscuits", 20, "眉山市东坡区", "泸定县", "磨西镇", "顺丰速运", "川Z", SERVICE, [(PLANNED, (7, 9, 0), ""), (LOADING, (7, 14, 0), ""), (IN_TRANSIT, (7, 18, 30), ""), (DELIVERED, (8, 11, 20), "")]),
    Trip("biscuits", 10, "眉山市东坡区", "泸定县", "得妥镇", "四川交投物流有限公司", "川Z", SERVICE, [(PLANNED, (8, 9, 0), ""), (LOADING, (8, 15, 0), ""), (IN_TRANSIT, (8, 20, 0), ""), (BLOCKED, (9, 7, 40), ROAD_SLIDE)]),
    Trip("tents", 800, "成都市青白江区", "泸定县", "磨西镇", "中国邮政速递物流", "川A", SERVICE, [(PLANNED, (7, 8, 0), ""), (LOADING, (7, 10, 0), ""), (IN_TRANSIT, (7, 13, 0), ""), (DELIVERED, (7, 22, 10), "")]),
    Trip("water-luding", 5_000, "成都市新都区", "泸定县", "德威镇", "京东物流", "川A", CHENGDU, [(PLANNED, (7, 9, 0), ""), (LOADING, (7, 15, 0), ""), (IN_TRANSIT, (8, 6, 0), ""), (DELIVERED, (8, 14, 0), "")]),
    Trip("water-shimian", 6_000, "成都市双流区", "石棉县", "王岗坪彝族藏族乡", "德邦物流", "川A", SERVICE, [(PLANNED, (8, 9, 0), ""), (LOADING, (8, 13, 0), ""), (IN_TRANSIT, (8, 17, 0), ""), (DELIVERED, (9, 10, 30), "")]),
    Trip("quilts", 3_000, "德阳市旌阳区", "泸定县", "烹坝镇", "四川交投物流有限公司", "川F", SERVICE, [(PLANNED, (12, 9, 0), ""), (LOADING, (13, 9, 0), ""), (IN_TRANSIT, (13, 15, 0), "")]),
    Trip("medicine", 300, "成都市高新区", "石棉县", "草科藏族乡", "国药控股四川医药物流", "川A", SERVICE, [(PLANNED, (12, 10, 0), ""), (LOADING, (13, 8, 0), ""), (IN_TRANSIT, (13, 11, 0), "")]),
    Trip("noodles", 5_000, "德阳市广汉市", "泸定县", "冷碛镇", "顺丰速运", "川F", SERVICE, [(PLANNED, (13, 9, 0), ""), (LOADING, (14, 8, 0), "")]),
    Trip("generators", 20, "雅安市雨城区", "泸定县", "得妥镇", "雅安市公路运输有限公司", "川T", SERVICE, [(PLANNED, (11, 9, 0), ""), (BLOCKED, (12, 10, 0), PASS_PENDING)], Shipment.Pass.APPLIED),
    Trip("beds", 500, "成都市郫都区", "石棉县", "新民藏族彝族乡", "京东物流", "川A", CHENGDU, [(PLANNED, (14, 9, 0), "")], Shipment.Pass.APPLIED),
    Trip("disinfectant", 200, "成都市武侯区", "泸定县", "泸桥镇", "中国邮政速递物流", "川A", CHENGDU, [(PLANNED, (14, 10, 0), "")]),
]  # fmt: skip

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华兰红玉梅鹏辉建国志宏海波斌宇浩凯俊帆琳婷雪飞晨阳鑫林峰博文"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))


def _mobile(rng) -> str:
    return rng.choice(["13", "15", "17", "18", "19"]) + str(rng.randint(0, 9)) + f"{rng.randint(0, 99999999):08d}"


def _driver_id(number: int) -> str:
    """A made-up resident ID number for the drivers whose trip needed a transit pass (no random draw,
    so the rest of the demo stays as it was)."""
    return make_resident_id(f"51010419{70 + number % 20}0{1 + number % 9}1{number % 10}{number:03d}")


def _shipments(rng, quake, gifts: dict[str, Donation], actors, units) -> tuple[int, int]:
    receipts = 0
    blocked_biscuits = None
    for number, trip in enumerate(TRIPS, start=1):
        actor = actors[trip.unit]
        donation = gifts[trip.key]
        shipment = services.shipment_create(
            actor=actor,
            incident=quake,
            owner_unit=units[trip.unit],
            donation=donation,
            goods=donation.item,
            quantity=Decimal(trip.quantity),
            measure=donation.measure,
            origin=trip.origin,
            destination=trip.destination,
            township=trip.township,
            carrier=trip.carrier,
            plate=f"{trip.plate}{rng.choice(PLATE_LETTERS)}{rng.randint(10000, 99999)}",
            driver=_name(rng),
            driver_phone=_mobile(rng),
            driver_id_number=_driver_id(number) if trip.transit_pass != Shipment.Pass.NOT_NEEDED else "",
            transit_pass=trip.transit_pass,
            at=_at(_day(trip.moves[0][1][0]), trip.moves[0][1][1], trip.moves[0][1][2]),
        )
        times = []
        for state, (day, hour, minute), reason in trip.moves:
            at = _at(_day(day), hour, minute)
            times.append(at)
            if state != PLANNED:
                shipment = services.shipment_move(
                    actor=actor, shipment=shipment, to=state, version=None, reason=reason, at=at
                )
            if state == DELIVERED:
                receipt = services.receipt_add(
                    actor=actors[_unit_code(donation)],
                    donation=donation,
                    received_on=at.date(),
                    quantity=Decimal(trip.quantity),
                    note=f"{trip.destination}{trip.township}物资接收点签收",
                )
                Receipt.objects.filter(pk=receipt.pk).update(recorded_at=at + datetime.timedelta(hours=1))
                receipts += 1
        # The services stamp "now": put the trip's clock back to its days (one event per state).
        events = list(ShipmentEvent.objects.filter(shipment=shipment).order_by("id").values_list("pk", flat=True))
        for pk, at in zip(events, times, strict=True):
            ShipmentEvent.objects.filter(pk=pk).update(at=at)
        Shipment.objects.filter(pk=shipment.pk).update(created_at=times[0], updated_at=times[-1])
        if trip.key == "biscuits" and shipment.state == BLOCKED:
            blocked_biscuits = shipment, times[-1]
    cases = 0
    if blocked_biscuits is not None:
        cases = _raise_case(actors["dispatcher"], *blocked_biscuits)
    return receipts, cases


def _unit_code(donation: Donation) -> str:
    return Unit.objects.values_list("code", flat=True).get(pk=donation.owner_unit_id)


def _raise_case(dispatcher, shipment: Shipment, blocked_at: datetime.datetime) -> int:
    """The dispatcher turns the blocked lorry into a case for the transport department (交通厅). The
    case services stamp "now" and number the case by the current year: move it back to the morning
    the road was blocked, numbered in 2022's sequence."""
    from investdesk.cases.models import Assignment, Case, CaseEvent

    enterprise = Enterprise.objects.get(name="广东嘉士利食品集团有限公司")
    case = services.shipment_raise_case(actor=dispatcher, shipment=shipment, enterprise=enterprise)
    registered = blocked_at + datetime.timedelta(minutes=50)
    assigned = registered + datetime.timedelta(minutes=15)
    events = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("pk", "action"))
    for pk, action in events:
        CaseEvent.objects.filter(pk=pk).update(at=registered if action == "register" else assigned)
    old_number = case.number
    prefix = f"SQ{registered.year}"
    last = Case.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    number = f"{prefix}{(int(last[len(prefix) :]) + 1 if last else 1):05d}"
    update = {"number": number, "registered_at": registered}
    if case.assigned_at:
        due = add_workdays(assigned.date(), settings.CASE_DEADLINE_WORKDAYS[case.urgency])
        update.update(assigned_at=assigned, due_on=due)
        Assignment.objects.filter(case=case).update(due_on=due, created_at=assigned)
    Case.objects.filter(pk=case.pk).update(**update)
    for notification in Notification.objects.filter(key__startswith="case-", text__contains=old_number):
        notification.text = notification.text.replace(old_number, number)
        notification.save(update_fields=["text"])
    return 1


# --- volunteer service ----------------------------------------------------------------------------

COMMUNITIES = {
    "锦江区": ["水井坊社区", "合江亭社区", "东光社区", "莲桂南路社区", "净居寺社区", "锦官驿社区"],
    "青羊区": ["宽巷子社区", "文家社区", "光华社区", "清源社区", "苏坡社区", "浣花溪社区"],
    "金牛区": ["茶店子社区", "营门口社区", "沙湾社区", "抚琴社区", "西华社区", "金泉社区"],
    "武侯区": ["玉林北路社区", "桐梓林社区", "红牌楼社区", "簇桥社区", "望江路社区", "浆洗街社区"],
    "成华区": ["建设路社区", "猛追湾社区", "双桥子社区", "府青路社区", "跳蹬河社区", "万年场社区"],
    "高新区": ["芳草社区", "桂溪社区", "石羊社区", "中和社区", "肖家河社区", "新北社区"],
    "天府新区": ["华阳社区", "正兴社区", "万安社区", "煎茶社区", "太平社区", "兴隆社区"],
}
# The bureau's own staff volunteered: the demo people of the bureau and its divisions (not the
# read-only observer), and more cadres of the divisions.
VOLUNTEER_DEMO_PEOPLE = ["leader", "admin", "promotion", "dispatcher", "foreign"]
EXTRA_STAFF = {"general-office": 4, "promotion": 4, "enterprise-service": 4, "foreign-investment": 4, "planning": 3}
STAFF_TITLES = ["一级主任科员", "二级主任科员", "三级主任科员", "四级主任科员", "一级科员", "四级调研员", "三级调研员"]
NOTES = {
    "testing": "协助核酸采样点扫码登记、维持秩序",
    "data_entry": "核酸检测信息录入、比对",
    "survey": "入户摸排居家人员情况",
    "supplies": "为居家群众配送生活物资",
    "other": "小区门岗值守",
}


def _staff(rng, units) -> list[User]:
    """More cadres of the divisions (the demo password, like the other demo people)."""
    people = []
    number = 0
    for code, count in EXTRA_STAFF.items():
        for i in range(1, count + 1):
            number += 1
            username = f"{code}-{i:02d}"
            user = User.objects.filter(username=username).first() or core_services.user_create(
                actor=None,
                username=username,
                name=_name(rng),
                unit=units[code],
                role=Role.STAFF,
                title=rng.choice(STAFF_TITLES),
                mobile=f"1380002{8100 + number}",
                email=f"{username}@investdesk.example.cn",
                password=DEMO_PASSWORD,
                must_change_password=False,  # demo people only
            )
            people.append(user)
    return people


def _split(rng, total: int, weights: list[float]) -> list[int]:
    """`total` shared in proportion to `weights`, in whole numbers adding up exactly."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _volunteers(rng, lockdown, people: list[User]) -> int:
    """The 24 cadres report to the communities of their district, three or four to a district, each
    serving one or two of its six communities (all 42 served), on seven or eight days between 1 and
    14 September: 182 person-times."""
    districts = list(COMMUNITIES)
    people = list(people)
    rng.shuffle(people)
    # Person i goes to district i mod 7; the district's communities are dealt out among its people.
    served: dict[int, list[tuple[str, str]]] = {}
    for d, district in enumerate(districts):
        crew = list(range(d, len(people), len(districts)))
        for c, community in enumerate(COMMUNITIES[district]):
            served.setdefault(crew[c % len(crew)], []).append((district, community))
    base, extra = divmod(VOLUNTEER_FIGURES["person_times"], len(people))
    more = set(rng.sample(range(len(people)), extra))  # people who served one day more
    days = [_day(d) for d in range(1, AS_OF.day + 1)]
    stints = []
    for index, person in enumerate(people):
        places = served[index]
        dates = sorted(rng.sample(days, base + (index in more)))
        # Every one of the person's communities at least once, then by chance.
        where = places + [rng.choice(places) for _ in range(len(dates) - len(places))]
        rng.shuffle(where)
        for on, (district, community) in zip(dates, where, strict=True):
            tasks = [
                t
                for t, p in (("testing", 0.85), ("data_entry", 0.4), ("survey", 0.17), ("supplies", 0.12))
                if rng.random() < p
            ]
            hours = Decimal(rng.randint(4, 16)) / 2  # 2 to 8 hours, by half hours
            stints.append({"person": person, "on": on, "district": district, "community": community, "hours": hours, "tasks": tasks or ["other"]})  # fmt: skip
    for task, figure in (
        ("testing", "tests_assisted"),
        ("data_entry", "records_entered"),
        ("survey", "households_surveyed"),
    ):
        doing = [s for s in stints if task in s["tasks"]]
        shares = _split(rng, VOLUNTEER_FIGURES[figure], [float(s["hours"]) * rng.uniform(0.6, 1.4) for s in doing])
        for stint, share in zip(doing, shares, strict=True):
            stint[figure] = share
    for stint in stints:
        logged = services.volunteer_log(
            actor=stint["person"],
            incident=lockdown,
            note="；".join(NOTES[t] for t in stint["tasks"]),
            **stint,
        )
        VolunteerService.objects.filter(pk=logged.pk).update(created_at=_at(stint["on"], 20, rng.randint(0, 59)))
    return len(stints)


# --- critical enterprises (稳产保供) --------------------------------------------------------------------

NORMAL, PARTLY, STOPPED = CriticalEnterprise.Production.values
# enterprise (or a query for one of Chengdu's), why critical, [(day, status, reason)], the first the marking
CRITICAL = [
    ("博世底盘控制系统（成都）有限公司", "城市运行保障：汽车零部件供应", [(1, NORMAL, ""), (3, PARTLY, "跨省零部件运输受阻，部分产线减产"), (6, NORMAL, "协调交通部门办理通行证后恢复满产")]),
    ("丰田汽车（中国）投资有限公司", "汽车整车及零部件生产，带动上下游配套企业", [(1, NORMAL, ""), (8, NORMAL, "")]),
    ("比亚迪股份有限公司", "新能源汽车及动力电池生产", [(1, NORMAL, ""), (5, NORMAL, "")]),
    ("英特尔产品（成都）有限公司", "芯片封装测试，全球供应链关键环节", [(1, NORMAL, "闭环生产"), (7, NORMAL, "闭环生产")]),
    ("拼多多（成都）科技有限公司", "城市运行保障：生活物资线上保供", [(2, NORMAL, ""), (9, NORMAL, "")]),
    ("鸿富锦精密电子（成都）有限公司", "智能终端生产，出口订单交付", [(1, NORMAL, "闭环生产"), (4, PARTLY, "员工返岗受限，闭环生产仅部分产线开工"), (12, PARTLY, "员工返岗受限，约六成产线开工")]),
    ("戴尔（中国）有限公司成都分公司", "电脑整机生产与出货", [(1, NORMAL, ""), (6, PARTLY, "物流受阻，成品出货延迟")]),
    ({"name__startswith": "成都", "name__contains": "食品"}, "城市运行保障：米面油等生活物资生产", [(2, PARTLY, "部分员工居家，产能下降"), (5, STOPPED, "物流受阻，原材料无法运入")]),
    ({"name__startswith": "成都", "name__contains": "物流"}, "城市运行保障：冷链物流配送", [(1, NORMAL, ""), (10, NORMAL, "")]),
]  # fmt: skip


def _critical(rng, lockdown, actors) -> tuple[int, int]:
    marked = updates = 0
    for which, why, history in CRITICAL:
        if isinstance(which, str):
            enterprise = Enterprise.objects.get(name=which)
        else:
            enterprise = (
                Enterprise.objects.filter(owner_unit__code=CHENGDU, city=CHENGDU, status=Enterprise.Status.OPERATING, **which)
                .order_by("pk")
                .first()
            )  # fmt: skip
        actor = actors[enterprise.owner_unit.code]
        (day, status, reason), *later = history
        critical = services.critical_mark(
            actor=actor, incident=lockdown, enterprise=enterprise, why=why, status=status, on=_day(day), reason=reason
        )
        CriticalEnterprise.objects.filter(pk=critical.pk).update(created_at=_at(_day(day), 10))
        for day, status, reason in later:
            services.production_update(actor=actor, critical=critical, on=_day(day), status=status, reason=reason)
            updates += 1
        for update in ProductionUpdate.objects.filter(critical=critical):
            ProductionUpdate.objects.filter(pk=update.pk).update(recorded_at=_at(update.on, 17, rng.randint(0, 59)))
        marked += 1
    return marked, updates


# --- the loader -----------------------------------------------------------------------------------


@transaction.atomic
def load() -> dict:
    if Incident.objects.exists():
        return {"skipped": "incidents exist already"}
    if not Enterprise.objects.filter(name="广东嘉士利食品集团有限公司").exists():
        return {"skipped": "no demo enterprises (load the enterprise demo first)"}
    rng = random.Random(SEED)
    units = {u.code: u for u in Unit.objects.all()}
    people = {u.username: u for u in User.objects.all()}
    leader = people["leader"]
    actors = {SERVICE: people["dispatcher"], FOREIGN: people["foreign"], CHENGDU: people["chengdu"]}
    actors["dispatcher"] = people["dispatcher"]

    lockdown = services.incident_create(
        actor=leader,
        name=LOCKDOWN,
        kind=Incident.Kind.EPIDEMIC,
        starts_on=_day(1),
        ends_on=_day(20),
        areas="成都市中心城区（锦江、青羊、金牛、武侯、成华）、高新区、天府新区等全市域",
        description="2022年9月1日起，成都市全域开展核酸检测，全市居民原则上居家。"
        "局机关党员干部下沉居住地社区开展志愿服务；全局协调推动重点企业稳产保供。",
    )
    quake = services.incident_create(
        actor=leader,
        name=QUAKE,
        kind=Incident.Kind.EARTHQUAKE,
        starts_on=_day(5),
        ends_on=_day(30),
        areas="甘孜州泸定县、雅安市石棉县等",
        description="2022年9月5日12时52分，甘孜州泸定县发生6.8级地震，震源深度16千米。"
        "局组织动员在川投资企业和商协会捐款捐物，协调救灾物资运往灾区。",
    )
    Incident.objects.filter(pk=lockdown.pk).update(created_at=_at(_day(1), 8))
    Incident.objects.filter(pk=quake.pk).update(created_at=_at(_day(5), 14))

    gifts, receipts = _donations(rng, quake, actors, units)
    delivered, cases = _shipments(rng, quake, gifts, actors, units)
    staff = _staff(rng, units)
    volunteers = [people[name] for name in VOLUNTEER_DEMO_PEOPLE] + staff
    stints = _volunteers(rng, lockdown, volunteers)
    critical, updates = _critical(rng, lockdown, actors)
    return {
        "incidents": 2,
        "donations": Donation.objects.count(),
        "receipts": receipts + delivered,
        "shipments": Shipment.objects.count(),
        "cases": cases,
        "staff_added": len(staff),
        "volunteer_stints": stints,
        "critical_enterprises": critical,
        "production_updates": updates,
    }
