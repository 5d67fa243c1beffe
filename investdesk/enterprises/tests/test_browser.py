"""The registry as a person uses it: search by pinyin, open the 360 page, record a visit."""

import pytest

from investdesk.enterprises.models import Visit

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_find_an_enterprise_by_pinyin_and_record_a_visit(page, live_server, owner, chengdu_enterprise, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", password)
    page.click("form button.btn-primary")
    page.wait_for_url(f"{live_server.url}/")

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
