"""The core journey of every module, done in Chromium as people do it in the Simplified Chinese UI:
they sign in on the login page, find an enterprise by pinyin, record a visit and raise a case from
it, which the dispatcher assigns to a department that resolves it, and which is followed up and
closed; a project moves to 已签约 on the board; a campaign is written, approved and sent while its
page shows the progress up to 100%; a volunteer stint and a donation are logged; a work bulletin is
drafted and downloaded as Word.

Services only seed the records a journey starts from; every step of the journey itself is a click,
a key typed or an option chosen. Each journey checks what the page shows and what the database
holds, so it fails when the feature breaks."""

import datetime
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.utils import timezone
from docx import Document
from playwright.sync_api import Page, expect

from investdesk.cases.models import Case, CaseCategory
from investdesk.core.models import AuditEntry, LoginSession
from investdesk.emergency import services as emergency_services
from investdesk.emergency.models import Donation, VolunteerService
from investdesk.enterprises import services as enterprise_services
from investdesk.enterprises.models import Visit
from investdesk.outreach import delivery
from investdesk.outreach.models import Campaign, Message
from investdesk.outreach.testing import smtp_server
from investdesk.projects import services as project_services
from investdesk.reports.models import Bulletin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# --- what a person does -------------------------------------------------------------------------


def sign_in(page: Page, live_server, user, password: str) -> None:
    """Through the login page, as the user types it; lands on the home page with their name shown."""
    page.goto(f"{live_server.url}/")
    page.wait_for_url("**/login/**")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("header")).to_contain_text(user.name)


def sign_out(page: Page) -> None:
    page.locator("header .dropdown-toggle").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login/**")


def open_module(page: Page, label: str) -> None:
    """Click a module in the sidebar (企业库, 诉求办理, …) and wait for its page."""
    # By its text: the accessible name also holds the icon font's private-use character.
    link = page.locator("nav.id-sidebar a.nav-link", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    with page.expect_navigation():
        link.click()


def submit(page: Page, button) -> None:
    """Click a button that submits a form and wait for the page the server answers with."""
    with page.expect_navigation():
        button.click()


def case_action(page: Page, label: str, fields: dict | None = None) -> None:
    """On a case page, fill the card of one action (交办, 签收, 办结, …) and press its button."""
    form = page.locator("form[action$='/act/']").filter(has=page.get_by_role("button", name=label, exact=True))
    for name, value in (fields or {}).items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    submit(page, form.get_by_role("button", name=label, exact=True))
    expect(page.locator("main > .alert-success")).to_contain_text("操作成功")


def case_status(page: Page) -> str:
    return page.locator("main h1 + div .badge").first.inner_text()


# --- records the journeys start from ----------------------------------------------------------------


@pytest.fixture
def catl(owner, industry):
    """A second Chengdu enterprise, reachable by email: a search for 比亚迪 must leave it out."""
    enterprise = enterprise_services.enterprise_create(
        actor=owner, name="宁德时代新能源科技股份有限公司", city="chengdu", industry=industry, liaison=owner
    )
    enterprise_services.contact_create(
        actor=owner, enterprise=enterprise, name="陈思", title="副总裁", mobile="13812347777",
        email="chensi@catl.example.com", preferred_channel="email",
    )  # fmt: skip
    return enterprise


@pytest.fixture
def incident(leader):
    started = timezone.localdate() - datetime.timedelta(days=3)
    return emergency_services.incident_create(actor=leader, name="成都疫情静默管理", kind="epidemic", starts_on=started)


# --- 1. signing in ------------------------------------------------------------------------------------


def test_sign_in_through_the_login_page(page, live_server, owner, password):
    page.goto(f"{live_server.url}/cases/")
    page.wait_for_url("**/login/?next=/cases/")
    expect(page).to_have_title(re.compile("^登录"))

    page.fill("#id_username", "alice")
    page.fill("#id_password", "not-the-password")
    submit(page, page.get_by_role("button", name="登录", exact=True))
    expect(page.locator(".alert-danger")).to_contain_text("密码")
    assert not LoginSession.objects.exists()

    page.fill("#id_username", "alice")
    page.fill("#id_password", password)
    submit(page, page.get_by_role("button", name="登录", exact=True))
    page.wait_for_url(f"{live_server.url}/cases/")  # back where the person was going
    expect(page.locator("header")).to_contain_text("刘洋")
    expect(page.locator("header")).to_contain_text("成都市投资促进局")
    session = LoginSession.objects.get()
    assert session.user == owner and "Chrome" in session.user_agent
    owner.refresh_from_db()
    assert owner.last_login is not None

    sign_out(page)
    assert not LoginSession.objects.exists()
    logins = AuditEntry.objects.filter(action__in=["login_failed", "login", "logout"]).order_by("at", "id")
    assert list(logins.values_list("action", flat=True)) == ["login_failed", "login", "logout"]
    page.goto(f"{live_server.url}/cases/")
    page.wait_for_url("**/login/?next=/cases/")  # signed out for good


# --- 2. finding an enterprise by pinyin -----------------------------------------------------------


def test_find_an_enterprise_by_pinyin(page, live_server, owner, chengdu_enterprise, catl, password):
    sign_in(page, live_server, owner, password)
    open_module(page, "企业库")
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(2)

    search = page.locator("#filters input[name=q]")
    # Initials, full pinyin and characters, each after a search that showed the other enterprise, so
    # that every answer is a new one; htmx also puts the search in the address bar.
    for query, found in [("byd", "比亚迪股份有限公司"), ("ningde", "宁德时代新能源科技股份有限公司"),
                         ("biyadi", "比亚迪股份有限公司"), ("ndsd", "宁德时代新能源科技股份有限公司"),
                         ("比亚迪", "比亚迪股份有限公司")]:  # fmt: skip
        search.fill(query)
        expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(quote(query))))
        expect(rows.first).to_contain_text(found)
        expect(rows).to_have_count(1)

    with page.expect_navigation():
        rows.first.get_by_role("link", name="比亚迪股份有限公司").click()
    page.wait_for_url(f"**/enterprises/{chengdu_enterprise.pk}/")
    expect(page.locator("main h1")).to_have_text("比亚迪股份有限公司")
    expect(page.locator("main")).to_contain_text("王磊")


# --- 3 and 4. a visit, a case, its dispatch, resolution, follow-up and closing -----------------------


def test_from_a_visit_to_a_closed_case(
    page, live_server, owner, dispatcher, partner, units, chengdu_enterprise, password
):
    CaseCategory.objects.get_or_create(code="logistics", defaults={"name": "物流运输"})

    # The Chengdu officer finds 比亚迪, records the visit and turns its problem into a case.
    sign_in(page, live_server, owner, password)
    open_module(page, "企业库")
    page.locator("#filters input[name=q]").fill("biyadi")
    expect(page).to_have_url(re.compile("q=biyadi"))
    with page.expect_navigation():
        page.locator("#rows").get_by_role("link", name="比亚迪股份有限公司").click()
    with page.expect_navigation():
        page.get_by_role("link", name="记录走访").click()
    page.select_option("select[name=mode]", "on_site")
    page.select_option("select[name=status]", "completed")
    page.fill("textarea[name=summary]", "实地走访，了解复工复产情况")
    page.fill("textarea[name=problems]", "跨省运输受阻，原材料无法进厂")
    submit(page, page.locator("form[method=post]").get_by_role("button", name="保存"))
    expect(page.locator(".alert-success")).to_contain_text("走访记录已保存")
    visit = Visit.objects.get(enterprise=chengdu_enterprise)
    assert visit.status == "completed" and list(visit.staff.all()) == [owner]
    assert [p.description for p in visit.problems.all()] == ["跨省运输受阻，原材料无法进厂"]

    with page.expect_navigation():
        page.get_by_role("link", name="转为诉求").click()
    expect(page.locator("input[name=title]")).to_have_value("跨省运输受阻，原材料无法进厂")
    page.select_option("select[name=category]", label="物流运输")
    page.select_option("select[name=urgency]", "urgent")
    submit(page, page.get_by_role("button", name="受理诉求"))
    expect(page.locator(".alert-success")).to_contain_text("已受理")
    case = Case.objects.get()
    expect(page.locator("main")).to_contain_text(case.number)
    assert case.status == "registered" and case.visit == visit and case.problem == visit.problems.get()
    assert case.urgency == "urgent" and case.owner_unit == units.chengdu
    assert case_status(page) == "已受理"
    sign_out(page)

    # The dispatcher finds it among the unassigned cases and assigns it to 经信厅.
    sign_in(page, live_server, dispatcher, password)
    open_module(page, "诉求办理")
    expect(page.locator(".nav-tabs .active")).to_contain_text("待交办")
    with page.expect_navigation():
        page.locator("#rows").get_by_role("link", name=case.number).click()
    case_action(page, "交办", {"lead_unit": str(units.jingxin.pk), "note": "请经信厅牵头协调"})
    assert case_status(page) == "已交办"
    expect(page.locator("main")).to_contain_text("四川省经济和信息化厅")
    case.refresh_from_db()
    assert case.status == "assigned" and case.lead_unit == units.jingxin and case.due_on is not None
    sign_out(page)

    # 经信厅's officer accepts it from the unit's queue and resolves it.
    sign_in(page, live_server, partner, password)
    open_module(page, "诉求办理")
    expect(page.locator(".nav-tabs .active")).to_contain_text("待签收")
    with page.expect_navigation():
        page.locator("#rows").get_by_role("link", name=case.number).click()
    case_action(page, "签收")
    assert case_status(page) == "办理中"
    case_action(page, "办结", {"resolution": "已协调交通运输部门办理货车通行证"})
    assert case_status(page) == "已办结"
    expect(page.locator("main .card .alert-success")).to_contain_text("已协调交通运输部门办理货车通行证")
    case.refresh_from_db()
    assert case.status == "resolved" and case.lead_handler == partner and case.resolved_at is not None
    sign_out(page)

    # The Chengdu officer calls the enterprise back (回访) and closes the case.
    sign_in(page, live_server, owner, password)
    open_module(page, "诉求办理")
    with page.expect_navigation():
        page.locator(".nav-tabs").get_by_role("link", name=re.compile("待回访")).click()
    with page.expect_navigation():
        page.locator("#rows").get_by_role("link", name=case.number).click()
    case_action(page, "登记回访", {"satisfaction": "satisfied", "note": "企业表示满意"})
    assert case_status(page) == "已回访"
    case_action(page, "关闭")
    assert case_status(page) == "已关闭"
    case.refresh_from_db()
    assert case.status == "closed" and case.satisfaction == "satisfied" and case.closed_at is not None
    assert list(case.events.order_by("at", "id").values_list("action", "actor__username")) == [
        ("register", "alice"),
        ("assign", "dispatcher"),
        ("accept", "jingxin"),
        ("resolve", "jingxin"),
        ("follow_up", "alice"),
        ("close", "alice"),
    ]


# --- 5. the project board -----------------------------------------------------------------------------


def test_move_a_project_to_signed_on_the_board(page, live_server, owner, chengdu_enterprise, password):
    project = project_services.project_create(
        actor=owner,
        name="比亚迪成都基地项目",
        investor=chengdu_enterprise,
        amount=Decimal("500000000"),
        stage="intention",
        expected_signing_on=timezone.localdate(),
    )
    sign_in(page, live_server, owner, password)
    open_module(page, "招商项目")
    card = page.locator(f"article[data-id='{project.pk}']")
    expect(page.locator(".id-drop[data-stage=intention]").locator(card)).to_be_visible()

    # With the keyboard: the card's "移至" menu, to 在谈, whose page asks for the project's owner.
    card.get_by_label("移至 比亚迪成都基地项目").select_option("negotiating")
    with page.expect_navigation():
        card.get_by_role("button", name="移至").click()
    move = page.locator("#move-form")
    expect(move.locator("h2")).to_have_text("比亚迪成都基地项目 → 在谈")
    move.locator("select[name=owner]").select_option(label="刘洋（成都市）")
    submit(page, move.get_by_role("button", name="移动"))
    expect(page.locator("main > .alert-success")).to_contain_text("在谈")
    expect(page.locator(".id-drop[data-stage=negotiating]").locator(card)).to_be_visible()
    project.refresh_from_db()
    assert project.stage == "negotiating" and project.owner == owner

    # With the mouse: drag the card (by its edge) to 已签约; the dialog asks what signing needs.
    page.drag_and_drop(
        f"article[data-id='{project.pk}']", ".id-drop[data-stage=signed]", source_position={"x": 3, "y": 3}
    )
    dialog = page.locator("#move-modal.show #move-form")
    expect(dialog.locator("h2")).to_have_text("比亚迪成都基地项目 → 已签约")
    dialog.locator("input[name=signed_on]").fill(timezone.localdate().isoformat())
    dialog.locator("input[name=contract_amount_cny]").fill("480000000")
    submit(page, dialog.get_by_role("button", name="移动"))
    expect(page.locator("main > .alert-success")).to_contain_text("已签约")
    expect(page.locator(".id-drop[data-stage=signed]").locator(card)).to_be_visible()
    project.refresh_from_db()
    assert project.stage == "signed" and project.owner == owner
    assert project.signed_on == timezone.localdate() and project.contract_amount_cny == Decimal("480000000")


# --- 6. an outreach campaign --------------------------------------------------------------------


def test_write_approve_and_send_a_campaign(
    page, live_server, owner, leader, chengdu_enterprise, catl, password, settings
):
    chengdu_enterprise.contacts.update(preferred_channel="email")

    # The officer writes to the enterprises of a search (only 比亚迪) and submits the letter.
    sign_in(page, live_server, owner, password)
    open_module(page, "企业库")
    page.locator("#filters input[name=q]").fill("byd")
    expect(page.locator("#rows tbody tr")).to_have_count(1)
    write = page.get_by_role("link", name="给这些企业写信")
    expect(write).to_have_attribute("href", re.compile(r"filters=q%3Dbyd"))  # the search, not the page's first
    with page.expect_navigation():
        write.click()
    form = page.locator("#campaign-form")
    expect(form.locator("input[name=filters]")).to_have_value(re.compile("q=byd"))
    form.locator("input[name=name]").fill("中秋致企业家的一封信")
    form.locator("input[name=subject]").fill("相信四川 相信未来")
    form.locator("textarea[name=body]").fill("{{联系人}}：您好！\n\n感谢{{企业名称}}一直以来对四川发展的支持。")
    submit(page, form.get_by_role("button", name="保存草稿"))
    expect(page.locator("#preview")).to_contain_text("王磊：您好！")
    expect(page.locator("#audience-report")).to_contain_text("接收人1个")  # 宁德时代 is not in the search
    campaign = Campaign.objects.get()
    assert campaign.status == "draft" and campaign.created_by == owner
    submit(page, page.get_by_role("button", name="提交审批"))
    expect(page.locator(".alert-success")).to_contain_text("已提交审批")
    assert Campaign.objects.get().status == "submitted"
    sign_out(page)

    # The leader approves it; the campaign page then shows its delivery.
    sign_in(page, live_server, leader, password)
    open_module(page, "一封信与群发")
    with page.expect_navigation():
        page.get_by_role("link", name="中秋致企业家的一封信").click()
    # Hold the page's progress polls while the worker runs: on SQLite the live server and this thread
    # share one database connection, so they must not use it at the same time.
    held = []
    page.route("**/progress/", lambda route: held.append(route))
    submit(page, page.get_by_role("button", name="审批并发送"))
    expect(page.locator(".alert-success")).to_contain_text("已审批")
    progress = page.locator("#progress")
    expect(progress).to_have_attribute("data-sent", "0")
    expect(progress).to_have_attribute("data-total", "1")
    assert Campaign.objects.get().status == "sending"

    with smtp_server() as inbox:  # the delivery worker, in this thread
        inbox.configure(settings)
        counts = delivery.run(campaign_id=campaign.pk)
        assert counts == {"sent": 1}
        assert inbox.count == 1
        [(recipients, message)] = inbox.messages
    assert recipients == ["wanglei@byd.example.com"] and message["Subject"] == "相信四川 相信未来"
    assert Campaign.objects.get().status == "done"
    assert list(Message.objects.values_list("state", flat=True)) == ["sent"]

    page.unroute("**/progress/")
    for route in held:
        route.continue_()
    # The page follows the delivery without a reload: htmx polls the progress fragment.
    expect(progress).to_have_attribute("data-sent", "1", timeout=15_000)
    expect(progress.locator(".progress-bar.bg-success")).to_have_attribute("style", re.compile(r"width: 100%"))
    expect(progress).to_contain_text("已发送1 / 共1")
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    page.reload()
    expect(page.locator("main h1 .badge")).to_have_text("已发送")


# --- 7. a volunteer stint --------------------------------------------------------------------------


def test_log_a_volunteer_stint(page, live_server, owner, incident, password):
    sign_in(page, live_server, owner, password)
    open_module(page, "应急保障")
    with page.expect_navigation():
        page.get_by_role("link", name="成都疫情静默管理").click()
    with page.expect_navigation():
        page.locator(".nav-tabs").get_by_role("link", name="志愿服务").click()
    stints = page.locator("main .col-lg-8 table tbody")
    expect(stints).to_contain_text("尚无服务记录")
    with page.expect_navigation():
        page.get_by_role("link", name="登记我的志愿服务").click()

    form = page.locator("#volunteer-form")
    form.locator("input[name=district]").fill("武侯区")
    form.locator("input[name=community]").fill("玉林社区")
    form.locator("label", has=page.locator("input[name=tasks][value=testing]")).click()
    form.locator("input[name=tests_assisted]").fill("320")
    submit(page, form.get_by_role("button", name="登记"))
    expect(page.locator(".alert-success")).to_contain_text("服务已登记")
    expect(page.locator("main .list-group")).to_contain_text("武侯区玉林社区")

    stint = VolunteerService.objects.get()
    assert (stint.person, stint.incident, stint.district, stint.community) == (owner, incident, "武侯区", "玉林社区")
    assert stint.tasks == ["testing"] and stint.tests_assisted == 320 and stint.on == timezone.localdate()

    with page.expect_navigation():
        page.get_by_role("link", name="成都疫情静默管理").click()
    expect(stints.locator("tr")).to_have_count(1)
    expect(stints).to_contain_text("刘洋")
    expect(stints).to_contain_text("武侯区玉林社区")
    expect(stints).to_contain_text("320")
    expect(page.locator("#volunteer-figures")).to_contain_text("320")


# --- 8. a donation -------------------------------------------------------------------------------------


def test_record_a_donation_and_its_receipt(page, live_server, owner, incident, chengdu_enterprise, password):
    sign_in(page, live_server, owner, password)
    open_module(page, "应急保障")
    with page.expect_navigation():
        page.get_by_role("link", name="成都疫情静默管理").click()
    with page.expect_navigation():
        page.locator(".nav-tabs").get_by_role("link", name="捐款捐物").click()
    with page.expect_navigation():
        page.get_by_role("link", name="登记认捐").click()

    form = page.locator("#donation-form")
    form.locator("select[name=donor_kind]").select_option("enterprise")
    form.locator("select[name=enterprise]").select_option(label="比亚迪股份有限公司")
    form.locator("select[name=kind]").select_option("money")
    expect(form.locator("input[name=item]")).to_be_hidden()  # goods fields hide for money
    form.locator("input[name=amount]").fill("1000000")
    form.locator("input[name=recipient]").fill("成都市慈善总会")
    submit(page, form.get_by_role("button", name="保存"))
    expect(page.locator("main h1")).to_contain_text("比亚迪股份有限公司")
    expect(page.locator("main h1 .badge")).to_have_text("认捐")
    donation = Donation.objects.get()
    assert (donation.enterprise, donation.kind, donation.amount) == (chengdu_enterprise, "money", Decimal("1000000"))
    assert donation.state == "pledged" and donation.incident == incident

    page.get_by_text("登记到账/到货").click()
    receipt = page.locator("form[action$='/receipts/']")
    receipt.locator("input[name=quantity]").fill("1000000")
    submit(page, receipt.get_by_role("button", name="保存"))
    expect(page.locator("main > .alert-success")).to_contain_text("到账已登记")
    expect(page.locator("main h1 .badge")).to_have_text("已到账")
    expect(page.locator("#receipts")).to_contain_text("100万元")
    donation.refresh_from_db()
    assert donation.state == "received" and donation.received_value == Decimal("1000000")

    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("捐款捐物")).first.click()
    expect(page.locator("#rows tbody tr")).to_have_count(1)
    expect(page.locator("#rows tbody tr")).to_contain_text("已到账")
    totals = page.locator("main .col-xl-4")  # pledged 100万元, received 100万元, nothing only pledged
    expect(totals.locator(".fs-4").nth(0)).to_have_text("100万元")
    expect(totals.locator(".fs-4").nth(1)).to_have_text("100万元")


# --- 9. a work bulletin ----------------------------------------------------------------------------


def test_draft_and_download_a_work_bulletin(page, live_server, owner, leader, chengdu_enterprise, password, tmp_path):
    today = timezone.localdate()
    enterprise_services.visit_create(
        actor=owner, enterprise=chengdu_enterprise, visited_on=today, mode="on_site", staff=[owner],
        status=Visit.Status.COMPLETED, problems=["用地指标紧张", "缺少技术工人"],
    )  # fmt: skip
    sign_in(page, live_server, leader, password)
    open_module(page, "工作简报")
    with page.expect_navigation():
        page.get_by_role("link", name="起草简报").click()
    form = page.locator("#draft-form")
    form.locator("select[name=period]").select_option("custom")
    form.locator("input[name=start]").fill((today - datetime.timedelta(days=6)).isoformat())
    form.locator("input[name=end]").fill(today.isoformat())
    form.locator("input[name=title]").fill("全省投资促进工作周报")
    submit(page, form.get_by_role("button", name="起草"))
    preview = page.locator("#bulletin-preview")
    expect(preview.locator("h2")).to_have_text("全省投资促进工作周报")
    expect(preview).to_contain_text("走访服务企业1家、1次，发现堵点难点问题2个")
    bulletin = Bulletin.objects.get()
    assert bulletin.status == "draft" and bulletin.title == "全省投资促进工作周报"
    assert bulletin.figures["aftercare.problems"]["value"] == 2

    with page.expect_download() as download:
        page.locator("#download-docx").click()
    path = tmp_path / "bulletin.docx"
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".docx")
    paragraphs = [p.text for p in Document(path).paragraphs]
    assert "工作简报" in paragraphs and "全省投资促进工作周报" in paragraphs
    assert any("走访服务企业1家、1次，发现堵点难点问题2个" in p for p in paragraphs)
