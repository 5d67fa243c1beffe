"""Browser-side hardening (MLPS 2.0 level 3, OWASP ASVS L2 V14.4, V8.2): the security headers, no
inline script or event handler in any page, and `check --deploy` clean with production settings."""

import datetime
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from investdesk.core.tests.browser import sign_in
from investdesk.emergency import services as emergency_services
from investdesk.emergency.models import Incident

PACKAGE = Path(__file__).resolve().parents[2]  # investdesk/


def directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_every_page_has_a_content_security_policy_without_inline_scripts(client, client_for, owner):
    for response in (client.get("/login/"), client_for(owner).get("/")):
        assert response.status_code == 200
        csp = directives(response["Content-Security-Policy"])
        assert csp["script-src"] == ["'self'"]  # neither 'unsafe-inline' nor 'unsafe-eval'
        assert csp["default-src"] == ["'self'"]
        assert csp["style-src-elem"] == ["'self'"]  # no <style> element but ours
        assert csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'self'"]
        assert csp["form-action"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert "Content-Security-Policy-Report-Only" not in response


def test_the_policy_can_be_tried_in_report_only_mode(tmp_path):
    env = {**os.environ, "CSP_REPORT_ONLY": "1", "CSP_REPORT_URI": "/csp-report", "VAR_DIR": str(tmp_path)}
    script = (
        "from django.conf import settings; from investdesk.core.headers import policy_header; "
        "print(repr(policy_header(settings.SECURE_CSP))); print(policy_header(settings.SECURE_CSP_REPORT_ONLY))"
    )
    result = subprocess.run(
        [sys.executable, "-m", "investdesk.cli", "shell", "-c", script], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    enforced, report_only = result.stdout.splitlines()[-2:]
    assert enforced == "''"
    assert "frame-ancestors 'none'" in report_only and report_only.endswith("report-uri /csp-report")


def test_signed_in_pages_and_api_answers_are_not_stored(client, client_for, owner, chengdu_enterprise):
    signed_in = client_for(owner)
    for response in (
        signed_in.get("/"),
        signed_in.get(f"/enterprises/{chengdu_enterprise.pk}/"),  # personal data
        signed_in.get("/api/v1/enterprises"),
        client.get("/api/v1/enterprises"),  # 401, still not stored
    ):
        assert response.status_code in (200, 401)
        assert response["Cache-Control"] == "no-store"
        assert response["Pragma"] == "no-cache"
    login = client.get("/login/")  # never_cache chose its own (also no-store); it is kept
    assert "no-store" in login["Cache-Control"] and "max-age=0" in login["Cache-Control"]


def test_static_files_keep_their_caching(client):
    response = client.get(f"{settings.STATIC_URL}investdesk/app.js")
    assert response.status_code == 200, "run `investdesk collectstatic` first, as `make test` does"
    assert "max-age" in response["Cache-Control"] and "no-store" not in response["Cache-Control"]
    assert "Pragma" not in response


def test_https_responses_have_hsts_and_nosniff(client):
    assert settings.HTTPS, "the tests run with USE_HTTPS=1, as production"
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


class InlineCode(HTMLParser):
    """Collects inline scripts (a <script> without src that is not a JSON data block), event handler
    attributes (onclick=…), htmx's hx-on attributes and javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src") and attributes.get("type") != "application/json":
            self.found.append(f"<script {attrs}>")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on") or name.startswith("data-hx-on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_main_pages_have_no_inline_script_or_event_handler(client_for, leader, chengdu_enterprise):
    incident = emergency_services.incident_create(
        actor=leader, name="泸定6.8级地震", kind=Incident.Kind.EARTHQUAKE, starts_on=datetime.date.today()
    )
    client = client_for(leader)
    for path in [
        "/",
        "/enterprises/",
        f"/enterprises/{chengdu_enterprise.pk}/",
        f"/enterprises/{chengdu_enterprise.pk}/visits/new/",
        "/reports/",
        "/projects/",
        f"/emergency/donations/new/?incident={incident.pk}",
        f"/emergency/donations/?incident={incident.pk}",
        "/directory/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert inline_code(html) == [], path
        assert re.search(r'<script src="/static/investdesk/app(\.\w+)?\.js" defer>', html), path
    # The charts' data: JSON in each panel's attribute, not a script; also in a panel fetched on its own.
    assert 'data-charts="[{' in client.get("/reports/?refresh=1").content.decode()
    panel = client.get("/reports/sections/aftercare/").content.decode()
    assert 'data-charts="[{' in panel and inline_code(panel) == []


def test_no_template_has_inline_script_or_event_handler():
    offenders = {}
    for template in PACKAGE.rglob("templates/**/*.html"):
        found = inline_code(template.read_text(encoding="utf-8"))
        if found:
            offenders[str(template.relative_to(PACKAGE))] = found
    assert offenders == {}


def test_the_parser_would_notice_inline_code():
    assert inline_code('<script>alert(1)</script><script src="/static/x.js"></script>') == ["<script []>"]
    assert inline_code('<script type="application/json" id="d">{}</script>') == []
    assert len(inline_code("<button onclick=\"print()\"><form hx-on::after-request='x()'>")) == 2
    assert len(inline_code('<a href=" JavaScript:alert(1)">')) == 1


def test_check_deploy_is_clean_in_production(tmp_path, holidays_known):
    env = {
        **os.environ,
        "DEBUG": "0",
        "USE_HTTPS": "1",
        "SECURE_SSL_REDIRECT": "1",
        "SECRET_KEY": "p7Hq-Zx9#qL2w!vR8tN4yB6uK0eS3dF5gJ1mC7aX9zQ2rT6hW4nY8bV0kP3sD5fG",
        "ALLOWED_HOSTS": "investdesk.example.gov.cn",
        "CSRF_TRUSTED_ORIGINS": "https://investdesk.example.gov.cn",
        "PERSONAL_DATA_KEYS": "k1:00112233445566778899aabbccddeeff",
        "PERSONAL_DATA_INDEX_KEY": "ffeeddccbbaa99887766554433221100",
        "AUDIT_HMAC_KEY": "a3f1c9e7b5d20486f1e3c5a79b2d4f60",
        "VAR_DIR": str(tmp_path),
        # This year's and next year's holidays known, as a deployment keeps them (lib/workdays.py).
        "HOLIDAYS_FILE": str(holidays_known),
    }
    for name in (
        "SECRET_KEY_FILE",
        "DATABASE_URL",
        "CSP_REPORT_ONLY",
        "PERSONAL_DATA_KEYS_FILE",
        "AUDIT_HMAC_KEY_FILE",
    ):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "investdesk.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- in Chromium: the policy blocks nothing the pages need ------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_work_under_the_policy_in_chromium(page, live_server, leader, password, chengdu_enterprise):
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    incident = emergency_services.incident_create(
        actor=leader, name="泸定6.8级地震", kind=Incident.Kind.EARTHQUAKE, starts_on=datetime.date.today()
    )
    sign_in(page, live_server, "leader", password)

    # The dashboard draws its charts (ECharts, from the JSON block, without eval).
    page.goto(f"{live_server.url}/reports/")
    page.wait_for_selector(".id-chart svg")

    # The pledge form shows the fields of the donor type chosen (data-field-groups).
    page.goto(f"{live_server.url}/emergency/donations/new/?incident={incident.pk}")
    page.select_option("select[name=donor_kind]", "person")
    assert page.is_visible("[name=donor_name]") and not page.is_visible("[name=enterprise]")
    page.select_option("select[name=kind]", "goods")
    assert page.is_visible("[name=item]") and not page.is_visible("[name=amount]")

    # The enterprise list: filtering through htmx carries the filters to the export link.
    page.goto(f"{live_server.url}/enterprises/")
    with page.expect_response(lambda r: "/enterprises/?" in r.url):
        page.fill("#filters input[name=q]", "比亚迪")
    # A function, not a string: Playwright evaluates a string predicate with eval, which the policy blocks.
    page.wait_for_function("() => document.getElementById('export-link').getAttribute('href').includes('q=')")
    assert "/enterprises/export.xlsx?q=" in page.get_attribute("#export-link", "href")

    # A data-confirm form asks first; dismissing it sends nothing.
    contact = chengdu_enterprise.contacts.get()
    page.goto(f"{live_server.url}/enterprises/{chengdu_enterprise.pk}/contacts/{contact.pk}/")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("form[data-confirm] button")
    assert asked and page.url.endswith(f"/contacts/{contact.pk}/")
    assert chengdu_enterprise.contacts.filter(pk=contact.pk).exists()

    # The language switch submits on change (data-autosubmit).
    with page.expect_navigation():
        page.select_option("header select[name=language]", "en")
    assert "Enterprises" in page.inner_text("nav")

    assert violations == []
