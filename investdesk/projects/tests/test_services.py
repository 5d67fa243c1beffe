import datetime
from decimal import Decimal

import pytest

from investdesk.core.errors import ConflictError, DomainError
from investdesk.core.models import Notification
from investdesk.projects import services
from investdesk.projects.models import ProjectEvent, Stage


def test_a_new_project_is_a_confidential_lead_with_an_event(project, owner):
    assert project.stage == "lead" and project.is_confidential
    assert project.amount_cny == Decimal("5000000000.00")
    assert ProjectEvent.objects.get(project=project).kind == "created"


def test_money_in_another_currency_is_converted_with_the_recorded_rate(owner, chengdu_enterprise):
    project = services.project_create(
        actor=owner,
        name="外资项目",
        investor=chengdu_enterprise,
        amount=Decimal("100000000"),
        currency="USD",
        fx_rate=Decimal("7.0512"),
    )
    assert project.amount_cny == Decimal("705120000.00")
    with pytest.raises(DomainError) as exc:
        services.project_create(
            actor=owner, name="缺汇率", investor=chengdu_enterprise, amount=1, currency="EUR", fx_rate=Decimal(0)
        )
    assert exc.value.field == "fx_rate"


def test_each_stage_asks_for_what_it_needs(project, owner):
    with pytest.raises(DomainError) as exc:
        services.project_move_stage(actor=owner, project=project, to=Stage.NEGOTIATING, version=None)
    assert exc.value.field == "owner"
    with pytest.raises(DomainError) as exc:
        services.project_move_stage(actor=owner, project=project, to=Stage.SIGNED, version=None, owner=owner)
    assert exc.value.field == "signed_on" and "签约日期" in exc.value.message and "合同" in exc.value.message
    moved = services.project_move_stage(
        actor=owner,
        project=project,
        to=Stage.SIGNED,
        version=None,
        owner=owner,
        signed_on=datetime.date(2022, 9, 10),
        contract_amount_cny=Decimal("4800000000"),
    )
    assert moved.stage == "signed"
    event = ProjectEvent.objects.filter(project=project, kind="stage").get()
    assert (event.from_value, event.to_value, event.on) == ("lead", "signed", datetime.date(2022, 9, 10))


def test_going_back_needs_a_reason(project, owner):
    project = services.project_move_stage(actor=owner, project=project, to=Stage.NEGOTIATING, version=None, owner=owner)
    with pytest.raises(DomainError) as exc:
        services.project_move_stage(actor=owner, project=project, to=Stage.INTENTION, version=None)
    assert exc.value.field == "reason"
    back = services.project_move_stage(
        actor=owner, project=project, to=Stage.INTENTION, version=None, reason="投资方董事会推迟决策"
    )
    assert back.stage == "intention"
    assert ProjectEvent.objects.filter(project=project, note="投资方董事会推迟决策").exists()


def test_a_dropped_project_does_not_move_and_status_needs_a_reason(project, owner):
    with pytest.raises(DomainError) as exc:
        services.project_set_status(actor=owner, project=project, status="dropped", version=None)
    assert exc.value.field == "reason"
    project = services.project_set_status(
        actor=owner, project=project, status="lost", version=None, reason="被外省以更优条件争取", lost_to="重庆"
    )
    assert project.lost_to == "重庆"
    with pytest.raises(DomainError):
        services.project_move_stage(actor=owner, project=project, to=Stage.INTENTION, version=None)


def test_a_stale_version_is_a_conflict(project, owner):
    version = project.version
    services.project_update(actor=owner, project=project, version=version, new_jobs=300)
    with pytest.raises(ConflictError):
        services.project_move_stage(actor=owner, project=project, to=Stage.INTENTION, version=version)


def test_funds_arrive_after_signing(project, owner):
    with pytest.raises(DomainError):
        services.funds_add(actor=owner, project=project, on=datetime.date(2022, 9, 1), amount_cny=Decimal(1))


def test_reminders_are_sent_once_and_on_time(project, owner):
    services.follow_up_add(
        actor=owner,
        project=project,
        on=datetime.date(2022, 9, 1),
        mode="video",
        summary="视频洽谈",
        next_step="发送协议草案",
        next_step_on=datetime.date(2022, 9, 8),
    )
    project.owner = owner
    project.save()
    assert services.projects_remind(today=datetime.date(2022, 9, 7)) == 0  # not due yet
    assert services.projects_remind(today=datetime.date(2022, 9, 8)) == 1
    assert services.projects_remind(today=datetime.date(2022, 9, 9)) == 0  # once
    assert Notification.objects.filter(user=owner, key__startswith="project-step:").count() == 1
    # Quiet for 30 days: one reminder per month of silence.
    assert services.projects_remind(today=datetime.date(2022, 10, 15)) == 1
    assert services.projects_remind(today=datetime.date(2022, 10, 16)) == 0
