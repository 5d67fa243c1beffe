"""From a visit to a closed case, in Chromium: staff raise it, the dispatcher assigns it, the
Chengdu bureau accepts and resolves it, the dispatcher follows up and closes it."""

import pytest

from investdesk.cases.models import Case

pytestmark = [pytest.mark.browser]


@pytest.fixture(autouse=True)
def clock():
    """The browser journey runs on the real clock (the live server is another thread)."""
    yield None


def _sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/login/")
    if page.url.endswith("/login/") and page.locator("#id_username").count() == 0:
        return
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button.btn-primary")
    page.wait_for_url(f"{live_server.url}/")


def _sign_out(page):
    page.click("header .dropdown-toggle")
    page.click("text=退出登录")
    page.wait_for_url("**/login/")


def _act(page, action: str, fields: dict | None = None):
    form = page.locator(f"form:has(input[name=action][value={action}])")
    for name, value in (fields or {}).items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.locator("button").click()
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_from_a_visit_to_a_closed_case(page, live_server, owner, dispatcher, units, chengdu_enterprise, password):
    from investdesk.cases.models import CaseCategory

    CaseCategory.objects.get_or_create(code="logistics", defaults={"name": "物流运输"})
    _sign_in(page, live_server, "alice", password)
    page.goto(f"{live_server.url}/enterprises/{chengdu_enterprise.pk}/visits/new/")
    page.fill("textarea[name=problems]", "跨省运输受阻，原材料无法进厂")
    page.click("form[method=post] button.btn-primary")
    page.wait_for_url("**/enterprises/visits/*/")
    page.click("text=转为诉求")
    page.select_option("select[name=category]", label="物流运输")
    page.click("form button.btn-primary")
    page.wait_for_url("**/cases/*/")
    case = Case.objects.get()
    assert case.status == "registered"
    _sign_out(page)

    _sign_in(page, live_server, "dispatcher", password)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    _act(page, "assign", {"lead_unit": str(units.chengdu.pk)})
    assert Case.objects.get().status == "assigned"
    _sign_out(page)

    _sign_in(page, live_server, "alice", password)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    _act(page, "accept")
    _act(page, "resolve", {"resolution": "已协调交通运输部门办理通行证"})
    assert Case.objects.get().status == "resolved"
    _sign_out(page)

    _sign_in(page, live_server, "dispatcher", password)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    _act(page, "follow_up", {"satisfaction": "satisfied", "note": "企业表示满意"})
    _act(page, "close")
    assert Case.objects.get().status == "closed"
    assert "已关闭" in page.inner_text("main") or "Closed" in page.inner_text("main")
