"""A person's journey in Debian's Chromium, driven by Playwright (no browser is ever downloaded)."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (`apt-get install chromium`); CI installs it",
    ),
]


@pytest.fixture
def page(live_server, monkeypatch, settings):
    from playwright.sync_api import sync_playwright

    # The live server serves static files through the finders, which know the source names,
    # not the hashed names of the manifest storage production uses.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    # Playwright's sync API runs an event loop in this thread; the ORM calls our fixtures make
    # from the same thread are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        browser.close()


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
    page.wait_for_function("document.querySelectorAll('#rows tbody tr').length === 1")
    assert colleague.name in page.inner_text("#rows")
    assert outsider.name not in page.inner_text("#rows")
    assert "q=yf" in page.url  # htmx pushed the search into the address bar

    page.select_option("header select[name=language]", "en")
    page.wait_for_load_state()
    assert "Directory" in page.inner_text("nav")


@pytest.mark.django_db(transaction=True)
def test_wrong_password_shows_a_chinese_message(page, live_server, owner):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "wrong-password")
    page.click("form button.btn-primary")
    assert "用户名" in page.inner_text(".alert-danger") or "密码" in page.inner_text(".alert-danger")
