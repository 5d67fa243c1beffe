import io

import openpyxl


def test_another_units_project_is_404_on_every_page(client_for, project, outsider, dispatcher):
    for user in (outsider, dispatcher):
        client = client_for(user)
        for path in [f"/projects/{project.pk}/", f"/projects/{project.pk}/edit/", f"/projects/{project.pk}/move/"]:
            assert client.get(path).status_code == 404, (user, path)
        assert project.name not in client.get("/projects/").content.decode()


def test_the_export_holds_only_visible_projects(client_for, project, owner, outsider):
    sheet = openpyxl.load_workbook(io.BytesIO(client_for(owner).get("/projects/export.xlsx").content)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [project.name]
    sheet = openpyxl.load_workbook(io.BytesIO(client_for(outsider).get("/projects/export.xlsx").content)).active
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == []


def test_the_move_dialog_lists_what_the_stage_needs(client_for, project, owner):
    client = client_for(owner)
    body = client.get(f"/projects/{project.pk}/move/?to=signed", HTTP_HX_REQUEST="true").content.decode()
    assert 'name="signed_on"' in body and 'name="contract_amount_cny"' in body and 'name="owner"' in body
    response = client.post(f"/projects/{project.pk}/move/", {"stage": "signed", "version": project.version})
    assert response.status_code == 400
    response = client.post(
        f"/projects/{project.pk}/move/",
        {
            "stage": "signed",
            "version": project.version,
            "owner": owner.pk,
            "signed_on": "2022-09-10",
            "contract_amount_cny": "4800000000",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == "signed"


def test_money_is_shown_in_yi_yuan(client_for, project, owner):
    assert "50亿元" in client_for(owner).get(f"/projects/{project.pk}/").content.decode()


def test_a_leader_sets_targets_in_wan_yuan_and_staff_may_not(client_for, leader, owner, units):
    from investdesk.projects.models import Target

    response = client_for(leader).post(
        "/projects/targets/set/?year=2022",
        {
            "unit": units.chengdu.pk,
            "signed_projects": 30,
            "signed_amount_wan": "6000000",
            "funds_in_place_wan": "0",
            "started_projects": 20,
        },
    )
    assert response.status_code == 302
    target = Target.objects.get(unit=units.chengdu, year=2022)
    assert target.signed_amount_cny == 60_000_000_000  # 600亿元
    response = client_for(owner).post(
        "/projects/targets/set/?year=2022",
        {
            "unit": units.chengdu.pk,
            "signed_projects": 1,
            "signed_amount_wan": "1",
            "funds_in_place_wan": "0",
            "started_projects": 0,
        },
    )
    assert response.status_code == 400
    assert Target.objects.get(unit=units.chengdu, year=2022).signed_projects == 30


def test_promotion_events_count_participants_and_projects(client_for, owner, project, chengdu_enterprise):
    import datetime

    from investdesk.projects import selectors, services

    client = client_for(owner)
    response = client.post(
        "/projects/events/new/",
        {
            "name": "投洽会四川专场",
            "kind": "fair",
            "starts_on": "2022-09-08",
            "ends_on": "2022-09-11",
            "place": "厦门",
            "status": "held",
        },
    )
    assert response.status_code == 302
    event = selectors.events_for_user(user=owner).get()
    services.event_add_participants(actor=owner, event=event, enterprises=[chengdu_enterprise])
    services.project_update(actor=owner, project=project, version=None, event=event)
    services.project_move_stage(
        actor=owner,
        project=project,
        to="signed",
        version=None,
        owner=owner,
        signed_on=datetime.date(2022, 9, 9),
        contract_amount_cny=100,
    )
    figures = selectors.event_figures(event=event)
    assert (figures.participants, figures.projects_sourced, figures.projects_signed) == (1, 1, 1)
    from investdesk.projects.tests.test_api import _auth

    api = client_for(owner).get(f"/api/v1/events/{event.pk}", **_auth(owner)).json()
    assert api["participant_ids"] == [chengdu_enterprise.pk] and api["figures"]["projects_signed"] == 1
    bad = client.post(
        "/projects/events/new/",
        {
            "name": "x",
            "kind": "fair",
            "starts_on": "2022-09-08",
            "ends_on": "2022-09-01",
            "place": "厦门",
            "status": "held",
        },
    )
    assert bad.status_code == 400 and "ends_on" in bad.context["form"].errors


def test_target_figures_drill_down_to_their_projects(client_for, owner, project, units):
    import datetime

    from investdesk.projects import services

    services.project_move_stage(
        actor=owner,
        project=project,
        to="signed",
        version=None,
        owner=owner,
        signed_on=datetime.date(2022, 9, 9),
        contract_amount_cny=100,
    )
    client = client_for(owner)
    body = client.get(f"/projects/list/?unit={units.chengdu.pk}&signed_year=2022").content.decode()
    assert project.name in body
    assert project.name not in client.get(f"/projects/list/?unit={units.chengdu.pk}&signed_year=2021").content.decode()


def test_a_promotion_plan_converts_targets_into_linked_projects(client_for, owner, chengdu_enterprise, industry):
    from investdesk.projects.models import PlanTarget, Project

    client = client_for(owner)
    response = client.post("/projects/plans/new/", {"name": "电子信息产业链招商方案", "industry": industry.pk})
    plan_url = response["Location"]
    client.post(plan_url, {"prospects": "深圳某某半导体有限公司\n"})
    targets = PlanTarget.objects.order_by("id")
    assert targets.count() == 1 and targets[0].enterprise.status == "prospective"
    target = targets[0]
    client.post(f"/projects/plan-targets/{target.pk}/", {"status": "interested", "note": "有意向"})
    target.refresh_from_db()
    assert target.status == "interested"
    page = client.get(f"/projects/new/?plan_target={target.pk}")
    assert page.context["form"].initial["investor"] == target.enterprise_id
    response = client.post(
        "/projects/new/",
        {
            "plan_target": target.pk,
            "name": "半导体封测项目",
            "investor": target.enterprise_id,
            "currency": "CNY",
            "kind": "new",
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == "project_created" and target.project == Project.objects.get(name="半导体封测项目")
    assert "1" in client.get(plan_url).content.decode()


def test_the_targets_page_shows_the_quarterly_split_and_the_schedule(client_for, leader, units):
    response = client_for(leader).post(
        "/projects/targets/set/?year=2022",
        {
            "unit": units.chengdu.pk,
            "signed_projects": 10,
            "signed_amount_wan": "0",
            "funds_in_place_wan": "0",
            "started_projects": 0,
            "q1_pct": 10,
            "q2_pct": 60,
            "q3_pct": 50,
        },
    )
    assert response.status_code == 400 and "q2_pct" in response.context["target_form"].errors
    client_for(leader).post(
        "/projects/targets/set/?year=2022",
        {
            "unit": units.chengdu.pk,
            "signed_projects": 10,
            "signed_amount_wan": "0",
            "funds_in_place_wan": "0",
            "started_projects": 0,
            "q1_pct": 10,
            "q2_pct": 40,
            "q3_pct": 70,
        },
    )
    page = client_for(leader).get("/projects/targets/?year=2022&as_of=2022-09-30")
    html = page.content.decode()
    assert "10/40/70/100%" in html and "70.0%" in html and 'id="schedule"' in html


def test_a_target_just_saved_shows_at_once_though_the_page_keeps_snapshots(client_for, leader, units):
    client = client_for(leader)
    before = client.get("/projects/targets/?year=2022&as_of=2022-09-30").content.decode()
    assert "数据更新于" in before and units.chengdu.name not in _progress_table(before)
    response = client.post(
        "/projects/targets/set/?year=2022",
        {"unit": units.chengdu.pk, "signed_projects": 30, "signed_amount_wan": "100", "funds_in_place_wan": "0",
         "started_projects": 2},
        follow=True,
    )  # fmt: skip
    assert "refresh" not in response.redirect_chain[-1][0]  # the write dropped the page's snapshot
    assert units.chengdu.name in _progress_table(response.content.decode())


def _progress_table(page: str) -> str:
    return page.split('id="progress"')[1].split("</table>")[0]


def test_a_board_card_shows_what_it_did_and_moves_to_every_other_stage(client_for, project, owner):
    from investdesk.projects.models import Project

    Project.objects.filter(pk=project.pk).update(is_watched=True, status="delayed", city="chengdu")
    body = client_for(owner).get("/projects/?q=").content.decode()
    card = body[body.index(f'data-id="{project.pk}"') :]
    card = card[: card.index("</article>")]
    assert f'data-move="/projects/{project.pk}/move/"' in card and f'href="/projects/{project.pk}/"' in card
    assert project.name in card and project.investor.name in card and "成都市" in card
    assert '<span class="badge text-bg-danger">' in card and '<span class="badge text-bg-warning">' in card
    options = card[card.index("<select") : card.index("</select>")]
    assert options.count("<option") == 6 and 'value="lead"' not in options and 'value="intention"' in options
    assert 'name="next" value="/projects/?q="' in card


def _queries_and_cards(client, url: str) -> tuple[int, int]:
    """How many queries a board page (or a column's 更多) runs, and how many cards it shows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        body = client.get(url).content.decode()
    return len(captured), body.count('class="card mb-2 id-card')


def test_the_board_runs_as_many_queries_whatever_the_projects(client_for, project, owner):
    from investdesk.projects import services

    client = client_for(owner)
    client.get("/projects/")
    before, _cards = _queries_and_cards(client, "/projects/")
    for i in range(6):
        services.project_create(actor=owner, name=f"项目{i}", investor=project.investor)
    after, cards = _queries_and_cards(client, "/projects/")
    assert cards == 7
    assert before == after


def test_more_adds_a_columns_next_cards_under_the_boards_filters(client_for, project, owner, outsider, monkeypatch):
    from investdesk.projects import selectors, services

    monkeypatch.setattr(selectors, "BOARD_CARDS", 2)
    for i in range(4):
        services.project_create(actor=owner, name=f"甲乙{i}", investor=project.investor)
    client = client_for(owner)
    board = client.get("/projects/?q=甲乙").content.decode()  # the four, not the fixture's project
    more = board[board.index('class="btn btn-sm btn-outline-primary w-100 id-more"') :]
    assert 'hx-get="/projects/board/lead/?q=%E7%94%B2%E4%B9%99&amp;offset=2"' in more[: more.index(">")]
    assert board.count('class="card mb-2 id-card') == 2 and "查看全部 4 个项目" in board
    assert 'href="/projects/list/?q=%E7%94%B2%E4%B9%99&amp;stage=lead"' in board  # the list, as filtered
    page = client.get("/projects/board/lead/?q=甲乙&offset=2", HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert page.status_code == 200 and "<html" not in body
    assert [name for name in ("甲乙1", "甲乙0") if name in body] == ["甲乙1", "甲乙0"] and "甲乙3" not in body
    assert "id-more" not in body  # the last ones
    assert 'name="next" value="/projects/?q=%E7%94%B2%E4%B9%99"' in body  # a move returns to the board
    # Another unit sees none of them; a bad offset or stage is refused.
    assert "甲乙" not in client_for(outsider).get("/projects/board/lead/?offset=0").content.decode()
    assert client.get("/projects/board/lead/?offset=-1").status_code == 400
    assert client.get("/projects/board/lead/?offset=x").status_code == 400
    refused = client.get(f"/projects/board/lead/?offset={10**20}")
    assert refused.status_code == 400 and "offset" in refused.content.decode()
    assert client.get("/projects/board/nonsense/?offset=0").status_code == 404


def test_more_runs_as_many_queries_whatever_the_cards(client_for, project, owner, monkeypatch):
    from investdesk.projects import selectors, services

    monkeypatch.setattr(selectors, "BOARD_CARDS", 10)
    client = client_for(owner)
    client.get("/projects/board/lead/?offset=0")
    before, cards = _queries_and_cards(client, "/projects/board/lead/?offset=0")
    assert cards == 1
    for i in range(8):
        services.project_create(actor=owner, name=f"甲乙{i}", investor=project.investor)
    after, cards = _queries_and_cards(client, "/projects/board/lead/?offset=0")
    assert cards == 9
    assert before == after
