"""The benchmark (`investdesk bench`): how fast the key screens and jobs are on the data in the
database (load it with `investdesk generate --scale ...`), each screen side by side with

* the Django admin changelist (or change form) of the same model with the same filter — a
  site of our own built here, never mounted in the URLs — which counts the whole table, and
* the raw SQL of the screen: every SELECT the screen ran, executed again straight on the database
  cursor, without the ORM, the view or the template,

so the ratios hold on a noisy shared machine where absolute times do not. Screens are requested in
process through Django's test client (the whole middleware, session and template stack, no HTTP
socket). The jobs (an .xlsx import, a bulletin, a campaign's preparation, SMTP delivery) run inside
a transaction that is rolled back: the database is left as it was.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.contrib import admin
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import set_urlconf
from django.utils import timezone

from investdesk.core.models import Role, Unit, User


@dataclass
class Timing:
    p50_ms: float
    p95_ms: float
    n: int

    @classmethod
    def of(cls, seconds: list[float]) -> Timing:
        ordered = sorted(seconds)
        p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
        return cls(round(statistics.median(ordered) * 1000, 1), round(p95 * 1000, 1), len(ordered))


@dataclass
class ScreenResult:
    name: str
    url: str
    user: str
    queries: int
    page: Timing
    raw_sql: Timing
    admin: Timing | None
    admin_what: str = ""

    @property
    def vs_admin(self) -> float | None:
        return round(self.admin.p50_ms / self.page.p50_ms, 1) if self.admin else None

    @property
    def vs_raw(self) -> float:
        return round(self.page.p50_ms / max(self.raw_sql.p50_ms, 0.01), 1)


@dataclass
class JobResult:
    name: str
    seconds: float
    items: int
    unit: str
    note: str = ""

    @property
    def per_second(self) -> float:
        return round(self.items / self.seconds, 1) if self.seconds else 0.0


@dataclass
class Report:
    when: str
    database: str
    counts: dict[str, int]
    screens: list[ScreenResult] = field(default_factory=list)
    jobs: list[JobResult] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        for screen, out in zip(self.screens, data["screens"], strict=True):
            out["vs_admin"], out["vs_raw"] = screen.vs_admin, screen.vs_raw
        for job, out in zip(self.jobs, data["jobs"], strict=True):
            out["per_second"] = job.per_second
        return data

    def markdown(self) -> str:
        lines = [
            "| screen | queries | p50 ms | p95 ms | admin p50 ms | admin ÷ screen | raw SQL p50 ms | screen ÷ raw |",
            "|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for s in self.screens:
            admin_p50 = f"{s.admin.p50_ms:,.1f}" if s.admin else "—"
            ratio = f"{s.vs_admin:,.1f}×" if s.admin else "—"
            lines.append(
                f"| {s.name} | {s.queries} | {s.page.p50_ms:,.1f} | {s.page.p95_ms:,.1f} | {admin_p50} | {ratio} | "
                f"{s.raw_sql.p50_ms:,.1f} | {s.vs_raw:,.1f}× |"
            )
        lines += ["", "| job | items | seconds | per second | note |", "|---|--:|--:|--:|---|"]
        for j in self.jobs:
            lines.append(f"| {j.name} | {j.items:,} {j.unit} | {j.seconds:,.1f} | {j.per_second:,.0f} | {j.note} |")
        return "\n".join(lines) + "\n"


def timed(fn: Callable[[], object], *, repeat: int, warmup: int = 2) -> Timing:
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - started)
    return Timing.of(seconds)


# --- the admin to compare with -------------------------------------------------------------------


def bench_admin_site() -> admin.AdminSite:
    """A Django admin of the business models as a developer would first write it (not mounted)."""
    from investdesk.cases.models import Case
    from investdesk.enterprises.models import Enterprise
    from investdesk.outreach.models import Message
    from investdesk.projects.models import Project

    site = admin.AdminSite(name="bench-admin")
    site.register(
        Enterprise,
        list_display=("name", "uscc", "city", "owner_unit", "industry", "updated_at"),
        list_filter=("city", "status", "owner_unit"),
        search_fields=("name", "search_text"),
        list_select_related=("owner_unit", "industry"),
        raw_id_fields=("liaison", "merged_into"),
    )
    site.register(
        Case,
        list_display=("number", "title", "enterprise", "status", "lead_unit", "due_on"),
        list_filter=("status", "lead_unit"),
        search_fields=("number", "title"),
        list_select_related=("enterprise", "lead_unit"),
        raw_id_fields=("enterprise", "visit", "problem", "lead_handler", "created_by"),
    )
    site.register(
        Project,
        list_display=("name", "stage", "status", "owner_unit", "amount_cny"),
        list_filter=("stage", "status"),
        list_select_related=("owner_unit",),
    )
    site.register(Message, list_display=("name", "channel", "state", "sent_at"), list_filter=("state", "campaign"))
    return site


BENCH_TOKEN = "investdesk bench"


class _BenchUrls:
    """A URLconf object: the project's URLs plus the bench admin."""

    def __init__(self, site: admin.AdminSite):
        from django.urls import path

        from investdesk import urls

        self.urlpatterns = [path("bench-admin/", site.urls), *urls.urlpatterns]


# --- the benchmark -------------------------------------------------------------------------------


class Bench:
    def __init__(self, *, repeat: int = 20, import_rows: int = 100_000, campaign_recipients: int = 100_000,
                 smtp_messages: int = 1_200, only: list[str] | None = None,
                 log: Callable[[str], None] = print):  # fmt: skip
        self.repeat = repeat
        self.import_rows = import_rows
        self.campaign_recipients = campaign_recipients
        self.smtp_messages = smtp_messages
        self.only = only
        self.log = log
        host = next((h for h in settings.ALLOWED_HOSTS if h not in ("*", "")), "127.0.0.1").lstrip(".")
        self.host = host
        self.factory = RequestFactory()
        self.site = bench_admin_site()
        self.urls = _BenchUrls(self.site)
        self.superuser: User | None = None  # the admin's user, made by plan()
        self.made_tokens: list[int] = []

    def run(self, *, screens: bool = True, jobs: bool = True) -> Report:
        report = Report(
            when=timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"),
            database=f"{connection.vendor} {connection.Database.__name__}",
            counts=self.counts(),
        )
        if screens:
            report.screens = self.screens()
        if jobs:
            report.jobs = self.jobs()
        return report

    def counts(self) -> dict[str, int]:
        from investdesk.cases.models import Case, CaseEvent
        from investdesk.enterprises.models import Contact, Enterprise, Visit
        from investdesk.outreach.models import Campaign, Message
        from investdesk.projects.models import Project

        models = [Enterprise, Contact, Visit, Case, CaseEvent, Project, Campaign, Message]
        return {m._meta.label: m.objects.count() for m in models}

    # --- screens

    def _person(self, username: str, role: str, unit_code: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            user = User.objects.filter(role=role, unit__code=unit_code, is_active=True).first()
        if user is None:
            raise RuntimeError(f"no {role} of {unit_code}: load the data with `investdesk generate` first")
        return user

    def screens(self) -> list[ScreenResult]:
        """Not in one long transaction (it would hold the audit chain's lock from the sign-ins on):
        the API token and the admin's superuser made for the run are deleted at its end."""
        results = []
        # As the served app does after start-up (investdesk/wsgi.py): what the process holds so far is
        # left out of the collector's full collections.
        gc.collect()
        gc.freeze()
        try:
            for name, url, who, admin_spec in self.plan():
                if self.only and not any(word in name for word in self.only):
                    continue
                result = self._screen(name, url, who, admin_spec)
                self.log(
                    f"  {name:<44} p50 {result.page.p50_ms:>8.1f} ms  p95 {result.page.p95_ms:>8.1f} ms  "
                    f"queries {result.queries:>3}  admin ÷ {result.vs_admin or '—'}  ÷ raw {result.vs_raw}"
                )
                results.append(result)
        finally:
            gc.unfreeze()
            self.cleanup()
        return results

    def cleanup(self) -> None:
        from investdesk.core.models import ApiToken

        # Only what this run made: two runs on one database must not pull the rug from each other.
        ApiToken.objects.filter(pk__in=self.made_tokens).delete()
        if self.superuser is not None:
            User.objects.filter(pk=self.superuser.pk).delete()

    def plan(self) -> list[tuple]:
        """(name, url, who, admin) of each screen: who is a user or (user, API token); admin is
        (model, changelist parameters), ("change", model admin, pk) or None."""
        from investdesk.cases.models import Case
        from investdesk.enterprises.models import Enterprise
        from investdesk.outreach.models import Campaign, Message
        from investdesk.projects.models import Project

        leader = self._person("leader", Role.LEADER, "bureau")
        dispatcher = self._person("dispatcher", Role.DISPATCHER, "enterprise-service")
        city = self._person("chengdu", Role.STAFF, "chengdu")
        chengdu = Unit.objects.get(code="chengdu")
        # The busiest records: the enterprise with the most visits, the case with the most events,
        # the campaign with the most messages (the heaviest 360 page, case page and progress page).
        enterprise = Enterprise.objects.filter(owner_unit=chengdu).annotate(n=Count("visits")).order_by("-n").first()
        case = Case.objects.annotate(n=Count("events")).order_by("-n", "id").first()
        campaign = Campaign.objects.annotate(n=Count("messages")).order_by("-n").first()
        if not (enterprise and case and campaign):
            raise RuntimeError("the database has no enterprises, cases or campaigns: run `investdesk generate`")
        token = self._token(leader)
        # The admin's user: a superuser that exists only inside this rolled-back run.
        self.superuser = User.objects.create(
            username=f"bench-admin-{uuid.uuid4().hex[:8]}", is_superuser=True, is_staff=True, unit=leader.unit
        )
        enterprise_admin = self.site._registry[Enterprise]
        case_admin = self.site._registry[Case]
        plan = [
            ("企业列表（市州）enterprise list, a city bureau", "/enterprises/", city,
             (Enterprise, {"owner_unit__id__exact": chengdu.pk})),
            ("企业列表（全省）enterprise list, province", "/enterprises/", leader, (Enterprise, {})),
            ("企业搜索（中文）search, Chinese", "/enterprises/?q=华兴", leader, (Enterprise, {"q": "华兴"})),
            ("企业搜索（拼音）search, pinyin", "/enterprises/?q=huaxing", leader, (Enterprise, {"q": "huaxing"})),
            ("企业360 enterprise page", f"/enterprises/{enterprise.pk}/", leader,
             ("change", enterprise_admin, enterprise.pk)),
            ("问题队列 case queue", "/cases/?queue=in_progress", dispatcher,
             (Case, {"status__exact": Case.Status.IN_PROGRESS})),
            ("问题详情 case page", f"/cases/{case.pk}/", dispatcher, ("change", case_admin, case.pk)),
            ("项目看板 project board", "/projects/", leader, (Project, {"status__exact": Project.Status.ONGOING})),
            ("目标进度 target progress", "/projects/targets/", leader, None),
            ("目标进度（立即重新统计）target progress, recomputed", "/projects/targets/?refresh=1", leader, None),
            # The page with 刷新: every section computed in the request, as the worker does when a
            # snapshot grows older than FIGURES_MAX_AGE (core/snapshots.py). First, so that the page
            # as people see it next finds its snapshots (without one, a panel is fetched on its own).
            ("工作台（立即重新统计）dashboard, recomputed", "/reports/?refresh=1", leader, None),
            ("工作台 dashboard", "/reports/", leader, None),
            ("群发进度 campaign progress", f"/outreach/{campaign.pk}/progress/", leader,
             (Message, {"campaign__id__exact": campaign.pk})),
            ("统计接口 stats API (pipeline)", "/api/v1/stats/pipeline", token, None),
            ("企业接口 enterprises API", "/api/v1/enterprises?city=chengdu", token,
             (Enterprise, {"city__exact": "chengdu"})),
        ]  # fmt: skip
        return plan

    def _token(self, user: User) -> tuple[User, str]:
        from investdesk.core.services import api_token_create

        token, key = api_token_create(user=user, name=BENCH_TOKEN, days_valid=1)
        self.made_tokens.append(token.pk)
        return (user, key)

    def client(self, who) -> tuple[Client, dict]:
        client = Client(HTTP_HOST=self.host)
        if isinstance(who, tuple):  # (user, API token)
            return client, {"HTTP_AUTHORIZATION": f"Bearer {who[1]}"}
        client.force_login(who)
        return client, {}

    def _screen(self, name: str, url: str, who, admin_spec) -> ScreenResult:
        client, headers = self.client(who)

        def page():
            response = client.get(url, secure=True, **headers)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            return response

        page()
        with CaptureQueriesContext(connection) as captured:
            page()
        statements = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]

        def raw():
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    cursor.fetchall()

        admin_timing, admin_what = None, ""
        if admin_spec is not None:
            admin_call, admin_what = self._admin_call(admin_spec)
            admin_timing = timed(admin_call, repeat=self.repeat)
        user = who[0] if isinstance(who, tuple) else who
        return ScreenResult(
            name=name,
            url=url,
            user=user.username,
            queries=len(captured.captured_queries),
            page=timed(page, repeat=self.repeat),
            raw_sql=timed(raw, repeat=self.repeat),
            admin=admin_timing,
            admin_what=admin_what,
        )

    def _admin_call(self, spec) -> tuple[Callable[[], object], str]:
        if spec[0] == "change":
            _kind, model_admin, pk = spec

            def change():
                request = self.factory.get("/", secure=True)
                request.user = self.superuser
                with self._admin_urls():
                    return model_admin.change_view(request, str(pk)).render()

            return change, f"{model_admin.model._meta.model_name} change form"
        model, params = spec
        model_admin = self.site._registry[model]

        def changelist():
            request = self.factory.get("/", params, secure=True)
            request.user = self.superuser
            with self._admin_urls():
                response = model_admin.changelist_view(request)
                if response.status_code != 200:
                    raise RuntimeError(f"admin changelist of {model.__name__} answered {response.status_code}")
                return response.render()

        return changelist, f"{model._meta.model_name} changelist {params or ''}".strip()

    @contextlib.contextmanager
    def _admin_urls(self):
        """The URLs with the bench admin mounted, for the admin's own links (as a request would have)."""
        set_urlconf(self.urls)
        try:
            yield
        finally:
            set_urlconf(None)

    # --- jobs

    def jobs(self) -> list[JobResult]:
        results = []
        for job in (self._import, self._bulletin, self._campaign, self._smtp):
            with rolled_back():
                measured = job()
            for result in measured if isinstance(measured, list) else [measured]:
                self.log(f"  {result.name:<44} {result.items:>9,} {result.unit} in {result.seconds:,.1f} s")
                results.append(result)
        return results

    def _import(self) -> list[JobResult]:
        """A file of new enterprises, each with a contact; then the same file again with every row
        changed (the employees, the contact's title), as a yearly update of the registry is."""
        from investdesk.enterprises import importer

        user = self._person("chengdu", Role.STAFF, "chengdu")
        results = []
        for title, employees, name in (
            ("总经理", "", "导入 xlsx import (preview + apply)"),
            ("董事长", "120", "再次导入 xlsx re-import, every row an update"),
        ):
            content = self._import_file(title=title, employees=employees)
            started = time.perf_counter()
            plan = importer.import_preview(actor=user, filename="bench.xlsx", content=content)
            previewed = time.perf_counter() - started
            counts = importer.import_apply(actor=user, batch_id=plan.batch.pk)
            seconds = time.perf_counter() - started
            note = f"preview {previewed:,.1f} s, apply {seconds - previewed:,.1f} s; {counts}"
            results.append(JobResult(name, seconds, self.import_rows, "rows", note=note))
        return results

    def _import_file(self, *, title: str, employees: str) -> bytes:
        from openpyxl import Workbook

        from investdesk.lib.identifiers import make_uscc

        book = Workbook(write_only=True)
        sheet = book.create_sheet("企业")
        sheet.append(["企业名称", "统一社会信用代码", "所在市州", "所属产业", "员工人数", "联系人", "职务", "手机"])
        for i in range(self.import_rows):
            sheet.append([f"成都导入测试{i:06d}科技有限公司", make_uscc(division="510100", organisation=f"Y{i:08d}"),
                          "成都市", "电子信息", employees, "王磊", title, f"137{i:08d}"])  # fmt: skip
        content = io.BytesIO()
        book.save(content)
        return content.getvalue()

    def _bulletin(self) -> JobResult:
        from investdesk.reports import documents, services
        from investdesk.reports.figures import SECTIONS, Scope

        leader = self._person("leader", Role.LEADER, "bureau")
        today = timezone.localdate()
        started = time.perf_counter()
        bulletin = services.bulletin_draft(
            actor=leader, scope=Scope(start=today.replace(month=1, day=1), end=today), keys=list(SECTIONS)
        )
        drafted = time.perf_counter() - started
        docx = documents.bulletin_docx(bulletin)
        seconds = time.perf_counter() - started
        return JobResult(
            "工作简报 bulletin (figures + .docx)",
            seconds,
            len(SECTIONS),
            "sections",
            note=f"figures {drafted:,.2f} s, .docx {len(docx) // 1024} KB",
        )

    def _campaign(self) -> JobResult:
        from investdesk.enterprises.models import Contact
        from investdesk.outreach import services
        from investdesk.outreach.models import Campaign, Message

        author = self._person("leader", Role.LEADER, "bureau")
        approver = self._person("dispatcher", Role.DISPATCHER, "enterprise-service")
        # A letter goes to each enterprise's primary contact: as many enterprises as recipients wanted.
        chosen = list(
            Contact.objects.filter(is_primary=True)
            .order_by("enterprise_id")
            .values_list("enterprise_id", flat=True)[: self.campaign_recipients]
        )
        campaign = services.campaign_create(
            actor=author,
            name="基准测试：致投资者的一封信",
            subject="致投资者的一封信",
            body="尊敬的{{联系人}}：感谢{{企业名称}}对四川发展的支持。",
            enterprises=chosen,
        )
        started = time.perf_counter()
        campaign = services.campaign_submit(actor=author, campaign=campaign, version=campaign.version)
        submitted = time.perf_counter() - started
        services.campaign_approve(actor=approver, campaign=campaign, version=campaign.version)
        seconds = time.perf_counter() - started
        made = Message.objects.filter(campaign=campaign).count()
        assert Campaign.objects.get(pk=campaign.pk).status in (Campaign.Status.SENDING, Campaign.Status.DONE)
        return JobResult(
            "群发准备 campaign preparation (submit + approve)",
            seconds,
            made,
            "recipients",
            note=f"{len(chosen):,} enterprises; submit (audience check) {submitted:,.1f} s",
        )

    def _smtp(self) -> JobResult:
        from investdesk.enterprises.models import Contact
        from investdesk.outreach import delivery
        from investdesk.outreach.models import Campaign, Message

        try:
            import aiosmtpd  # noqa: F401  (a development dependency)

            from investdesk.outreach.testing import smtp_server
        except ImportError:
            return JobResult("SMTP 投递 delivery", 0.0, 0, "messages", note="skipped: aiosmtpd is not installed")
        owner = self._person("leader", Role.LEADER, "bureau")
        campaign = Campaign.objects.create(
            name="基准测试：SMTP 投递",
            subject="致投资者的一封信",
            body="尊敬的{{联系人}}：",
            status=Campaign.Status.SENDING,
            owner_unit=owner.unit,
            created_by=owner,
        )
        contacts = Contact.objects.select_related("enterprise").order_by("id")[: self.smtp_messages]
        Message.objects.bulk_create(
            [
                Message(campaign=campaign, enterprise=c.enterprise, contact=c, name=c.name, channel="email",
                        address=f"bench{c.pk}@example.cn", subject="致投资者的一封信",
                        text=f"尊敬的{c.name}：感谢贵企业对四川发展的支持。", key=uuid.uuid4())
                for c in contacts
            ],
            batch_size=1000,
        )  # fmt: skip
        quiet = logging.getLogger("mail.log")  # aiosmtpd logs every SMTP command
        quiet.setLevel(logging.WARNING)
        with smtp_server() as inbox, override_settings(OUTREACH_RATES={"email": 0, "sms": 0, "wecom": 0}):
            with override_settings(**inbox.django_settings()):
                started = time.perf_counter()
                counts = delivery.run(campaign_id=campaign.pk, batch=50)
                seconds = time.perf_counter() - started
            received = len(inbox.messages)
        return JobResult(
            "SMTP 投递 delivery (unthrottled)",
            seconds,
            received,
            "messages",
            note=f"states {counts}; the configured rate is {settings.OUTREACH_RATES.get('email')}/s per worker",
        )


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back():
    """Run a job in a transaction and undo it (the audit trail included) afterwards."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass
