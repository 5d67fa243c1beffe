import datetime

import pytest

from investdesk.cases import services
from investdesk.cases.models import Case, CaseEvent
from investdesk.cases.tests.conftest import advance
from investdesk.core.errors import ConflictError, DomainError
from investdesk.core.models import Notification

ALL_ACTIONS = list(services.ACTIONS)
STATUSES = ["registered", "assigned", "in_progress", "resolved", "followed_up", "closed"]
VALID_DATA = {
    "assign": {"lead_unit": "chengdu"}, "reassign": {"lead_unit": "chengdu"}, "accept": {},
    "return": {"note": "不属于本单位职责"}, "progress": {"note": "已会商", "rating": "on_track"},
    "co_reply": {}, "request_extension": {"note": "需协调外省", "new_due_on": datetime.date(2022, 10, 31)},
    "approve_extension": {}, "refuse_extension": {}, "resolve": {"resolution": "已解决"},
    "follow_up": {"satisfaction": "satisfied"}, "close": {}, "supervise": {"note": "督办"},
}  # fmt: skip


def test_a_case_from_a_visit_problem(case, problem, owner):
    assert case.number == "SQ202200001"
    assert case.enterprise == problem.visit.enterprise and case.visit == problem.visit
    assert case.title.startswith("跨省运输受阻") and case.status == "registered"
    assert case.owner_unit == owner.unit
    assert CaseEvent.objects.filter(case=case, action="register").exists()


def test_a_problem_becomes_one_case_only(case, problem, owner, category):
    problem.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.case_register(
            actor=owner,
            enterprise=problem.visit.enterprise,
            problem=problem,
            title="",
            description="",
            category=category,
        )
    assert exc.value.field == "problem"


def test_assignment_sets_working_day_deadlines_and_shares(case, dispatcher, owner, units, partner):
    from investdesk.core import policy

    case = advance(case, to="assigned", dispatcher=dispatcher, lead=owner, units=units)
    # Thursday 1 Sep 2022 + 10 working days (Mid-Autumn 10–12 Sep skipped) → Friday 16 Sep.
    assert case.due_on == datetime.date(2022, 9, 16)
    co = case.assignments.get(unit=units.jingxin)
    assert co.due_on == datetime.date(2022, 9, 6)
    assert case.assignments.filter(outside_body="重庆市交通运输局").exists()
    assert case in policy.visible(partner, Case.objects.all())
    assert Notification.objects.filter(user=owner, key__startswith=f"case-assigned:{case.pk}").exists()


def _case_in(status, *, case, dispatcher, owner, units):
    if status == "registered":
        return case
    return advance(case, to=status, dispatcher=dispatcher, lead=owner, units=units)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_every_action_is_allowed_exactly_from_its_statuses(action, status, case, dispatcher, owner, units, leader):
    case = _case_in(status, case=case, dispatcher=dispatcher, owner=owner, units=units)
    data = dict(VALID_DATA[action])
    if data.get("lead_unit"):
        data["lead_unit"] = units.chengdu
    if action == "co_reply":
        data = {"note": "已协调", "assignment": case.assignments.filter(role="co", unit__isnull=True).first()}
    if action in ("approve_extension", "refuse_extension") and status in ("assigned", "in_progress"):
        services.case_act(
            actor=owner, case=case, action="request_extension", version=None, **VALID_DATA["request_extension"]
        )
    allowed = status in services.ACTIONS[action].from_statuses
    # The leader may take any action the role rules allow; here we test the status rule.
    before = CaseEvent.objects.filter(case=case).count()
    if allowed:
        services.case_act(
            actor=leader
            if action not in ("assign", "reassign", "approve_extension", "refuse_extension", "supervise")
            else dispatcher,
            case=case,
            action=action,
            version=None,
            **data,
        )
        assert CaseEvent.objects.filter(case=case, action=action).exists()
    else:
        with pytest.raises(DomainError) as exc:
            services.case_act(actor=dispatcher, case=case, action=action, version=None, **data)
        assert exc.value.field == "action"
        assert CaseEvent.objects.filter(case=case).count() == before


def test_only_the_dispatcher_assigns(case, owner, units):
    with pytest.raises(DomainError, match=r"分派|交办|Assign"):
        services.case_act(actor=owner, case=case, action="assign", version=None, lead_unit=units.chengdu)


def test_another_unit_cannot_accept(case, dispatcher, owner, outsider, units):
    case = advance(case, to="assigned", dispatcher=dispatcher, lead=owner, units=units)
    with pytest.raises(DomainError):
        services.case_act(actor=outsider, case=case, action="accept", version=None)


def test_resolution_text_is_required(case, dispatcher, owner, units):
    case = advance(case, to="in_progress", dispatcher=dispatcher, lead=owner, units=units)
    with pytest.raises(DomainError) as exc:
        services.case_act(actor=owner, case=case, action="resolve", version=None, resolution=" ")
    assert exc.value.field == "resolution"


def test_return_needs_a_reason_and_only_within_one_working_day(case, dispatcher, owner, units, clock):
    case = advance(case, to="assigned", dispatcher=dispatcher, lead=owner, units=units)
    with pytest.raises(DomainError) as exc:
        services.case_act(actor=owner, case=case, action="return", version=None)
    assert exc.value.field == "note"
    clock.shift(datetime.timedelta(days=4))  # Monday 5 Sep: two working days later
    with pytest.raises(DomainError) as exc:
        services.case_act(actor=owner, case=case, action="return", version=None, note="不是我们的")
    assert exc.value.field == "action"


def test_a_returned_case_goes_back_to_the_dispatcher(case, dispatcher, owner, units):
    case = advance(case, to="assigned", dispatcher=dispatcher, lead=owner, units=units)
    case = services.case_act(actor=owner, case=case, action="return", version=None, note="属地职责")
    assert case.status == "registered" and case.lead_unit is None and case.due_on is None
    assert not case.assignments.filter(is_active=True).exists()
    assert Notification.objects.filter(user=dispatcher, key__startswith=f"case-returned:{case.pk}").exists()


def test_extension_must_be_asked_before_the_deadline(case, dispatcher, owner, units, clock):
    case = advance(case, to="in_progress", dispatcher=dispatcher, lead=owner, units=units)
    clock.shift(datetime.timedelta(days=20))
    with pytest.raises(DomainError) as exc:
        services.case_act(
            actor=owner,
            case=case,
            action="request_extension",
            version=None,
            note="需要时间",
            new_due_on=datetime.date(2022, 10, 31),
        )
    assert exc.value.field == "new_due_on"


def test_an_approved_extension_moves_the_deadline(case, dispatcher, owner, units):
    case = advance(case, to="in_progress", dispatcher=dispatcher, lead=owner, units=units)
    services.case_act(
        actor=owner,
        case=case,
        action="request_extension",
        version=None,
        note="需协调外省",
        new_due_on=datetime.date(2022, 9, 30),
    )
    case = services.case_act(actor=dispatcher, case=case, action="approve_extension", version=None)
    assert case.due_on == datetime.date(2022, 9, 30)
    assert case.extensions.get().status == "approved"


def test_dissatisfied_follow_up_reopens_the_case(case, dispatcher, owner, units):
    case = advance(case, to="resolved", dispatcher=dispatcher, lead=owner, units=units)
    case = services.case_act(
        actor=dispatcher, case=case, action="follow_up", version=None, satisfaction="dissatisfied", note="仍未解决"
    )
    assert case.status == "in_progress" and case.reopen_count == 1 and case.resolved_at is None


def test_a_stale_version_is_a_conflict_naming_who_changed_it(case, dispatcher, owner, units):
    version = case.version
    services.case_act(actor=dispatcher, case=case, action="assign", version=version, lead_unit=units.chengdu)
    with pytest.raises(ConflictError) as exc:
        services.case_act(actor=dispatcher, case=case, action="supervise", version=version, note="x")
    assert "张静" in exc.value.message
    assert not Case.objects.get(pk=case.pk).is_supervised


def test_events_are_immutable(case):
    event = case.events.first()
    event.note = "changed"
    with pytest.raises(PermissionError):
        event.save()


def test_overdue_cases_are_supervised_and_notified_once(case, dispatcher, owner, units, leader, clock):
    case = advance(case, to="in_progress", dispatcher=dispatcher, lead=owner, units=units)
    clock.shift(datetime.timedelta(days=30))
    assert services.cases_supervise_overdue() == 1
    assert services.cases_supervise_overdue() == 0
    case.refresh_from_db()
    assert case.is_supervised
    assert Notification.objects.filter(key=f"case-overdue:{case.pk}:{case.due_on}").count() == 2  # owner + dispatcher
    assert CaseEvent.objects.filter(case=case, action="overdue").count() == 1


def test_the_daily_command_runs_the_escalation(case, dispatcher, owner, units, clock):
    from django.core.management import call_command

    advance(case, to="in_progress", dispatcher=dispatcher, lead=owner, units=units)
    clock.shift(datetime.timedelta(days=30))
    call_command("daily", "--now")
    assert Case.objects.get(pk=case.pk).is_supervised


def test_cases_follow_a_merged_enterprise(case, owner, chengdu_enterprise):
    from investdesk.enterprises import services as enterprise_services

    survivor = enterprise_services.enterprise_create(actor=owner, name="比亚迪（成都）有限公司")
    enterprise_services.enterprise_merge(actor=owner, survivor=survivor, duplicate=chengdu_enterprise, reason="同一家")
    case.refresh_from_db()
    assert case.enterprise == survivor


def test_the_enterprise_page_shows_its_cases(client_for, case, owner):
    body = client_for(owner).get(f"/enterprises/{case.enterprise_id}/").content.decode()
    assert case.number in body


def test_a_case_received_earlier_takes_the_number_of_its_year_but_none_in_the_future(owner, problem, category):
    earlier = services.case_register(
        actor=owner,
        enterprise=problem.visit.enterprise,
        title="去年来信",
        description="x",
        category=category,
        source="letter",
        registered_at=datetime.datetime(2021, 12, 30, 9, tzinfo=datetime.UTC),
    )
    assert earlier.number == "SQ202100001"
    with pytest.raises(DomainError) as exc:
        services.case_register(
            actor=owner,
            enterprise=problem.visit.enterprise,
            title="未来",
            description="x",
            category=category,
            registered_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
        )
    assert exc.value.field == "registered_at"
