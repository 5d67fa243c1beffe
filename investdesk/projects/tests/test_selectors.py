import datetime
from decimal import Decimal

from investdesk.projects import selectors, services
from investdesk.projects.models import Project, Stage

YI = Decimal(100_000_000)


def _signed(owner, investor, name, *, amount_yi, signed_on, started_on=None, funds_yi=None):
    project = services.project_create(
        actor=owner, name=name, investor=investor, amount=amount_yi * YI, expected_signing_on=signed_on
    )
    project = services.project_move_stage(
        actor=owner,
        project=project,
        to=Stage.SIGNED,
        version=None,
        owner=owner,
        signed_on=signed_on,
        contract_amount_cny=amount_yi * YI,
    )
    if started_on:
        project = services.project_move_stage(
            actor=owner, project=project, to=Stage.STARTED, version=None, started_on=started_on
        )
    if funds_yi:
        services.funds_add(actor=owner, project=project, on=signed_on, amount_cny=funds_yi * YI)
    return project


def test_target_progress_on_a_known_data_set(owner, leader, units, chengdu_enterprise):
    services.target_set(
        actor=leader,
        unit=units.chengdu,
        year=2022,
        signed_projects=4,
        signed_amount_cny=100 * YI,
        funds_in_place_cny=40 * YI,
        started_projects=2,
    )
    _signed(
        owner,
        chengdu_enterprise,
        "甲",
        amount_yi=30,
        signed_on=datetime.date(2022, 3, 1),
        started_on=datetime.date(2022, 6, 1),
        funds_yi=10,
    )
    _signed(owner, chengdu_enterprise, "乙", amount_yi=20, signed_on=datetime.date(2022, 8, 1), funds_yi=5)
    _signed(owner, chengdu_enterprise, "丙（去年）", amount_yi=50, signed_on=datetime.date(2021, 12, 1))
    _signed(owner, chengdu_enterprise, "丁（十月）", amount_yi=10, signed_on=datetime.date(2022, 10, 10))
    [row] = selectors.target_progress(user=leader, year=2022, as_of=datetime.date(2022, 9, 30))
    assert row.elapsed == 273 / 365
    assert (row.signed_projects.actual, row.signed_amount.actual) == (2, 50 * YI)
    assert row.funds_in_place.actual == 15 * YI and row.started_projects.actual == 1
    assert row.signed_projects.rate == 0.5 and row.ahead(row.signed_projects) is False
    assert row.signed_amount.rate == 0.5


def test_signed_project_performance(owner, leader, chengdu_enterprise):
    _signed(
        owner,
        chengdu_enterprise,
        "甲",
        amount_yi=30,
        signed_on=datetime.date(2022, 3, 1),
        started_on=datetime.date(2022, 6, 1),
        funds_yi=15,
    )
    lost = _signed(owner, chengdu_enterprise, "乙", amount_yi=10, signed_on=datetime.date(2022, 8, 1))
    services.project_set_status(actor=owner, project=lost, status="dropped", version=None, reason="企业战略调整")
    performance = selectors.performance(user=leader, year=2022)
    assert (performance.signed, performance.fulfilled, performance.started) == (2, 1, 1)
    assert performance.fulfilment_rate == 0.5 and performance.start_rate == 0.5
    assert performance.funds_rate == 15 / 40


def test_projects_are_confidential(project, owner, colleague, outsider, dispatcher, leader, units, admin):
    from investdesk.core.services import record_share

    for person, sees in [(owner, True), (colleague, True), (leader, True), (outsider, False), (dispatcher, False)]:
        assert (project in selectors.projects_for_user(user=person)) is sees, person
    record_share(actor=admin, record=project, unit=units.mianyang)
    assert project in selectors.projects_for_user(user=outsider)


def test_the_source_unit_sees_the_project(owner, chengdu_enterprise, units):
    from investdesk.core.tests.factories import UserFactory

    shanghai = UserFactory(username="sh", unit=units.planning)  # a unit outside Chengdu found it
    project = services.project_create(
        actor=owner, name="驻外办发现的项目", investor=chengdu_enterprise, source_unit=units.planning
    )
    assert project in selectors.projects_for_user(user=shanghai)


def test_close_to_signing(project, owner):
    services.project_update(
        actor=owner,
        project=project,
        version=None,
        expected_signing_on=datetime.date.today() + datetime.timedelta(days=10),
    )
    assert list(selectors.close_to_signing(user=owner)) == [Project.objects.get(pk=project.pk)]


def test_pipeline_figures_from_the_history(owner, leader, chengdu_enterprise):
    from investdesk.projects.models import ProjectEvent

    signed = _signed(owner, chengdu_enterprise, "甲", amount_yi=1, signed_on=datetime.date(2022, 6, 1))
    ProjectEvent.objects.filter(project=signed, kind="created").update(on=datetime.date(2022, 3, 3))
    open_project = services.project_create(actor=owner, name="乙", investor=chengdu_enterprise)
    ProjectEvent.objects.filter(project=open_project, kind="created").update(on=datetime.date(2022, 4, 1))
    figures = selectors.pipeline_figures(user=leader, year=2022)
    assert figures.created == 2 and figures.converted == 1 and figures.conversion_rate == 0.5
    assert figures.median_days_to_sign == (datetime.date(2022, 6, 1) - datetime.date(2022, 3, 3)).days
    assert figures.by_stage["signed"] == 1 and figures.by_stage["lead"] == 1


def test_a_unit_sees_only_its_own_targets(owner, outsider, leader, units):
    services.target_set(actor=leader, unit=units.chengdu, year=2022, signed_projects=3)
    services.target_set(actor=leader, unit=units.mianyang, year=2022, signed_projects=4)
    assert [r.unit for r in selectors.target_progress(user=owner, year=2022)] == [units.chengdu]
    assert len(selectors.target_progress(user=leader, year=2022)) == 2


def test_a_quarterly_split_sets_what_is_due(owner, leader, units, chengdu_enterprise):
    """With a split of 10/40/70/100 a unit is judged against 70% at the end of September, not the
    elapsed 74.8%; within a quarter the share grows by day."""
    target = services.target_set(
        actor=leader, unit=units.chengdu, year=2022, signed_projects=10, q1_pct=10, q2_pct=40, q3_pct=70
    )
    assert target.expected_share(datetime.date(2022, 3, 31)) == 0.10
    assert target.expected_share(datetime.date(2022, 9, 30)) == 0.70
    assert target.expected_share(datetime.date(2022, 12, 31)) == 1.0
    assert target.expected_share(datetime.date(2021, 12, 31)) == 0.0
    mid_q4 = target.expected_share(datetime.date(2022, 11, 15))
    assert 0.70 < mid_q4 < 1.0 and abs(mid_q4 - (0.70 + 0.30 * 46 / 92)) < 1e-9
    for i in range(7):
        _signed(owner, chengdu_enterprise, f"项目{i}", amount_yi=1, signed_on=datetime.date(2022, 9, 1))
    [row] = selectors.target_progress(user=leader, year=2022, as_of=datetime.date(2022, 9, 30))
    assert row.quarterly == [10, 40, 70, 100] and row.expected == 0.70
    assert row.signed_projects.rate == 0.7 and row.ahead(row.signed_projects) is True  # 70% ≥ 70% due
    assert row.elapsed > 0.7  # judged by the elapsed share, the same unit would be behind


def test_a_quarterly_split_must_be_whole_and_cumulative(leader, units):
    import pytest

    from investdesk.core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        services.target_set(actor=leader, unit=units.chengdu, year=2022, q1_pct=10, q2_pct=40)
    assert exc.value.field == "q3_pct"
    with pytest.raises(DomainError) as exc:
        services.target_set(actor=leader, unit=units.chengdu, year=2022, q1_pct=50, q2_pct=40, q3_pct=70)
    assert exc.value.field == "q2_pct"


def test_schedule_figures(owner, leader, chengdu_enterprise, time_machine):
    time_machine.move_to(datetime.datetime(2022, 9, 15, 10, tzinfo=datetime.UTC))
    early = _signed(owner, chengdu_enterprise, "早", amount_yi=1, signed_on=datetime.date(2022, 3, 1))
    services.project_update(
        actor=owner, project=early, version=None, expected_signing_on=datetime.date(2022, 3, 10)
    )  # signed 9 days early
    late = _signed(owner, chengdu_enterprise, "晚", amount_yi=1, signed_on=datetime.date(2022, 6, 1))
    services.project_update(actor=owner, project=late, version=None, expected_signing_on=datetime.date(2022, 5, 1))
    for name, likelihood, amount, expected in [
        ("高一", "high", 3, datetime.date(2022, 9, 1)),  # overdue
        ("高二", "high", 2, datetime.date(2022, 10, 1)),
        ("低", "low", 1, None),
        ("未评", "", 5, None),
    ]:
        services.project_create(
            actor=owner,
            name=name,
            investor=chengdu_enterprise,
            amount=amount * YI,
            likelihood=likelihood,
            expected_signing_on=expected,
        )
    figures = selectors.schedule_figures(user=leader, year=2022)
    rows = {key: (n, amount) for key, _label, n, amount in figures.by_likelihood}
    assert rows == {"high": (2, 5 * YI), "medium": (0, 0), "low": (1, YI), "none": (1, 5 * YI)}
    assert figures.signing_overdue == 1
    assert (figures.signing.count, figures.signing.on_time, figures.signing.median_days) == (2, 1, (31 - 9) / 2)
    assert figures.start.count == 0 and figures.start.median_days is None
    overdue = selectors.projects_for_user(user=leader, filters=selectors.ProjectFilter(signing_overdue=True))
    assert [p.name for p in overdue] == ["高一"]
    unassessed = selectors.projects_for_user(user=leader, filters=selectors.ProjectFilter(likelihood="none"))
    assert "未评" in {p.name for p in unassessed} and "高一" not in {p.name for p in unassessed}


def test_a_board_column_shows_the_newest_cards_and_counts_them_all(owner, project, monkeypatch):
    monkeypatch.setattr(selectors, "BOARD_CARDS", 2)
    for i in range(2):
        services.project_create(actor=owner, name=f"项目{i}", investor=project.investor)
    columns = {column.stage: column for column in selectors.board(user=owner)}
    lead = columns[Stage.LEAD]
    assert lead.total == 3 and [p.name for p in lead.cards] == ["项目1", "项目0"] and lead.more
    assert (columns[Stage.SIGNED].cards, columns[Stage.SIGNED].total, columns[Stage.SIGNED].more) == ([], 0, False)
    # 更多: the next cards after the first two, and no more after them.
    cards, more = selectors.board_cards(user=owner, stage=Stage.LEAD, offset=2)
    assert [p.name for p in cards] == [project.name] and not more
    cards, more = selectors.board_cards(user=owner, stage=Stage.LEAD, offset=0)
    assert [p.name for p in cards] == ["项目1", "项目0"] and more


def test_a_province_target_adds_up_its_units_in_a_fixed_number_of_queries(
    owner, outsider, leader, units, chengdu_enterprise, mianyang_enterprise, django_assert_num_queries
):
    for unit in (units.bureau, units.chengdu, units.mianyang):
        services.target_set(actor=leader, unit=unit, year=2022, signed_projects=10, started_projects=2)
    _signed(owner, chengdu_enterprise, "成都甲", amount_yi=30, signed_on=datetime.date(2022, 3, 1),
            started_on=datetime.date(2022, 6, 1), funds_yi=10)  # fmt: skip
    _signed(outsider, mianyang_enterprise, "绵阳乙", amount_yi=20, signed_on=datetime.date(2022, 8, 1), funds_yi=5)
    _signed(owner, chengdu_enterprise, "明年", amount_yi=7, signed_on=datetime.date(2023, 1, 5), funds_yi=1)
    # Long after the year: still only that year's rows.
    with django_assert_num_queries(5):  # targets, signed, started, funds, the units' paths
        rows = {r.unit: r for r in selectors.target_progress(user=leader, year=2022, as_of=datetime.date(2023, 3, 1))}
    assert rows[units.bureau].signed_projects.actual == 2 and rows[units.bureau].signed_amount.actual == 50 * YI
    assert rows[units.bureau].funds_in_place.actual == 15 * YI and rows[units.bureau].started_projects.actual == 1
    assert rows[units.chengdu].signed_amount.actual == 30 * YI and rows[units.mianyang].signed_amount.actual == 20 * YI
    assert rows[units.bureau].expected == 1.0


def test_the_targets_page_from_its_snapshot_is_what_was_computed(owner, leader, units, chengdu_enterprise):
    """core/snapshots.py keeps the page's figures: loaded back, they equal a fresh computation."""
    services.target_set(actor=leader, unit=units.chengdu, year=2022, signed_projects=4, signed_amount_cny=100 * YI,
                        q1_pct=10, q2_pct=40, q3_pct=70)  # fmt: skip
    _signed(owner, chengdu_enterprise, "甲", amount_yi=30, signed_on=datetime.date(2022, 3, 1),
            started_on=datetime.date(2022, 6, 1), funds_yi=10)  # fmt: skip
    as_of = datetime.date(2022, 9, 30)
    fresh = selectors.targets_page(user=leader, year=2022, as_of=as_of, max_age=0)
    stored = selectors.targets_page(user=leader, year=2022, as_of=as_of)
    assert stored.computed_at == fresh.computed_at
    for page in (fresh, stored):
        page.computed_at = None
    assert [(r.unit.pk, r.unit.name) for r in stored.rows] == [(units.chengdu.pk, units.chengdu.name)]
    assert stored.rows[0].signed_amount.actual == 30 * YI and type(stored.rows[0].signed_amount.actual) is Decimal
    for a, b in zip(stored.rows, fresh.rows, strict=True):
        assert (a.signed_projects, a.signed_amount, a.funds_in_place, a.started_projects, a.elapsed, a.expected,
                a.quarterly) == (b.signed_projects, b.signed_amount, b.funds_in_place, b.started_projects, b.elapsed,
                                 b.expected, b.quarterly)  # fmt: skip
    assert (stored.performance, stored.pipeline) == (fresh.performance, fresh.pipeline)
    assert [tuple(map(str, r)) for r in stored.schedule.by_likelihood] == [
        tuple(map(str, r)) for r in fresh.schedule.by_likelihood
    ]
    assert (stored.schedule.signing, stored.schedule.start) == (fresh.schedule.signing, fresh.schedule.start)
