import datetime

import pytest
import time_machine

from investdesk.cases import services
from investdesk.cases.models import CaseCategory
from investdesk.enterprises import services as enterprise_services
from investdesk.enterprises.models import Visit

# A fixed Thursday with no holiday nearby: deadlines are stable.
NOW = datetime.datetime(2022, 9, 1, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def category(db):
    category, _ = CaseCategory.objects.get_or_create(code="logistics", defaults={"name": "物流运输"})
    return category


@pytest.fixture
def problem(owner, chengdu_enterprise):
    visit = enterprise_services.visit_create(
        actor=owner,
        enterprise=chengdu_enterprise,
        visited_on=datetime.date(2022, 9, 1),
        mode="video",
        staff=[owner],
        status=Visit.Status.COMPLETED,
        problems=["跨省运输受阻，原材料无法进厂"],
    )
    return visit.problems.get()


@pytest.fixture
def case(owner, problem, category):
    """Registered by the Chengdu bureau from a visit's problem."""
    return services.case_register(
        actor=owner, enterprise=problem.visit.enterprise, problem=problem, title="", description="", category=category
    )


def advance(case, *, to: str, dispatcher, lead, units):
    """Take a case along the main path up to status `to`."""
    steps = {
        "assigned": [
            (
                "assign",
                dispatcher,
                {"lead_unit": units.chengdu, "co_units": [units.jingxin], "outside_bodies": ["重庆市交通运输局"]},
            )
        ],
        "in_progress": [("accept", lead, {})],
        "resolved": [("resolve", lead, {"resolution": "已协调办理通行证"})],
        "followed_up": [("follow_up", dispatcher, {"satisfaction": "satisfied"})],
        "closed": [("close", dispatcher, {})],
    }
    order = ["registered", "assigned", "in_progress", "resolved", "followed_up", "closed"]
    case.refresh_from_db()
    for status in order[order.index(case.status) + 1 : order.index(to) + 1]:
        for action, actor, data in steps[status]:
            case = services.case_act(actor=actor, case=case, action=action, version=None, **data)
    return case
