"""The registry as a person uses it: search by pinyin, open the 360 page, record a visit."""

import re

import pytest
from django.http import QueryDict

from investdesk.core.tests.browser import sign_in
from investdesk.enterprises import services as enterprise_services
from investdesk.enterprises.models import Visit

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_find_an_enterprise_by_pinyin_and_record_a_visit(page, live_server, owner, chengdu_enterprise, password):
    sign_in(page, live_server, "alice", password)

    page.click("nav >> text=企业库")
    page.fill("#filters input[name=q]", "byd")
    page.wait_for_function(
        "() => document.querySelectorAll('#rows tbody tr').length === 1 && "
        "document.querySelector('#rows').innerText.includes('比亚迪')"
    )
    assert "138****8888" in page.inner_text("#rows")
    page.click("#rows >> text=比亚迪股份有限公司")
    page.wait_for_url(f"**/enterprises/{chengdu_enterprise.pk}/")
    assert "王磊" in page.inner_text("main")

    page.click("text=记录走访")
    page.fill("textarea[name=summary]", "线上走访，了解复工复产情况")
    page.fill("textarea[name=problems]", "跨省运输受阻\n缺少货车通行证")
    page.select_option("select[name=mode]", "video")
    page.click("form[method=post] button.btn-primary")
    page.wait_for_url("**/enterprises/visits/*/")
    assert "跨省运输受阻" in page.inner_text("main")
    visit = Visit.objects.get()
    assert visit.problems.count() == 2 and visit.mode == "video"


@pytest.mark.django_db(transaction=True)
def test_write_to_these_takes_the_search_typed_since_the_page_loaded(
    page, live_server, owner, chengdu_enterprise, password
):
    """Regression: “给这些企业写信” kept the filters the list was loaded with, not the search typed since
    (htmx updates only the rows), so the campaign went to another audience than the list shown."""
    enterprise_services.enterprise_create(actor=owner, name="宁德时代新能源科技股份有限公司", city="chengdu")
    sign_in(page, live_server, "alice", password)

    page.goto(f"{live_server.url}/enterprises/?city=chengdu")
    page.fill("#filters input[name=q]", "byd")
    page.wait_for_function("() => document.querySelectorAll('#rows tbody tr').length === 1")
    # The links follow the form after each search, all in one go: the export link as its query…
    page.wait_for_function("() => document.querySelector('#export-link').href.includes('byd')")
    assert re.search(r"/enterprises/export\.xlsx\?q=byd&city=chengdu&", page.get_attribute("#export-link", "href"))
    # …and the new campaign's link as its one `filters` parameter.
    assert re.search(r"/outreach/new/\?filters=q%3Dbyd%26city%3Dchengdu%26", page.get_attribute("#write-link", "href"))
    page.click("#write-link")
    page.wait_for_url("**/outreach/new/**")
    filters = QueryDict(page.input_value("input[name=filters]"))
    assert filters["q"] == "byd" and filters["city"] == "chengdu"
