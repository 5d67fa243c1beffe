import datetime

from investdesk.cases import selectors, services
from investdesk.cases.tests.conftest import advance
from investdesk.enterprises import services as enterprise_services


def test_a_partner_department_sees_only_cases_assigned_to_it(case, dispatcher, owner, units, partner, category):
    other = services.case_register(
        actor=owner, enterprise=case.enterprise, title="另一件", description="x", category=category
    )
    assert list(selectors.cases_for_user(user=partner)) == []
    advance(case, to="assigned", dispatcher=dispatcher, lead=owner, units=units)
    assert list(selectors.cases_for_user(user=partner)) == [case]
    assert other not in selectors.cases_for_user(user=partner)


def test_an_outsider_sees_nothing(case, outsider):
    assert not selectors.cases_for_user(user=outsider).exists()


def test_queues(case, dispatcher, owner, units, clock):
    assert [c.pk for c in selectors.case_queue(user=dispatcher, queue="unassigned")] == [case.pk]
    case = advance(case, to="assigned", dispatcher=dispatcher, lead=owner, units=units)
    assert [c.pk for c in selectors.case_queue(user=owner, queue="to_accept")] == [case.pk]
    advance(case, to="in_progress", dispatcher=dispatcher, lead=owner, units=units)
    clock.shift(datetime.timedelta(days=13))  # Wednesday 14 Sep: due Friday 16 Sep, within 2 working days
    assert [c.pk for c in selectors.case_queue(user=owner, queue="due_soon")] == [case.pk]
    clock.shift(datetime.timedelta(days=5))
    assert [c.pk for c in selectors.case_queue(user=owner, queue="overdue")] == [case.pk]


def test_figures_on_a_known_data_set(owner, dispatcher, units, chengdu_enterprise, category, clock):
    other = enterprise_services.enterprise_create(actor=owner, name="成都另一家公司")
    cases = [
        services.case_register(actor=owner, enterprise=e, title=f"问题{i}", description="d", category=category)
        for i, e in enumerate([chengdu_enterprise, chengdu_enterprise, other, other])
    ]
    # 0: closed on time, satisfied; 1: resolved late; 2: in progress; 3: registered.
    advance(cases[0], to="closed", dispatcher=dispatcher, lead=owner, units=units)
    advance(cases[1], to="in_progress", dispatcher=dispatcher, lead=owner, units=units)
    advance(cases[2], to="in_progress", dispatcher=dispatcher, lead=owner, units=units)
    clock.shift(datetime.timedelta(days=20))
    services.case_act(actor=owner, case=cases[1], action="resolve", version=None, resolution="迟办")
    figures = selectors.case_figures(user=dispatcher)
    assert figures.total == 4 and figures.enterprises == 2
    assert figures.by_status["closed"] == 1 and figures.by_status["resolved"] == 1
    assert figures.by_status["in_progress"] == 1 and figures.by_status["registered"] == 1
    assert figures.resolved == 2 and figures.resolution_rate == 0.5
    assert figures.on_time_rate == 0.5
    # 1 Sep → 1 Sep is 0; 1 Sep → 21 Sep is 13 working days (Mid-Autumn, 10–12 Sep, skipped).
    assert figures.median_workdays == (0 + 13) / 2
    assert figures.satisfaction_rate == 1.0
    assert figures.overdue == 1
    assert figures.by_category == [("物流运输", 4)]
