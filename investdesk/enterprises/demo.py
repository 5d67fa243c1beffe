"""Demo registry for the story of the brief (September 2022): the enterprises and chambers it names,
~1,300 generated enterprises invested in Sichuan with contacts, and the 进千企 action with its visits.

Deterministic (seeded) and idempotent: it does nothing when the demo enterprises exist already.
The USCCs are generated with valid check digits; they are not the companies' real codes.
"""

import datetime
import random

from django.db import transaction

from investdesk.core import services as core_services
from investdesk.core.models import Unit, User
from investdesk.enterprises import services
from investdesk.enterprises.models import Contact, Enterprise, Industry, Visit
from investdesk.lib.identifiers import make_uscc
from investdesk.lib.regions import CITY_DIVISION_CODES, SICHUAN_CITIES

SEED = 20220905
GENERATED = 1300
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# name, English name, city, industry code, ownership, country, flags, employees, owner unit code, contact
BRIEF_ENTERPRISES = [
    (
        "博世底盘控制系统（成都）有限公司",
        "Bosch Chassis Systems Control (Chengdu)",
        "chengdu",
        "automotive",
        "foreign",
        "德国",
        {"is_key", "is_fortune500", "is_city_support"},
        1800,
        "foreign-investment",
        ("施密特", "中国区总裁"),
    ),
    (
        "丰田汽车（中国）投资有限公司",
        "Toyota Motor (China) Investment Co., Ltd.",
        "chengdu",
        "automotive",
        "foreign",
        "日本",
        {"is_key", "is_fortune500"},
        3200,
        "foreign-investment",
        ("佐藤健", "总经理"),
    ),
    (
        "比亚迪股份有限公司",
        "BYD Company Limited",
        "chengdu",
        "automotive",
        "private",
        "",
        {"is_key", "is_fortune500", "is_listed"},
        12000,
        "enterprise-service",
        ("王磊", "西南区总经理"),
    ),
    (
        "拼多多（成都）科技有限公司",
        "Pinduoduo (Chengdu)",
        "chengdu",
        "digital-economy",
        "private",
        "",
        {"is_key", "is_listed"},
        900,
        "enterprise-service",
        ("陈思远", "政府事务总监"),
    ),
    (
        "广东嘉士利食品集团有限公司",
        "Guangdong Jiashili Food Group",
        "meishan",
        "food-beverage",
        "private",
        "",
        {"is_key"},
        650,
        "enterprise-service",
        ("黄伟明", "董事长助理"),
    ),
    (
        "戴尔（中国）有限公司成都分公司",
        "Dell (China) Co., Ltd. Chengdu Branch",
        "chengdu",
        "electronic-information",
        "foreign",
        "美国",
        {"is_key", "is_fortune500", "is_city_support"},
        2500,
        "foreign-investment",
        ("李安娜", "成都运营总经理"),
    ),
    (
        "四川时代新能源科技有限公司",
        "Contemporary Amperex Technology (Sichuan) / CATL",
        "yibin",
        "advanced-materials",
        "private",
        "",
        {"is_key", "is_listed", "is_city_support"},
        8000,
        "enterprise-service",
        ("周凯", "总经理"),
    ),
    (
        "英特尔产品（成都）有限公司",
        "Intel Products (Chengdu) Ltd.",
        "chengdu",
        "electronic-information",
        "foreign",
        "美国",
        {"is_key", "is_fortune500", "is_city_support"},
        2200,
        "foreign-investment",
        ("刘芳", "厂长"),
    ),
    (
        "鸿富锦精密电子（成都）有限公司",
        "Foxconn (Chengdu)",
        "chengdu",
        "electronic-information",
        "hmt",
        "中国台湾",
        {"is_key", "is_fortune500", "is_city_support"},
        60000,
        "foreign-investment",
        ("张志明", "行政总监"),
    ),
    (
        "京东方科技集团绵阳有限公司",
        "BOE Technology (Mianyang)",
        "mianyang",
        "electronic-information",
        "state",
        "",
        {"is_key", "is_listed"},
        4000,
        "enterprise-service",
        ("赵静", "副总经理"),
    ),
    (
        "四川长虹电器股份有限公司",
        "Sichuan Changhong Electric Co., Ltd.",
        "mianyang",
        "electronic-information",
        "state",
        "",
        {"is_key", "is_listed", "is_fortune500"},
        9000,
        "enterprise-service",
        ("杨光", "办公室主任"),
    ),
    (
        "东方电气集团东方汽轮机有限公司",
        "Dongfang Turbine Co., Ltd.",
        "deyang",
        "equipment-manufacturing",
        "state",
        "",
        {"is_key", "is_city_support"},
        7000,
        "enterprise-service",
        ("孙立", "副总经理"),
    ),
]

CHAMBERS = [
    ("四川省川商总会", "provincial", [("刘汉元", "会长")]),
    ("四川省异地商会联合会", "provincial", [("李建国", "会长")]),
    ("四川省归国人士企业联合会", "provincial", [("王海", "会长")]),
    ("河南省四川重庆商会", "other_province", [("陈泽民", "名誉会长")]),
    ("中国欧盟商会西南分会", "foreign", [("Massimo Bagnasco", "西南分会主席")]),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华兰红玉梅鹏辉建国志宏海波斌宇浩凯俊帆琳婷雪飞晨阳鑫林峰博文"
TRADE_WORDS = [
    "天府",
    "蜀道",
    "锦城",
    "峨眉",
    "川西",
    "巴蜀",
    "岷江",
    "青城",
    "嘉陵",
    "金沙",
    "蓉城",
    "西岭",
    "都江",
    "剑门",
    "熊猫",
    "三星堆",
    "竹海",
    "雪山",
    "长江",
    "华西",
    "西部",
    "嘉州",
    "涪江",
    "沱江",
    "凉山",
    "攀西",
]
INDUSTRY_WORDS = {
    "electronic-information": ["电子", "微电子", "光电", "集成电路", "智能终端"],
    "equipment-manufacturing": ["装备", "机械", "精密制造", "智能装备", "重工"],
    "advanced-materials": ["新材料", "钒钛", "锂电材料", "复合材料", "晶硅"],
    "energy-chemicals": ["能源", "化工", "天然气", "清洁能源", "氢能"],
    "food-beverage": ["食品", "酒业", "茶业", "调味品", "饮品"],
    "medical-health": ["医药", "生物", "医疗器械", "中药", "健康"],
    "digital-economy": ["数字科技", "软件", "信息技术", "云计算", "大数据"],
    "modern-services": ["物流", "供应链", "商贸", "文旅", "会展"],
    "automotive": ["汽车", "汽车零部件", "新能源汽车", "动力总成", "车联网"],
    "modern-agriculture": ["农业", "农牧", "种业", "果业", "生态农业"],
}
SUFFIXES = ["有限公司", "股份有限公司", "科技有限公司", "集团有限公司", "实业有限公司"]
COUNTRIES = ["日本", "德国", "美国", "韩国", "新加坡", "法国", "英国", "意大利", "荷兰", "瑞士"]
HMT = ["中国香港", "中国台湾", "中国澳门"]
TITLES = ["总经理", "副总经理", "办公室主任", "行政总监", "董事长助理", "财务总监", "综合部经理"]

JINQIANQI = "“进千企”服务活动"
FOREIGN_ACTION = "外商投资服务专项行动"
FIVE_QUESTIONS = [
    "问政策：惠企政策知晓和享受情况",
    "问进度：项目建设进度和存在困难",
    "问经营：生产经营和订单情况",
    "问投资：增资扩产和新的投资意向",
    "问需求：供应链、物流、用工、融资等需求",
]
PROBLEMS = [
    "跨省运输受阻，原材料无法按期进厂",
    "物流通行证办理困难，成品发货延迟",
    "上游供应商停产，关键零部件断供",
    "员工返岗受限，生产线开工不足",
    "核酸检测点距离远，员工通勤困难",
    "货车司机跨市通行需要协调",
    "出口订单交付延期，需协调港口运输",
    "流动资金紧张，申请纾困贷款",
    "园区封控，需协调闭环生产",
    "用电负荷受限，申请有序用电保障",
]


def _rng() -> random.Random:
    return random.Random(SEED)


def _uscc(rng: random.Random, city: str) -> str:
    organisation = "".join(rng.choice(_ORG_ALPHABET) for _ in range(9))
    division = CITY_DIVISION_CODES[city][:4] + f"{rng.randint(0, 30):02d}"
    return make_uscc(division=division, organisation=organisation, kind=rng.choice(["91", "91", "91", "92"]))


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))


def _mobile(rng: random.Random) -> str:
    return rng.choice(["13", "15", "17", "18", "19"]) + str(rng.randint(0, 9)) + f"{rng.randint(0, 99999999):08d}"


def _actor() -> User:
    return User.objects.get(username="admin")


@transaction.atomic
def load() -> dict:
    if Enterprise.objects.filter(name=BRIEF_ENTERPRISES[0][0]).exists():
        return {"skipped": "demo enterprises exist already"}
    rng = _rng()
    units = {u.code: u for u in Unit.objects.all()}
    people = {u.username: u for u in User.objects.all()}
    industries = {i.code: i for i in Industry.objects.all()}
    leader = people["leader"]

    brief = []
    for name, name_en, city, industry, ownership, country, flags, employees, owner, contact in BRIEF_ENTERPRISES:
        enterprise = services.enterprise_create(
            actor=leader, owner_unit=units[owner], name=name, name_en=name_en, uscc=_uscc(rng, city), city=city,
            industry=industries[industry], ownership=ownership, investor_country=country,
            employees=employees, liaison=people["dispatcher"] if owner == "enterprise-service" else people["foreign"],
            address=f"{dict((c, n) for c, n, _ in SICHUAN_CITIES)[city]}高新区{rng.randint(1, 999)}号",
            **{flag: True for flag in flags},
        )  # fmt: skip
        services.contact_create(
            actor=leader,
            enterprise=enterprise,
            name=contact[0],
            title=contact[1],
            mobile=_mobile(rng),
            email=f"contact{enterprise.pk}@example.com",
            preferred_channel=Contact.Channel.EMAIL,
            is_primary=True,
        )
        # The city bureau where it invested works on it with the provincial division.
        if city in units:
            core_services.record_share(actor=leader, record=enterprise, unit=units[city], can_edit=True)
        brief.append(enterprise)

    generated = _generate(rng, units, industries, people)

    for chamber_name, kind, chamber_people in CHAMBERS:
        chamber_members = rng.sample(generated, 25)
        if kind == "foreign":
            chamber_members += [e for e in brief if e.ownership == "foreign"]
        services.chamber_create(
            actor=leader,
            name=chamber_name,
            kind=kind,
            owner_unit=units["bureau"],
            members=chamber_members,
            people=[(n, p, "") for n, p in chamber_people],
        )
    visits, problems = _actions(rng, units, people, brief, generated)
    return {
        "enterprises": len(brief) + len(generated),
        "chambers": len(CHAMBERS),
        "visits": visits,
        "problems": problems,
    }


def _generate(rng, units, industries, people) -> list[Enterprise]:
    """~1,300 enterprises, bulk-inserted with every derived column the services would compute."""
    city_weights = [("chengdu", 40), ("mianyang", 8), ("deyang", 8), ("yibin", 7), ("luzhou", 5),
                    ("nanchong", 4), ("leshan", 4), ("meishan", 4), ("suining", 3), ("dazhou", 3),
                    ("zigong", 2), ("neijiang", 2), ("guangan", 2), ("ziyang", 2), ("yaan", 2),
                    ("panzhihua", 2), ("guangyuan", 2), ("bazhong", 1), ("aba", 1), ("ganzi", 1),
                    ("liangshan", 2)]  # fmt: skip
    cities = [c for c, w in city_weights for _ in range(w)]
    industry_codes = list(INDUSTRY_WORDS)
    liaisons = {"chengdu": [people["chengdu"], people["chengdu2"]], "mianyang": [people["mianyang"]]}
    seen_names: set[str] = set()
    rows: list[Enterprise] = []
    while len(rows) < GENERATED:
        city = rng.choice(cities)
        industry = rng.choice(industry_codes)
        name = rng.choice(TRADE_WORDS) + rng.choice(INDUSTRY_WORDS[industry]) + rng.choice(SUFFIXES)
        city_name = dict((c, n) for c, n, _ in SICHUAN_CITIES)[city]
        name = f"{city_name[:-1]}{name}" if rng.random() < 0.6 else name
        if name in seen_names:
            continue
        seen_names.add(name)
        roll = rng.random()
        ownership, country = ("private", "")
        if roll < 0.12:
            ownership, country = "foreign", rng.choice(COUNTRIES)
        elif roll < 0.17:
            ownership, country = "hmt", rng.choice(HMT)
        elif roll < 0.3:
            ownership = "state"
        enterprise = Enterprise(
            name=name, uscc=_uscc(rng, city), city=city, industry=industries[industry], ownership=ownership,
            investor_country=country, is_key=rng.random() < 0.25, is_city_support=rng.random() < 0.05,
            is_listed=rng.random() < 0.06, employees=int(rng.lognormvariate(5, 1.2)),
            status="operating" if rng.random() < 0.95 else "suspended", owner_unit=units[city],
            liaison=rng.choice(liaisons[city]) if city in liaisons else None,
            address=f"{city_name}{rng.choice(['高新区', '经开区', '天府新区', '工业园区'])}{rng.randint(1, 999)}号",
        )  # fmt: skip
        enterprise.name_key = services.name_key(name)
        rows.append(enterprise)
    Enterprise.objects.bulk_create(rows, batch_size=500)
    contacts = []
    for enterprise in rows:
        for i in range(rng.choice([1, 1, 2])):
            contacts.append(Contact(
                enterprise=enterprise, name=_person_name(rng), title=rng.choice(TITLES), mobile=_mobile(rng),
                email=f"c{enterprise.pk}{i}@example.com", is_primary=i == 0,
                preferred_channel=rng.choice(["email", "email", "wecom", "sms", "phone"]),
            ))  # fmt: skip
    Contact.objects.bulk_create(contacts, batch_size=1000)
    # Contacts who prefer WeCom have a WeChat ID (derived from the row, not the random stream).
    for contact in Contact.objects.filter(preferred_channel="wecom", wechat=""):
        Contact.objects.filter(pk=contact.pk).update(wechat=f"wxid_sc{contact.pk:06d}")
    by_enterprise: dict[int, list] = {}
    for contact in contacts:
        by_enterprise.setdefault(contact.enterprise_id, []).append((contact.name, contact.phone))
    for enterprise in rows:
        enterprise.search_text = services.search_text_for(enterprise, by_enterprise.get(enterprise.pk, []))
    Enterprise.objects.bulk_update(rows, ["search_text"], batch_size=500)
    return rows


def _actions(rng, units, people, brief, generated) -> tuple[int, int]:
    """进千企 (1 Aug – 30 Sep 2022) and the foreign-investment service action, with their visits."""
    service = units["enterprise-service"]
    action = services.service_action_create(
        actor=people["dispatcher"], name=JINQIANQI, starts_on=datetime.date(2022, 8, 1),
        ends_on=datetime.date(2022, 9, 30), owner_unit=service, questions=FIVE_QUESTIONS,
        units=[units[c] for c, _, _ in SICHUAN_CITIES] + [units["foreign-investment"]],
        description="全省投资促进系统开展“进千企、解难题、促发展”服务活动，疫情期间改为线上走访。",
    )  # fmt: skip
    foreign_action = services.service_action_create(
        actor=people["foreign"], name=FOREIGN_ACTION, starts_on=datetime.date(2022, 9, 1),
        ends_on=datetime.date(2022, 12, 31), owner_unit=units["foreign-investment"], questions=FIVE_QUESTIONS[2:],
        description="面向外资企业的专项服务行动。",
    )  # fmt: skip
    key_generated = [e for e in generated if e.is_key]
    targets = brief + key_generated
    services.service_action_add_targets(actor=people["dispatcher"], action=action, enterprises=targets)
    services.service_action_add_targets(
        actor=people["foreign"],
        action=foreign_action,
        enterprises=[e for e in brief + generated if e.ownership in ("foreign", "hmt")],
    )
    # 130+ enterprises visited, 150+ problems: the brief enterprises by the divisions, key generated
    # ones by their city bureau (Chengdu and Mianyang have staff in the demo).
    visitors = {"chengdu": [people["chengdu"], people["chengdu2"]], "mianyang": [people["mianyang"]]}
    visited = list(brief) + [e for e in key_generated if e.city in visitors][:125]
    problem_total = 0
    for index, enterprise in enumerate(visited):
        if enterprise.owner_unit.code in visitors:
            staff = [rng.choice(visitors[enterprise.owner_unit.code])]
            actor = staff[0]
        else:
            actor = people["dispatcher"] if enterprise.owner_unit.code == "enterprise-service" else people["foreign"]
            staff = [actor]
            if enterprise.city == "chengdu":
                staff.append(people["chengdu"])  # joint province–city visit
        problems = rng.sample(PROBLEMS, 1 + (index % 3 == 0) + (index % 7 == 0)) if index < 140 else []
        problem_total += len(problems)
        day = datetime.date(2022, 9, 1) + datetime.timedelta(days=rng.randint(0, 13))
        contact = enterprise.contacts.first()
        services.visit_create(
            actor=actor, enterprise=enterprise, visited_on=day, action=action, staff=staff,
            mode=rng.choice([Visit.Mode.ONLINE, Visit.Mode.VIDEO, Visit.Mode.PHONE]),
            contacts=[contact] if contact else [], status=Visit.Status.COMPLETED,
            summary="静默管理期间线上走访，了解企业生产经营和物流运输情况，宣讲稳产保供政策。",
            answers={q.pk: "已了解，详见纪要。" for q in action.questions.all()}, problems=problems,
        )  # fmt: skip
    return len(visited), problem_total
