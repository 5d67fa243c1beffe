"""The campaign page shows delivery progress live, without a reload, while a worker sends."""

import threading

import pytest

from investdesk.core.tests.browser import sign_in
from investdesk.outreach import delivery, services
from investdesk.outreach.testing import smtp_server

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_the_progress_bar_follows_delivery(page, live_server, owner, leader, chengdu_enterprise, password, settings):
    chengdu_enterprise.contacts.update(preferred_channel="email")
    campaign = services.campaign_create(
        actor=owner, name="中秋致企业家的一封信", subject="相信四川 相信未来", body="{{联系人}}：您好！",
        enterprises=[chengdu_enterprise],
    )  # fmt: skip
    services.campaign_submit(actor=owner, campaign=campaign, version=None)
    services.campaign_approve(actor=leader, campaign=campaign, version=None)
    sign_in(page, live_server, "alice", password)
    page.goto(f"{live_server.url}/outreach/{campaign.pk}/")
    page.wait_for_selector('#progress[data-sent="0"][data-total="1"]')
    with smtp_server() as inbox:
        inbox.configure(settings)
        worker = threading.Thread(target=delivery.run, kwargs={"campaign_id": campaign.pk})
        worker.start()
        worker.join(30)
        assert inbox.count == 1
    # The page was not reloaded: htmx polls the progress fragment and swaps it in.
    page.wait_for_selector('#progress[data-sent="1"]', timeout=15000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
