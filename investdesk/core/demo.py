"""The demo agency of the brief (Sichuan, September 2022): units and the fixed demo people.

Loaded only by `investdesk demo` (and `make run` on first start); idempotent.
"""

from django.db import transaction

from investdesk.core import services
from investdesk.core.models import Role, Unit, User
from investdesk.lib.regions import SICHUAN_CITIES

DEMO_PASSWORD = "Sichuan@2022"

BUREAU = ("bureau", "四川省经济合作局", "经合局")
DIVISIONS = [
    ("general-office", "办公室", "办公室"),
    ("promotion", "投资促进处", "投促处"),
    ("enterprise-service", "企业服务处", "企服处"),
    ("foreign-investment", "外商投资服务处", "外资处"),
    ("planning", "综合规划处", "规划处"),
]
CITIES = [(code, name) for code, name, _ in SICHUAN_CITIES]
OFFICES = [
    ("shanghai", "上海"),
    ("guangzhou", "广州"),
    ("chongqing", "重庆"),
    ("shenyang", "沈阳"),
    ("xiamen", "厦门"),
    ("beijing", "北京"),
]
PARTNERS = [
    ("jingxin", "四川省经济和信息化厅", "经信厅"),
    ("jiaotong", "四川省交通运输厅", "交通厅"),
    ("dashuju", "四川省大数据中心", "大数据中心"),
    ("shangwu", "四川省商务厅", "商务厅"),
]

# username, name, unit code, role, title, mobile
PEOPLE = [
    ("admin", "周建国", "general-office", Role.ADMIN, "系统管理员", "13800028001"),
    ("security", "钱慧", "general-office", Role.SECURITY_ADMIN, "安全管理员", "13800028014"),
    ("auditor", "郑伟", "general-office", Role.AUDIT_ADMIN, "安全审计员", "13800028015"),
    ("leader", "李明远", "bureau", Role.LEADER, "副局长", "13800028002"),
    ("dispatcher", "张静", "enterprise-service", Role.DISPATCHER, "企业服务处副处长", "13800028003"),
    ("chengdu", "刘洋", "chengdu", Role.STAFF, "项目服务科科长", "13800028004"),
    ("shanghai", "陈晓", "shanghai", Role.STAFF, "驻沪办招商专员", "13800028005"),
    ("jingxin", "赵磊", "jingxin", Role.STAFF, "运行监测协调处干部", "13800028006"),
    ("observer", "孙敏", "planning", Role.OBSERVER, "综合规划处干部", "13800028007"),
    ("promotion", "黄志强", "promotion", Role.STAFF, "投资促进处处长", "13800028008"),
    ("foreign", "吴婷", "foreign-investment", Role.STAFF, "外商投资服务处干部", "13800028009"),
    ("chengdu2", "杨帆", "chengdu", Role.STAFF, "企业服务科干部", "13800028010"),
    ("mianyang", "何琳", "mianyang", Role.STAFF, "招商科干部", "13800028011"),
    ("guangzhou", "郭鹏", "guangzhou", Role.STAFF, "驻穗办招商专员", "13800028012"),
]


def _unit(code: str, name: str, kind: str, parent: Unit | None, short: str = "", order: int = 100) -> Unit:
    found = Unit.objects.filter(code=code).first()
    if found:
        return found
    return services.unit_create(
        actor=None, name=name, code=code, kind=kind, parent=parent, short_name=short, sort_order=order
    )


@transaction.atomic
def load_units() -> dict[str, Unit]:
    code, name, short = BUREAU
    bureau = _unit(code, name, Unit.Kind.BUREAU, None, short, 1)
    units = {code: bureau}
    for i, (code, name, short) in enumerate(DIVISIONS):
        units[code] = _unit(code, name, Unit.Kind.DIVISION, bureau, short, 10 + i)
    for i, (code, city) in enumerate(CITIES):
        units[code] = _unit(code, f"{city}投资促进局", Unit.Kind.CITY, bureau, city, 100 + i)
    for i, (code, city) in enumerate(OFFICES):
        units[code] = _unit(code, f"四川省经济合作局驻{city}办事处", Unit.Kind.OFFICE, bureau, f"驻{city}办", 200 + i)
    for i, (code, name, short) in enumerate(PARTNERS):
        units[code] = _unit(code, name, Unit.Kind.PARTNER, None, short, 300 + i)
    return units


@transaction.atomic
def load_people(units: dict[str, Unit]) -> list[User]:
    people = []
    for username, name, unit_code, role, title, mobile in PEOPLE:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.user_create(
                actor=None,
                username=username,
                name=name,
                unit=units[unit_code],
                role=role,
                title=title,
                mobile=mobile,
                email=f"{username}@investdesk.example.cn",
                password=DEMO_PASSWORD,
                must_change_password=False,  # demo users only: real people change their initial password
            )
        people.append(user)
    return people


def load() -> dict:
    units = load_units()
    people = load_people(units)
    return {"units": len(units), "people": len(people)}
