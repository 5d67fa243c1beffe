"""Demo cases of the brief: the problems found by the 进千企 visits of September 2022 become 160
cases over 130+ enterprises, in every state, with 经信, 交通 and 大数据中心 as co-handlers.

Cases go through the real services; afterwards their timestamps are moved back to the days of the
story (September 2022), since the services stamp "now".
"""

import datetime
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from investdesk.cases import services
from investdesk.cases.models import Assignment, Case, CaseCategory, CaseEvent
from investdesk.core.models import Unit, User
from investdesk.enterprises.models import VisitProblem
from investdesk.lib.workdays import add_workdays

SEED = 20220914
CASES = 160
TZ = ZoneInfo("Asia/Shanghai")

# problem keyword → (category code, co-handling unit codes, outside body)
ROUTES = [
    ("运输", "logistics", ["jiaotong"], "重庆市交通运输局"),
    ("通行", "logistics", ["jiaotong", "dashuju"], ""),
    ("物流", "logistics", ["jiaotong"], ""),
    ("断供", "supply-chain", ["jingxin"], ""),
    ("供应", "supply-chain", ["jingxin"], ""),
    ("返岗", "labour", ["dashuju"], ""),
    ("核酸", "labour", ["dashuju"], ""),
    ("司机", "logistics", ["jiaotong"], ""),
    ("港口", "logistics", ["jiaotong", "shangwu"], ""),
    ("出口", "logistics", ["shangwu"], ""),
    ("资金", "financing", ["jingxin"], ""),
    ("闭环", "supply-chain", ["jingxin", "dashuju"], ""),
    ("用电", "utilities", ["jingxin"], ""),
]
# How far along each case goes, in order, with how many cases stop there.
PLAN = [("registered", 12), ("returned", 3), ("assigned", 15), ("in_progress", 30), ("overdue", 8),
        ("resolved", 27), ("followed_up", 20), ("closed", 40), ("reopened", 5)]  # fmt: skip


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=TZ)


@transaction.atomic
def load(*, count: int = CASES) -> dict:
    """The demo's cases: `count` of them (fewer seed faster, as in the load test), in the order of PLAN."""
    if Case.objects.exists():
        return {"skipped": "cases exist already"}
    # One problem of every visited enterprise first, then the second problems: 130+ enterprises.
    rank: dict[int, int] = {}
    ordered = []
    for problem in VisitProblem.objects.select_related("visit__enterprise__owner_unit").order_by("id"):
        rank[problem.visit_id] = rank.get(problem.visit_id, 0) + 1
        ordered.append((rank[problem.visit_id], problem.pk, problem))
    problems = [p for _, _, p in sorted(ordered, key=lambda t: t[:2])][:count]
    if not problems:
        return {"skipped": "no visit problems (load the enterprise demo first)"}
    rng = random.Random(SEED)
    units = {u.code: u for u in Unit.objects.all()}
    people = {u.username: u for u in User.objects.all()}
    categories = {c.code: c for c in CaseCategory.objects.all()}
    dispatcher = people["dispatcher"]
    stages = [stage for stage, n in PLAN for _ in range(n)]
    counts: dict[str, int] = {}
    for problem, stage in zip(problems, stages, strict=False):
        visit = problem.visit
        enterprise = visit.enterprise
        code, co_codes, outside = next(
            ((c, co, o) for word, c, co, o in ROUTES if word in problem.description), ("other", [], "")
        )
        lead_unit = enterprise.owner_unit
        lead_user = _member(lead_unit, people)
        registrar = visit.created_by or dispatcher
        case = services.case_register(
            actor=registrar,
            enterprise=enterprise,
            problem=problem,
            visit=visit,
            registered_at=_at(visit.visited_on, 9),
            title=problem.description[:60],
            description=problem.description,
            category=categories[code],
            urgency="urgent" if rng.random() < 0.3 else "normal",
        )
        day = visit.visited_on
        steps: list[tuple[str, dict]] = []
        if stage != "registered":
            steps.append(
                (
                    "assign",
                    {
                        "lead_unit": lead_unit,
                        "co_units": [units[c] for c in co_codes],
                        "outside_bodies": [outside] if outside else [],
                    },
                )
            )
        if stage == "returned":
            steps.append(("return", {"note": "该企业诉求属于属地政府职责，建议改派所在市（州）。"}))
        if stage in ("in_progress", "overdue", "resolved", "followed_up", "closed", "reopened"):
            steps.append(("accept", {}))
            steps.append(
                (
                    "progress",
                    {
                        "note": "已与相关部门会商，正在协调。",
                        "rating": rng.choice(["on_track", "on_track", "at_risk", "delayed"]),
                        "waiting_on": rng.choice(["our_unit", "other_department", "other_department", "enterprise"]),
                        "next_step": "协调跨省运输通行证" if code == "logistics" else "跟踪办理进度",
                    },
                )
            )
        if stage in ("resolved", "followed_up", "closed", "reopened"):
            steps.append(("resolve", {"resolution": "经协调，问题已解决，企业已恢复正常生产和物流运输。"}))
        if stage == "reopened":
            steps.append(("follow_up", {"satisfaction": "dissatisfied", "note": "运输仍时有中断，请继续协调。"}))
        if stage in ("followed_up", "closed"):
            steps.append(
                (
                    "follow_up",
                    {
                        "satisfaction": rng.choice(["satisfied", "satisfied", "basic"]),
                        "note": "企业表示感谢，政府“想企业之所想、急企业之所急”。",
                    },
                )
            )
        if stage == "closed":
            steps.append(("close", {}))
        for action, data in steps:
            actor = dispatcher if action in ("assign", "follow_up", "close") else lead_user
            note = data.pop("note", "")
            services.case_act(actor=actor, case=case, action=action, version=None, note=note, **data)
        _backdate(case, day, stage)
        counts[stage] = counts.get(stage, 0) + 1
    services.cases_supervise_overdue(today=datetime.date(2022, 9, 30))
    letters = _letters(dispatcher)
    return {
        "thank_you_letters": letters,
        "cases": sum(counts.values()),
        "enterprises": Case.objects.values("enterprise").distinct().count(),
        **counts,
    }


def _member(unit: Unit, people: dict) -> User:
    for username in ("chengdu", "mianyang", "dispatcher", "foreign"):
        person = people.get(username)
        if person and person.unit_id == unit.pk:
            return person
    return User.objects.filter(unit=unit, is_active=True).first() or people["leader"]


def _backdate(case: Case, day: datetime.date, stage: str) -> None:
    """Move the case's clock back to the story: registered on the visit day, assigned the next
    working day, each later step a working day or two after the previous one."""
    case.refresh_from_db()
    current = day
    stamps = []
    for event in case.events.order_by("id"):
        stamps.append((event.pk, _at(current, 9 + len(stamps) % 8)))
        current = add_workdays(current, 1 if event.action in ("register", "assign", "accept") else 2)
    for pk, when in stamps:
        CaseEvent.objects.filter(pk=pk).update(at=when)
    events = {e.action: e.at for e in case.events.all()}
    registered = events["register"]
    update = {"registered_at": registered}
    if "assign" in events:
        assigned = events["assign"]
        due = add_workdays(assigned.astimezone(TZ).date(), settings.CASE_DEADLINE_WORKDAYS[case.urgency])
        if stage == "overdue":
            due = add_workdays(assigned.astimezone(TZ).date(), 2)
        update.update(assigned_at=assigned, due_on=due if case.due_on else None)
        Assignment.objects.filter(case=case, role=Assignment.Role.LEAD).update(due_on=due, created_at=assigned)
        Assignment.objects.filter(case=case, role=Assignment.Role.CO).update(
            due_on=add_workdays(assigned.astimezone(TZ).date(), settings.CASE_CO_HANDLING_WORKDAYS), created_at=assigned
        )
        if "resolve" in events and stage != "reopened":
            resolved = events["resolve"]
            update.update(resolved_at=resolved, resolved_on_time=resolved.astimezone(TZ).date() <= due)
        if "close" in events:
            update["closed_at"] = events["close"]
    Case.objects.filter(pk=case.pk).update(**update)


LETTERS = [
    (
        "博世底盘控制系统（成都）有限公司",
        "博世底盘控制系统中国区总裁",
        "感谢四川省经济合作局在静默管理期间协调跨省物流，政府“想企业之所想、急企业之所急”。",
    ),
    ("丰田汽车（中国）投资有限公司", "丰田汽车（中国）投资有限公司", "感谢协调零部件运输，保障了生产线稳定运行。"),
    ("戴尔（中国）有限公司成都分公司", "戴尔（中国）有限公司", "感谢一对一服务，四川仍是我们的重点布局区域。"),
    ("四川时代新能源科技有限公司", "四川时代新能源科技有限公司", "感谢协调员工闭环返岗，保障订单按期交付。"),
]


def _letters(actor) -> int:
    from investdesk.enterprises.models import Enterprise

    count = 0
    for name, sender, summary in LETTERS:
        enterprise = Enterprise.objects.filter(name=name).first()
        if enterprise is None:
            continue
        case = Case.objects.filter(enterprise=enterprise, status=Case.Status.CLOSED).first()
        services.thank_you_letter_add(
            actor=actor,
            enterprise=enterprise,
            case=case,
            sender=sender,
            summary=summary,
            received_on=datetime.date(2022, 9, 20),
        )
        count += 1
    return count
