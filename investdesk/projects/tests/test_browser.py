"""Drag a card to 已签约 on the board, fill in what the stage needs, and see the target progress change."""

import datetime
from decimal import Decimal

import pytest

from investdesk.core.tests.browser import sign_in
from investdesk.projects import services
from investdesk.projects.models import Project

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_drag_a_card_to_signed_and_see_the_target_progress(
    page, live_server, owner, leader, units, chengdu_enterprise, password
):
    year = datetime.date.today().year
    services.target_set(
        actor=leader, unit=units.chengdu, year=year, signed_projects=2, signed_amount_cny=Decimal("1000000000")
    )
    project = services.project_create(
        actor=owner,
        name="比亚迪成都基地项目",
        investor=chengdu_enterprise,
        amount=Decimal("500000000"),
        expected_signing_on=datetime.date.today(),
    )
    sign_in(page, live_server, "alice", password)

    page.goto(f"{live_server.url}/projects/targets/")
    assert "0 / 2" in page.inner_text("#progress")

    page.goto(f"{live_server.url}/projects/")
    # Grab the card by its edge (its middle holds the keyboard "move to" menu).
    page.drag_and_drop(
        f"article[data-id='{project.pk}']", ".id-drop[data-stage=signed]", source_position={"x": 3, "y": 3}
    )
    page.wait_for_selector("#move-modal.show #move-form")
    page.select_option("#move-form select[name=owner]", str(owner.pk))
    page.fill("#move-form input[name=signed_on]", datetime.date.today().isoformat())
    page.fill("#move-form input[name=contract_amount_cny]", "500000000")
    page.click("#move-form button.btn-primary")
    page.wait_for_url("**/projects/")
    assert Project.objects.get(pk=project.pk).stage == "signed"

    page.goto(f"{live_server.url}/projects/targets/")
    progress = page.inner_text("#progress")
    assert "1 / 2" in progress and "5亿元 / 10亿元" in progress
