"""Demo pipeline of September 2022: the out-of-province offices' projects (Shanghai 27 intention
projects from 200+ contacted investors, Guangzhou 41 in electronic information and advanced materials,
Chongqing 20 major industrial projects), the city bureaus' signed and started projects, 2022 targets.

Projects go through the services; their dates are then moved back to the story (2022).
"""

import datetime
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from investdesk.core.models import Unit, User
from investdesk.enterprises import services as enterprise_services
from investdesk.enterprises.models import Enterprise, Industry
from investdesk.lib.regions import CITY_NAMES
from investdesk.projects import services
from investdesk.projects.models import FollowUp, Project, ProjectEvent, Stage

SEED = 20220915
TZ = ZoneInfo("Asia/Shanghai")
PREFIXES = [
    "华东",
    "长三角",
    "申城",
    "粤港",
    "湾区",
    "深港",
    "渝州",
    "两江",
    "西部",
    "东方",
    "中科",
    "国泰",
    "新元",
    "恒信",
]
WORDS = {
    "electronic-information": ["半导体", "显示面板", "集成电路封测", "智能终端", "光电器件"],
    "advanced-materials": ["锂电正极材料", "高性能纤维", "电子化学品", "特种合金", "新型显示材料"],
    "equipment-manufacturing": ["智能装备", "轨道交通装备", "航空零部件", "工业机器人", "清洁能源装备"],
    "medical-health": ["生物医药", "医疗器械", "创新药", "中药现代化", "医美材料"],
    "food-beverage": ["休闲食品", "预制菜", "饮料", "调味品", "白酒包装"],
    "digital-economy": ["数据中心", "工业互联网", "软件研发中心", "算力中心", "跨境电商"],
}
# office code, number of projects, industries, stages (weights), owner username
PIPELINES = [
    (
        "shanghai",
        27,
        ["electronic-information", "equipment-manufacturing", "medical-health", "digital-economy"],
        {Stage.INTENTION: 1},
        "shanghai",
    ),
    (
        "guangzhou",
        41,
        ["electronic-information", "advanced-materials"],
        {Stage.LEAD: 8, Stage.INTENTION: 14, Stage.NEGOTIATING: 10, Stage.ABOUT_TO_SIGN: 5, Stage.SIGNED: 4},
        "guangzhou",
    ),
    (
        "chongqing",
        20,
        ["equipment-manufacturing", "advanced-materials", "electronic-information"],
        {Stage.INTENTION: 6, Stage.NEGOTIATING: 8, Stage.ABOUT_TO_SIGN: 6},
        None,
    ),
    (
        "chengdu",
        30,
        list(WORDS),
        {Stage.NEGOTIATING: 4, Stage.ABOUT_TO_SIGN: 4, Stage.SIGNED: 10, Stage.STARTED: 9, Stage.PRODUCING: 3},
        "chengdu",
    ),
    (
        "mianyang",
        10,
        ["electronic-information", "advanced-materials"],
        {Stage.NEGOTIATING: 3, Stage.SIGNED: 5, Stage.STARTED: 2},
        "mianyang",
    ),
]
TARGETS = {  # unit: (signed projects, signed amount in 亿元, funds in place in 亿元, started)
    "chengdu": (30, 600, 300, 20),
    "mianyang": (10, 120, 60, 6),
    "shanghai": (8, 80, 0, 0),
    "guangzhou": (10, 100, 0, 0),
    "chongqing": (6, 90, 0, 0),
}
STORY = datetime.date(2022, 9, 14)


def _at(day):
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=TZ)


@transaction.atomic
def load() -> dict:
    if Project.objects.exists():
        return {"skipped": "projects exist already"}
    rng = random.Random(SEED)
    units = {u.code: u for u in Unit.objects.all()}
    people = {u.username: u for u in User.objects.all()}
    industries = {i.code: i for i in Industry.objects.all()}
    leader = people["leader"]
    counts: dict[str, int] = {}
    used: set[str] = set(Enterprise.objects.values_list("name", flat=True))
    for code, total, chains, stages, owner_name in PIPELINES:
        unit = units[code]
        actor = people.get(owner_name) or leader
        owner = people.get(owner_name)
        weighted = [s for s, w in stages.items() for _ in range(w)]
        for i in range(total):
            chain = rng.choice(chains)
            product = rng.choice(WORDS[chain])
            name = _fresh_name(rng, product, used)
            investor = enterprise_services.enterprise_create(
                actor=actor,
                owner_unit=unit,
                name=name,
                status=Enterprise.Status.PROSPECTIVE,
                industry=industries[chain],
            )
            stage = weighted[i % len(weighted)]
            amount = Decimal(rng.choice([5, 8, 10, 15, 20, 30, 50, 80, 100, 150])) * 100_000_000
            currency, rate, amount_in = "CNY", Decimal(1), amount
            if rng.random() < 0.1:
                currency, rate = "USD", Decimal("7.05")
                amount_in = (amount / rate).quantize(Decimal(1))
            expected = STORY + datetime.timedelta(days=rng.randint(5, 120))
            city = (
                rng.choice(["chengdu", "chengdu", "deyang", "mianyang", "yibin", "suining"])
                if code in ("shanghai", "guangzhou", "chongqing")
                else code
            )
            base = name.removesuffix("有限公司").removesuffix("股份").removesuffix("集团").removesuffix("科技")
            project = services.project_create(
                actor=actor if code in ("chengdu", "mianyang") or owner else leader, owner_unit=unit,
                source_unit=unit, name=f"{base}{CITY_NAMES[city][:-1]}基地项目",
                investor=investor, industry=industries[chain], amount=amount_in, currency=currency, fx_rate=rate,
                city=city,
                method=rng.choice(["investor_referral", "chain", "on_site", "online"]), expected_signing_on=expected,
                is_watched=stage == Stage.ABOUT_TO_SIGN, watch_reason="近期可签约，局领导重点盯" if stage == Stage.ABOUT_TO_SIGN else "",
            )  # fmt: skip
            _walk(
                project,
                stage,
                actor=actor if owner or code in ("chengdu", "mianyang") else leader,
                owner=owner or leader,
                rng=rng,
                amount=amount,
            )
            FollowUp.objects.create(
                project=project,
                on=STORY - datetime.timedelta(days=rng.randint(1, 20)),
                mode=rng.choice(["phone", "video"]),
                summary="视频洽谈，推进项目不降温。",
                next_step="发送投资协议草案",
                created_by=owner or leader,
                next_step_on=STORY + datetime.timedelta(days=rng.randint(-5, 20)),
            )
            counts[code] = counts.get(code, 0) + 1
    for event in ProjectEvent.objects.filter(kind="created").select_related("project"):
        # Entered some weeks before the story, and always before a signing.
        signed_on = event.project.signed_on
        day = (signed_on or STORY) - datetime.timedelta(days=rng.randint(20, 80))
        ProjectEvent.objects.filter(pk=event.pk).update(on=day, at=_at(day))
    # Stage moves the story does not date (signing and start have their own dates) happened in summer.
    for event in ProjectEvent.objects.filter(kind="stage", on__gt=STORY).select_related("project"):
        entered = ProjectEvent.objects.filter(project=event.project, kind="created").values_list("on", flat=True)[0]
        until = min(event.project.signed_on or STORY, STORY)  # moves before signing happened before it
        day = entered + datetime.timedelta(days=rng.randint(1, max((until - entered).days - 1, 1)))
        ProjectEvent.objects.filter(pk=event.pk).update(on=day, at=_at(day))
    _schedule()
    events = _events(units, industries, people, leader)
    _plan(units, industries, people)
    for unit_code, (signed, amount, funds, started) in TARGETS.items():
        services.target_set(
            actor=leader,
            unit=units[unit_code],
            year=2022,
            signed_projects=signed,
            signed_amount_cny=Decimal(amount) * 100_000_000,
            funds_in_place_cny=Decimal(funds) * 100_000_000,
            started_projects=started,
            # Chengdu splits its year by quarter (Q3 the decisive quarter); the others use the
            # elapsed share of the year.
            **({"q1_pct": 15, "q2_pct": 40, "q3_pct": 75} if unit_code == "chengdu" else {}),
        )
    return {"projects": sum(counts.values()), "events": events, **counts}


def _walk(project, stage, *, actor, owner, rng, amount):
    order = list(Stage.values)
    for step in order[1 : order.index(stage) + 1]:
        fields = {}
        if step == Stage.NEGOTIATING:
            fields["owner"] = owner
        if step == Stage.SIGNED:
            fields["signed_on"] = datetime.date(2022, rng.randint(4, 8), rng.randint(1, 28))
            fields["contract_amount_cny"] = amount
        if step == Stage.STARTED:
            fields["started_on"] = datetime.date(2022, 9, rng.randint(1, 13))
        if step == Stage.PRODUCING:
            fields["producing_on"] = datetime.date(2022, 9, 14)
        project = services.project_move_stage(actor=actor, project=project, to=step, version=None, **fields)
    if project.stage_index >= order.index(Stage.SIGNED):
        services.funds_add(
            actor=actor,
            project=project,
            on=datetime.date(2022, 9, rng.randint(1, 14)),
            amount_cny=(amount * Decimal(rng.choice(["0.2", "0.3", "0.5"]))).quantize(Decimal(1)),
        )
    return project


def _schedule() -> None:
    """The owners' judgement of each open project (likelihood to land, by stage) and the start date
    expected at signing, some weeks after it. A separate random stream keeps the rest of the demo
    as it was."""
    rng = random.Random(2022_09_05)
    likely = {
        Stage.LEAD: ["", "low"],
        Stage.INTENTION: ["low", "medium"],
        Stage.NEGOTIATING: ["medium", "high"],
        Stage.ABOUT_TO_SIGN: ["high"],
    }
    for project in Project.objects.order_by("pk"):
        if project.stage in likely:
            Project.objects.filter(pk=project.pk).update(likelihood=rng.choice(likely[project.stage]))
        elif project.signed_on:
            Project.objects.filter(pk=project.pk).update(
                expected_start_on=project.signed_on + datetime.timedelta(days=rng.randint(45, 120))
            )


def _fresh_name(rng, product: str, used: set[str]) -> str:
    """A prospective investor's name nobody in the registry has (so no demo duplicates)."""
    while True:
        name = (
            f"{rng.choice(PREFIXES)}{rng.choice(['', '新', '华', '联'])}{product}"
            f"{rng.choice(['集团有限公司', '股份有限公司', '科技有限公司', '有限公司'])}"
        )
        if name not in used:
            used.add(name)
            return name


def _events(units, industries, people, leader) -> int:
    """Xiamen at CIFIT (投洽会, 8–11 Sep 2022) for food and beverage; Shenyang preparing the medical and
    health promotion conference."""
    cifit = services.event_create(
        actor=leader,
        name="第二十二届中国国际投资贸易洽谈会（投洽会）四川食品饮料专场",
        kind="fair",
        starts_on=datetime.date(2022, 9, 8),
        ends_on=datetime.date(2022, 9, 11),
        place="厦门",
        organiser=units["xiamen"],
        industries=[industries["food-beverage"]],
        status="held",
        note="驻厦门办事处借投洽会开展食品饮料产业推介。",
    )
    services.event_add_participants(
        actor=leader,
        event=cifit,
        enterprises=list(Enterprise.objects.filter(industry__code="food-beverage", merged_into__isnull=True)[:25]),
    )
    services.event_create(
        actor=leader,
        name="四川医疗健康产业投资推介会（沈阳）",
        kind="conference",
        starts_on=datetime.date(2022, 10, 20),
        ends_on=datetime.date(2022, 10, 20),
        place="沈阳",
        organiser=units["shenyang"],
        industries=[industries["medical-health"]],
        status="planning",
        note="驻沈阳办事处筹备中，邀请东北地区医药健康企业参会。",
    )
    linked = Project.objects.filter(industry__code="food-beverage")[:3]
    Project.objects.filter(pk__in=[p.pk for p in linked]).update(event=cifit)
    return 2


def _plan(units, industries, people) -> None:
    """The Guangzhou office's precise promotion plan for electronic information (精准招商方案)."""
    from investdesk.projects.models import PlanTarget

    actor = people["guangzhou"]
    plan = services.plan_create(
        actor=actor,
        name="电子信息产业链精准招商方案（粤港澳大湾区）",
        industry=industries["electronic-information"],
        description="疫情期间“不见面招商”，逐一电话、视频对接目标企业，静默管理结束后立即上门。",
    )
    projects = list(Project.objects.filter(source_unit__code="guangzhou", industry__code="electronic-information")[:4])
    services.plan_add_targets(
        actor=actor,
        plan=plan,
        enterprises=[p.investor for p in projects],
        prospects=[
            "深圳湾区光电科技有限公司",
            "东莞精密电子集团有限公司",
            "广州芯联半导体有限公司",
            "佛山智能终端制造有限公司",
            "珠海显示材料有限公司",
            "惠州新能源电子有限公司",
        ],
    )
    for target, project in zip(plan.targets.order_by("id"), projects, strict=False):
        services.plan_target_link_project(target=target, project=project)
    statuses = ["contacted", "interested", "contacted", "declined", "not_contacted", "interested"]
    for target, status in zip(plan.targets.filter(project__isnull=True).order_by("id"), statuses, strict=False):
        PlanTarget.objects.filter(pk=target.pk).update(status=status)
