"""A load test of a served InvestDesk: virtual users sign in through the real login form and loop over
mixed journeys (`investdesk loadtest`, docs/operations.md).

Each virtual user is a thread with its own cookie jar, as a browser would be: it signs in with the
CSRF token and session cookie, creates a personal API token on its account page, then, once every
user is signed in, picks journeys at random for the given time: the enterprise list, searches in
Chinese and in pinyin, an enterprise's 360° page, the case queue and a case, the project board,
the dashboard, API calls with its bearer token, and visits recorded through the real form. Every
request is timed per journey; an answer of 5xx, a connection error, an unexpected status or a page
saying "database is locked" is an error.

Only the standard library: the command also runs from a production installation, which has no
HTTP client package.
"""

import html
import http.cookiejar
import json
import math
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Searches as people type them: Chinese words (one in traditional characters), full pinyin, initials.
CHINESE_QUERIES = ["天府", "蜀道", "电子", "装备", "新材料", "医药", "物流", "汽车", "成都", "電子"]
PINYIN_QUERIES = ["tianfu", "shudao", "dianzi", "qiche", "yiyao", "wuliu", "tf", "sd", "qc", "xcl"]

# The mix: how often each journey is chosen (record_visit is a form read and a write).
WEIGHTS = {
    "home": 1,
    "enterprise_list": 3,
    "search_chinese": 2,
    "search_pinyin": 2,
    "enterprise_360": 3,
    "case_queue": 2,
    "case_page": 2,
    "project_board": 2,
    "dashboard": 1,
    "api_enterprises": 2,
    "api_cases": 1,
    "record_visit": 2,
}

# Where load-test accounts sit (`create_accounts`), in turn: mostly city and office staff, who see
# their own unit's records, and some leaders and dispatchers, who see the whole province.
ACCOUNT_PLACES = [
    ("chengdu", "staff"),
    ("chengdu", "staff"),
    ("mianyang", "staff"),
    ("chengdu", "staff"),
    ("deyang", "staff"),
    ("bureau", "leader"),
    ("chengdu", "staff"),
    ("guangzhou", "staff"),
    ("enterprise-service", "dispatcher"),
    ("yibin", "staff"),
]

_ENTERPRISE_LINK = re.compile(r'href="/enterprises/(\d+)/"')
_CASE_LINK = re.compile(r'href="/cases/(\d+)/"')
_PENDING_SECTION = re.compile(r'hx-get="(/reports/sections/[^"]+)"')
_TOKEN = re.compile(r'id="token-key">(idk_[^<]+)<')


class LoadTestError(Exception):
    """A page lacks what the load test needs (a form), or the accounts cannot be created."""


# --- results ------------------------------------------------------------------------------------


@dataclass
class JourneyStats:
    latencies: list[float] = field(default_factory=list)  # seconds, of every request (errors too)
    errors: int = 0


@dataclass
class Report:
    base: str
    users: int
    seconds: float  # how long the journeys ran (after every user had signed in)
    signed_in: int = 0
    journeys: dict[str, JourneyStats] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(s.latencies) for s in self.journeys.values())

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.journeys.values())

    def summary(self) -> dict:
        """The report as JSON-ready data: per journey count, errors and latency percentiles in ms."""
        running = sum(len(s.latencies) for name, s in self.journeys.items() if name not in _SETUP)
        return {
            "base": self.base,
            "users": self.users,
            "signed_in": self.signed_in,
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "requests_per_second": round(running / self.seconds, 1) if self.seconds else 0.0,
            "errors": self.errors,
            "journeys": {
                name: {
                    "count": len(s.latencies),
                    "errors": s.errors,
                    "p50_ms": _ms(percentile(s.latencies, 50)),
                    "p95_ms": _ms(percentile(s.latencies, 95)),
                    "max_ms": _ms(max(s.latencies, default=0.0)),
                }
                for name, s in sorted(self.journeys.items(), key=lambda item: _order(item[0]))
            },
            "error_samples": self.error_samples,
        }


_SETUP = ("login", "create_token")  # before the timed run; not counted in requests per second


def _order(name: str) -> tuple[int, str]:
    return (0 if name in _SETUP else 1, name)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def format_table(summary: dict) -> str:
    lines = [f"{'journey':<18}{'count':>8}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"]
    for name, row in summary["journeys"].items():
        lines.append(
            f"{name:<18}{row['count']:>8}{row['errors']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['max_ms']:>9}"
        )
    lines.append(
        f"{summary['signed_in']}/{summary['users']} users, {summary['seconds']} s: {summary['requests']} requests "
        f"({summary['requests_per_second']}/s after sign-in), {summary['errors']} errors"
    )
    lines.extend(f"  error: {sample}" for sample in summary["error_samples"])
    return "\n".join(lines)


class Recorder:
    """Collects every timed request from all virtual users (thread-safe)."""

    MAX_SAMPLES = 20

    def __init__(self, report: Report):
        self.report = report
        self._lock = threading.Lock()

    def add(self, journey: str, seconds: float, error: str | None) -> None:
        with self._lock:
            stats = self.report.journeys.setdefault(journey, JourneyStats())
            stats.latencies.append(seconds)
            if error:
                stats.errors += 1
                if len(self.report.error_samples) < self.MAX_SAMPLES:
                    self.report.error_samples.append(f"{journey}: {error}")


# --- one browser --------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    url: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The forms of a page with what a browser would submit: each named control's current value."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: tuple[str, bool] | None = None  # (name, multiple)
        self._options: list[tuple[str, bool]] = []
        self._option_value: str | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": []})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and name:
            self._select, self._options = (name, "multiple" in a), []
        elif tag == "option" and self._select:
            self._option_value, self._option_text = a.get("value"), ""
            self._options.append(("", "selected" in a))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data
        elif self._select and self._options:
            self._option_text += data

    def handle_endtag(self, tag):
        if tag == "option" and self._select and self._options:
            value = self._option_value if self._option_value is not None else self._option_text.strip()
            self._options[-1] = (value, self._options[-1][1])
        elif tag == "select" and self._select:
            name, multiple = self._select
            chosen = [v for v, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]  # a single select submits its first option by default
            self.forms[-1]["fields"].extend((name, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # The HTML parser keeps the newline that follows <textarea>; a browser drops it.
            self.forms[-1]["fields"].append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def form_data(form: dict) -> dict[str, list[str]]:
    """A parsed form's fields as urlencode(doseq=True) takes them (repeated names keep every value)."""
    data: dict[str, list[str]] = {}
    for name, value in form["fields"]:
        data.setdefault(name, []).append(value)
    return data


def find_form(html: str, field_name: str) -> dict:
    """The POST form of the page that has a control named field_name."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if form["method"] == "post" and any(name == field_name for name, _ in form["fields"]):
            return form
    raise LoadTestError(f"no form with a {field_name!r} field on the page")


class Browser:
    """One virtual user's HTTP session: cookies, redirects followed, Origin and Referer on posts."""

    def __init__(self, base: str, timeout: float):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.headers = {"User-Agent": "investdesk-loadtest", "Accept-Language": "zh-hans"}

    def request(
        self, method: str, path: str, *, data=None, json_data=None, headers: dict | None = None, referer: str = ""
    ) -> Response:
        """Form `data` (a dict; lists for repeated names) or `json_data` as the body."""
        url = path if path.startswith("http") else self.base + path
        headers = {**self.headers, **(headers or {})}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
        elif json_data is not None:
            body, headers["Content-Type"] = json.dumps(json_data).encode(), "application/json"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        if method != "GET":
            request.add_header("Origin", self.base)
            request.add_header("Referer", referer or url)
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                return _response(answer, answer.status)
        except urllib.error.HTTPError as exc:  # 4xx and 5xx answers are answers too
            with exc:
                return _response(exc, exc.code)


def _response(answer, status: int) -> Response:
    return Response(status, answer.url, answer.read().decode("utf-8", "replace"), dict(answer.headers))


def problem(response: Response) -> str | None:
    """What is wrong with an answer, or None: a 5xx, "database is locked", a status other than 200
    (after redirects), or the sign-in page instead of the one asked for."""
    if "database is locked" in response.body:
        return f"HTTP {response.status}: database is locked"
    if response.status != 200:
        return f"HTTP {response.status} at {response.url}"
    if urllib.parse.urlsplit(response.url).path == "/login/":
        return f"sent to the sign-in page ({response.url})"
    return None


class VirtualUser:
    def __init__(self, *, base: str, username: str, password: str, token: str, recorder: Recorder, seed: int, timeout):
        self.browser = Browser(base, timeout)
        self.username = username
        self.password = password
        self.token = token
        self.recorder = recorder
        self.rng = random.Random(seed)
        self.enterprises: list[int] = []
        self.cases: list[int] = []

    def timed(self, journey: str, method: str, path: str, *, check=None, **kwargs) -> Response | None:
        """The answer to one request, timed and checked (`check(response)` may name a further problem)."""
        started = time.monotonic()
        try:
            response = self.browser.request(method, path, **kwargs)
        except Exception as exc:  # a refused or reset connection, a timeout: all errors of the run
            self.recorder.add(journey, time.monotonic() - started, f"{exc.__class__.__name__}: {exc} ({path})")
            return None
        error = problem(response) or (check(response) if check else None)
        self.recorder.add(journey, time.monotonic() - started, error)
        return None if error else response

    # --- setting up ---

    def sign_in(self) -> bool:
        """Sign in through the login form, then create an API token on the account page (unless one
        was given). A failure is recorded as an error of the `login` or `create_token` journey."""
        page = self.browser.request("GET", "/login/")
        data = {**form_data(find_form(page.body, "username")), "username": self.username, "password": self.password}
        data["next"] = "/" if self.token else "/account/"  # where the token is made: one page fewer
        account = self.timed("login", "POST", "/login/", data=data, referer=page.url)
        if account is None:
            return False
        if not self.token:
            data = {**form_data(find_form(account.body, "days_valid")), "name": "loadtest", "days_valid": "1"}

            def has_token(response):
                return None if _TOKEN.search(response.body) else "no token on the page"

            created = self.timed(
                "create_token", "POST", "/account/tokens/", data=data, referer=account.url, check=has_token
            )
            if created is None:
                return False
            self.token = _TOKEN.search(created.body).group(1)
        return True

    # --- the journeys ---

    def run(self, deadline: float) -> None:
        names, weights = list(WEIGHTS), list(WEIGHTS.values())
        while time.monotonic() < deadline:
            journey = self.rng.choices(names, weights)[0]
            try:
                getattr(self, journey)()
            except Exception as exc:  # a page without what the journey needs (e.g. its form): an error too
                self.recorder.add(journey, 0.0, f"{exc.__class__.__name__}: {exc}")

    def _list(self, journey: str, query: str = "") -> None:
        path = "/enterprises/" + (f"?{urllib.parse.urlencode({'q': query})}" if query else "")
        response = self.timed(journey, "GET", path)
        if response:
            found = [int(i) for i in _ENTERPRISE_LINK.findall(response.body)]
            if found:
                self.enterprises = list(dict.fromkeys(self.enterprises[-200:] + found))

    def _enterprise(self) -> int | None:
        if not self.enterprises:
            self._list("enterprise_list")
        return self.rng.choice(self.enterprises) if self.enterprises else None

    def home(self):
        self.timed("home", "GET", "/")

    def enterprise_list(self):
        self._list("enterprise_list")

    def search_chinese(self):
        self._list("search_chinese", self.rng.choice(CHINESE_QUERIES))

    def search_pinyin(self):
        self._list("search_pinyin", self.rng.choice(PINYIN_QUERIES))

    def enterprise_360(self):
        enterprise = self._enterprise()
        if enterprise:
            self.timed("enterprise_360", "GET", f"/enterprises/{enterprise}/")

    def case_queue(self):
        response = self.timed("case_queue", "GET", "/cases/?queue=all")
        if response:
            self.cases = [int(i) for i in dict.fromkeys(_CASE_LINK.findall(response.body))]

    def case_page(self):
        if not self.cases:
            self.case_queue()
        if self.cases:
            self.timed("case_page", "GET", f"/cases/{self.rng.choice(self.cases)}/")

    def project_board(self):
        self.timed("project_board", "GET", "/projects/")

    def dashboard(self):
        """The page, then — as the browser does — each panel it left pending (a section with no
        snapshot yet for the scope), fetched on its own."""
        page = self.timed("dashboard", "GET", "/reports/")
        for path in _PENDING_SECTION.findall(page.body) if page else []:
            self.timed("dashboard_section", "GET", html.unescape(path), headers={"HX-Request": "true"})

    def _api(self, journey: str, path: str) -> None:
        def is_list(response):
            return None if '"items"' in response.body else f"not a list at {path}: {response.body[:80]!r}"

        self.timed(journey, "GET", path, headers={"Authorization": f"Bearer {self.token}"}, check=is_list)

    def api_enterprises(self):
        query = self.rng.choice(CHINESE_QUERIES + PINYIN_QUERIES)
        self._api("api_enterprises", f"/api/v1/enterprises?{urllib.parse.urlencode({'q': query, 'limit': 20})}")

    def api_cases(self):
        self._api("api_cases", "/api/v1/cases?queue=all&limit=20")

    def record_visit(self):
        """Open the visit form of an enterprise and save a visit through it: a write with CSRF."""
        enterprise = self._enterprise()
        if not enterprise:
            return
        page = self.timed("visit_form", "GET", f"/enterprises/{enterprise}/visits/new/")
        if page is None:
            return
        data = form_data(find_form(page.body, "summary"))
        data["mode"] = self.rng.choice(["phone", "online", "on_site"])
        data["summary"] = f"负载测试：{self.username} 回访，企业生产经营正常。"
        self.timed("visit_save", "POST", page.url, data=data, referer=page.url)


# --- the run ------------------------------------------------------------------------------------


def run(
    *,
    base: str,
    users: int,
    seconds: float,
    password: str,
    prefix: str = "load",
    token: str = "",
    timeout: float = 60.0,
    seed: int = 2022,
    log: Callable[[str], None] = lambda message: None,
) -> Report:
    """Sign `users` virtual users in (accounts prefix01, prefix02, …), then let them run journeys for
    `seconds` all at once. Returns the report; never raises for errors of the server under test."""
    report = Report(base=base, users=users, seconds=0.0)
    recorder = Recorder(report)
    people = [
        VirtualUser(
            base=base,
            username=account_name(prefix, i),
            password=password,
            token=token,
            recorder=recorder,
            seed=seed + i,
            timeout=timeout,
        )
        for i in range(1, users + 1)
    ]
    ready: list[VirtualUser] = []
    ready_lock = threading.Lock()
    window: dict[str, float] = {}

    def start():  # the barrier's action: runs once, when every user has signed in (or failed to)
        window["start"] = time.monotonic()
        window["deadline"] = window["start"] + seconds
        log(f"{len(ready)} of {users} signed in after {window['start'] - began:.1f} s; journeys for {seconds:g} s …")

    barrier = threading.Barrier(users, action=start)
    # Signing in hashes a password on the server (slow on purpose): allow for all of them in turn.
    sign_in_limit = timeout + users

    def live(person: VirtualUser) -> None:
        try:
            if person.sign_in():
                with ready_lock:
                    ready.append(person)
        except Exception as exc:  # the login page itself failed: recorded once, as a login error
            recorder.add("login", 0.0, f"{person.username}: {exc.__class__.__name__}: {exc}")
        try:
            barrier.wait(timeout=sign_in_limit)
        except threading.BrokenBarrierError:
            return
        if person in ready:
            person.run(window["deadline"])

    log(f"Signing in {users} users at {base} …")
    began = time.monotonic()
    threads = [threading.Thread(target=live, args=(p,), name=p.username, daemon=True) for p in people]
    for thread in threads:
        thread.start()
    give_up = time.monotonic() + sign_in_limit + seconds + 2 * timeout
    for thread in threads:
        thread.join(timeout=max(0.0, give_up - time.monotonic()))
    report.signed_in = len(ready)
    report.seconds = (time.monotonic() - window["start"]) if window else 0.0
    return report


def account_name(prefix: str, number: int) -> str:
    return f"{prefix}{number:02d}"


def create_accounts(*, count: int, password: str, prefix: str = "load") -> int:
    """Create the accounts prefix01 … prefixNN (those missing) with `password`, spread over the demo's
    units and roles. For a test or staging installation only. Returns how many were created."""
    from django.contrib.auth import password_validation
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from investdesk.core.audit import audit_log
    from investdesk.core.models import AuditEntry, Unit, User
    from investdesk.lib.chinese_text import search_key

    units = {u.code: u for u in Unit.objects.filter(is_active=True)}
    fallback = Unit.objects.filter(is_active=True, parent__isnull=True).order_by("sort_order", "pk").first()
    if fallback is None:
        raise LoadTestError("There are no units: load the demo (investdesk demo) or create units first.")
    password_validation.validate_password(password)
    # One hash for every account: hashing is slow on purpose (~0.25 s each), and fifty of them would
    # take longer than the rest of the seeding.
    hashed = make_password(password)
    created = 0
    with transaction.atomic():
        for i in range(1, count + 1):
            username = account_name(prefix, i)
            if User.objects.filter(username=username).exists():
                continue
            code, role = ACCOUNT_PLACES[(i - 1) % len(ACCOUNT_PLACES)]
            name = f"负载测试{i:02d}"
            user = User.objects.create(
                username=username,
                name=name,
                unit=units.get(code, fallback),
                role=role,
                title="负载测试账号",
                password=hashed,
                password_changed_at=timezone.now(),
                must_change_password=False,
                search_text=search_key(name, username),
            )
            audit_log(actor=None, action=AuditEntry.Action.CREATE, target=user, note="load-test account")
            created += 1
    return created


def write_json(path: str, summary: dict) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(summary, out, ensure_ascii=False, indent=2)
        out.write("\n")
