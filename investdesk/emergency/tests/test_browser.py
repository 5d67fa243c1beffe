"""A member of staff logs a stint on a phone-sized screen and sees the incident's figures change."""

import datetime

import pytest

from investdesk.core.tests.browser import sign_in
from investdesk.emergency import services

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_log_a_stint_and_see_the_figures_change(page, live_server, owner, leader, password):
    today = datetime.date.today()
    incident = services.incident_create(
        actor=leader, name="成都疫情静默管理", kind="epidemic", starts_on=today - datetime.timedelta(days=3)
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "alice", password)

    page.goto(f"{live_server.url}/emergency/incidents/{incident.pk}/")
    assert "0" in page.inner_text("#volunteer-figures")

    page.goto(f"{live_server.url}/emergency/volunteer/log/?incident={incident.pk}")
    page.fill("#volunteer-form input[name=district]", "武侯区")
    page.fill("#volunteer-form input[name=community]", "玉林社区")
    page.check("#volunteer-form input[name=tasks][value=testing]")
    page.fill("#volunteer-form input[name=tests_assisted]", "50785")
    page.click("#volunteer-form button.btn-success")
    page.wait_for_selector(".alert-success")

    page.goto(f"{live_server.url}/emergency/incidents/{incident.pk}/")
    figures = page.inner_text("#volunteer-figures")
    assert "50785" in figures and "1" in figures
