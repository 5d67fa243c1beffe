"""Every dashboard figure equals a direct count on a known data set: distinct against summed counts,
period boundaries in Asia/Shanghai, a unit with its sub-units, the user's permission scope."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from investdesk.cases import services as case_services
from investdesk.cases.models import Case, CaseCategory
from investdesk.core import snapshots
from investdesk.emergency import services as emergency_services
from investdesk.enterprises import services as enterprise_services
from investdesk.projects import services as project_services
from investdesk.reports import selectors
from investdesk.reports.figures import Scope, round_count, sections

TZ = ZoneInfo("Asia/Shanghai")
SEPT = Scope(start=datetime.date(2022, 9, 1), end=datetime.date(2022, 9, 14))


@pytest.fixture
def known(owner, colleague, outsider, leader, chengdu_enterprise, mianyang_enterprise, time_machine):
    """Chengdu: 2 enterprises visited 3 times (one twice) with 3 problems; 1 Mianyang visit; 3 cases
    around the end of the period in Shanghai time; one signed project; volunteer stints."""
    time_machine.move_to(datetime.datetime(2022, 9, 20, 10, tzinfo=TZ))
    second = enterprise_services.enterprise_create(actor=owner, name="成都天府软件园有限公司")
    for enterprise, day, problems in [
        (chengdu_enterprise, 2, ["物流受阻", "员工返岗难"]),
        (chengdu_enterprise, 9, []),
        (second, 14, ["原材料短缺"]),
        (second, 15, ["不在期间内"]),  # the day after the period
    ]:
        enterprise_services.visit_create(
            actor=owner, enterprise=enterprise, visited_on=datetime.date(2022, 9, day), mode="online", staff=[owner],
            problems=problems, status="completed",
        )  # fmt: skip
    enterprise_services.visit_create(
        actor=owner,
        enterprise=second,
        visited_on=datetime.date(2022, 9, 10),
        mode="phone",
        staff=[owner],
        problems=["草稿不计"],
    )  # fmt: skip  (a draft visit does not count)
    enterprise_services.visit_create(
        actor=outsider, enterprise=mianyang_enterprise, visited_on=datetime.date(2022, 9, 5), mode="on_site",
        staff=[outsider], status="completed",
    )  # fmt: skip
    category, _ = CaseCategory.objects.get_or_create(code="logistics", defaults={"name": "物流运输"})
    for title, when in [
        ("九月一日零点后", datetime.datetime(2022, 9, 1, 0, 5, tzinfo=TZ)),  # 31 Aug in UTC: still in the period
        ("十四日深夜", datetime.datetime(2022, 9, 14, 23, 30, tzinfo=TZ)),  # 14 Sep 15:30 UTC
        ("十五日凌晨", datetime.datetime(2022, 9, 15, 0, 10, tzinfo=TZ)),  # 14 Sep 16:10 UTC: outside
    ]:
        case_services.case_register(
            actor=owner, enterprise=chengdu_enterprise, title=title, description=title, category=category,
            registered_at=when,
        )  # fmt: skip
    project = project_services.project_create(
        actor=owner,
        name="比亚迪成都基地项目",
        investor=chengdu_enterprise,
        amount=Decimal("4800000000"),
        expected_signing_on=datetime.date(2022, 9, 10),
    )
    project_services.project_move_stage(
        actor=owner, project=project, to="signed", version=None, owner=owner,
        signed_on=datetime.date(2022, 9, 14), contract_amount_cny=Decimal("4800000000"),
    )  # fmt: skip
    lockdown = emergency_services.incident_create(
        actor=leader, name="成都疫情静默管理", kind="epidemic", starts_on=datetime.date(2022, 9, 1)
    )
    for person, day, district, community, tests in [
        (owner, 2, "武侯区", "玉林社区", 300),
        (owner, 3, "武侯区", "玉林社区", 200),  # the same community again: 2 person-times, 1 community
        (colleague, 3, "成华区", "新华社区", 100),
        (colleague, 4, "锦江区", "新华社区", 50),  # same name, another district: another community
        (owner, 15, "武侯区", "玉林社区", 999),  # after the period
    ]:
        emergency_services.volunteer_log(
            actor=person, incident=lockdown, on=datetime.date(2022, 9, day), district=district, community=community,
            hours=Decimal(4), tasks=["testing"], tests_assisted=tests,
        )  # fmt: skip
    return {"lockdown": lockdown}


def _figures(user, scope, key):
    [result] = selectors.dashboard(user=user, scope=scope, keys=[key])
    return {name: f.value for name, f in result.figures.items()}


def test_aftercare_figures_equal_direct_counts(known, owner, leader, outsider):
    f = _figures(leader, SEPT, "aftercare")
    assert f["enterprises_visited"] == 3  # 2 in Chengdu (distinct), 1 in Mianyang
    assert f["visits"] == 4 and f["problems"] == 3
    assert f["cases"] == 2  # Shanghai time: 1 Sep 00:05 in, 15 Sep 00:10 out
    assert f["cases"] == Case.objects.filter(title__in=["九月一日零点后", "十四日深夜"]).count()
    assert f["cases_resolved"] == 0 and f["cases_open"] == 2
    # The outsider's scope is Mianyang: its own visit, none of Chengdu's cases.
    mine = _figures(outsider, SEPT, "aftercare")
    assert (mine["enterprises_visited"], mine["visits"], mine["problems"], mine["cases"]) == (1, 1, 0, 0)


def test_a_unit_scope_takes_its_sub_units(known, leader, units):
    bureau = _figures(leader, Scope(SEPT.start, SEPT.end, unit_id=units.bureau.pk), "aftercare")
    chengdu = _figures(leader, Scope(SEPT.start, SEPT.end, unit_id=units.chengdu.pk), "aftercare")
    mianyang = _figures(leader, Scope(SEPT.start, SEPT.end, unit_id=units.mianyang.pk), "aftercare")
    assert chengdu["visits"] == 3 and mianyang["visits"] == 1
    assert bureau["visits"] == 4 if units.chengdu.path.startswith(units.bureau.path) else True


def test_pipeline_and_emergency_figures(known, leader, owner, outsider):
    p = _figures(leader, SEPT, "pipeline")
    assert (p["signed"], p["signed_amount"]) == (1, Decimal("4800000000"))
    assert _figures(outsider, SEPT, "pipeline")["signed"] == 0  # projects are confidential
    e = _figures(leader, Scope(SEPT.start, SEPT.end, incident_id=known["lockdown"].pk), "emergency")
    assert (e["person_times"], e["communities"], e["tests_assisted"]) == (4, 3, 650)
    before = _figures(leader, Scope(SEPT.start, datetime.date(2022, 9, 2)), "emergency")
    assert (before["person_times"], before["tests_assisted"]) == (1, 300)


def test_every_count_lists_exactly_its_records(known, leader):
    """A count's "where does it come from" page lists as many rows as the count (the sums of stints'
    quantities and the distinct communities list the stints they are made of)."""
    made_of_stints = {"emergency.communities", "emergency.tests_assisted", "emergency.records_entered",
                      "emergency.households_surveyed"}  # fmt: skip
    checked = 0
    for result in selectors.dashboard(user=leader, scope=SEPT):
        for figure in result.figures.values():
            if figure.records and figure.kind == "count" and figure.key not in made_of_stints:
                assert figure.records(leader, SEPT).queryset.count() == figure.value, figure.key
                checked += 1
    assert checked >= 12


def test_the_figure_page_lists_the_records_and_answers_404_for_a_stranger_key(client_for, known, leader):
    client = client_for(leader)
    page = client.get(
        f"/reports/figures/aftercare.cases/?{SEPT.params()}".replace("from=", "start=").replace("to=", "end=")
        + "&period=custom"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "十四日深夜" in html and "十五日凌晨" not in html
    assert client.get("/reports/figures/aftercare.nothing/").status_code == 404
    assert client.get("/reports/figures/nothing.cases/").status_code == 404


@pytest.mark.parametrize(
    ("n", "text"),
    [(7, "7"), (42, "40余"), (137, "130余"), (150, "150"), (182, "180余"), (1013, "1000余"), (13854, "1.3万余"),
     (50785, "5万余"), (20000, "2万")],
)  # fmt: skip
def test_rounded_counts_say_yu(n, text):
    assert round_count(n) == text


def test_the_dashboard_renders_with_its_charts(client_for, known, leader):
    response = client_for(leader).get("/reports/?period=custom&start=2022-09-01&end=2022-09-14&refresh=1")
    html = response.content.decode()
    assert response.status_code == 200 and 'data-charts="[{' in html and "panel-emergency" in html
    assert "48亿元" in html and "id-pending" not in html


def test_the_first_view_of_a_scope_shows_at_once_and_fetches_each_panel(client_for, known, leader):
    """No snapshot for the scope yet (seconds of computing at a million enterprises): the page shows
    every panel as pending and computes nothing; each panel fetches its section, which is then kept."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from investdesk.core.models import Snapshot

    client = client_for(leader)
    query = "period=custom&start=2022-09-01&end=2022-09-14"
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/reports/?{query}").content.decode()
    keys = [s.key for s in sections()]
    assert page.count("id-panel id-pending") == len(keys) == 4 and not Snapshot.objects.exists()
    assert len(queries) < 20
    for key in keys:
        assert f'hx-get="/reports/sections/{key}/?{query.replace("&", "&amp;")}"' in page
    panel = client.get(f"/reports/sections/pipeline/?{query}")
    html = panel.content.decode()
    assert panel.status_code == 200 and html.lstrip().startswith(
        '<section class="card mb-4 id-panel" id="panel-pipeline"'
    )
    assert "48亿元" in html and 'data-charts="[{' in html and "<html" not in html
    assert Snapshot.objects.count() == 1
    again = client.get(f"/reports/?{query}").content.decode()
    assert again.count("id-panel id-pending") == 3 and "48亿元" in again  # the section kept, the others still to fetch
    assert client.get(f"/reports/sections/nothing/?{query}").status_code == 404
    client.logout()
    assert client.get(f"/reports/sections/emergency/?{query}").status_code == 302  # to the sign-in page


def test_a_snapshot_gives_back_exactly_what_was_computed(known, leader):
    """A snapshot (core/snapshots.py) gives back what was computed: Decimals stay Decimals (money),
    dates stay dates, and figures keep their links to the records behind them."""
    computed = {r.key: r for r in selectors.dashboard(user=leader, scope=SEPT, max_age=0)}
    stored = {r.key: r for r in selectors.dashboard(user=leader, scope=SEPT)}
    assert stored.keys() == computed.keys()
    for key, result in computed.items():
        again = stored[key]
        assert (again.title, again.charts, again.tables, again.sentences, again.empty) == (
            result.title, result.charts, result.tables, result.sentences, result.empty
        )  # fmt: skip
        for name, fig in result.figures.items():
            back = again.figures[name]
            assert (back.key, str(back.label), back.value, back.kind, back.measure, str(back.query), back.linked) == (
                fig.key, str(fig.label), fig.value, fig.kind, fig.measure, str(fig.query), fig.linked
            )  # fmt: skip
            assert type(back.value) is type(fig.value)
    assert snapshots._decode(snapshots._encode({"a": [Decimal("1.50"), datetime.date(2022, 9, 1)]})) == {
        "a": [Decimal("1.50"), datetime.date(2022, 9, 1)]
    }
