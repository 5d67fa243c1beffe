"""A person's journey in Debian's Chromium, driven by Playwright (no browser is ever downloaded)."""

import pytest

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_sign_in_search_the_directory_and_switch_language(page, live_server, owner, colleague, outsider, password):
    page.goto(f"{live_server.url}/")
    assert page.title().startswith("登录")
    page.fill("#id_username", "alice")
    page.fill("#id_password", password)
    page.click("button[type=submit], form button.btn-primary")
    page.wait_for_url(f"{live_server.url}/")
    assert "成都市投资促进局" in page.inner_text("main")

    page.click("text=通讯录")
    page.wait_for_url("**/directory/")
    page.fill("input[name=q]", "yf")  # pinyin initials of 杨帆
    page.wait_for_function("() => document.querySelectorAll('#rows tbody tr').length === 1")
    assert colleague.name in page.inner_text("#rows")
    assert outsider.name not in page.inner_text("#rows")
    assert "q=yf" in page.url  # htmx pushed the search into the address bar

    with page.expect_navigation():
        page.select_option("header select[name=language]", "en")
    assert "Directory" in page.inner_text("nav")


@pytest.mark.django_db(transaction=True)
def test_wrong_password_shows_a_chinese_message(page, live_server, owner):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "wrong-password")
    page.click("form button.btn-primary")
    assert "用户名" in page.inner_text(".alert-danger") or "密码" in page.inner_text(".alert-danger")
