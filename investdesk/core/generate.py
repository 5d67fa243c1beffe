"""Synthetic data at scale (`investdesk generate --scale small|medium|large`).

Plausible, consistent data for the benchmark and for trying the product at size, written by bulk
inserts (PostgreSQL COPY, SQLite executemany), not by the services one row at a time — but keeping
every invariant the services keep:

* valid USCCs (check character included), Chinese names with their folded form, pinyin and
  initials in `search_text` (the same `search_key` the services use), `name_key` for duplicates;
* mobile numbers encrypted at rest with their blind index, through the configured crypto provider;
* cases numbered SQ<year><sequence>, each with the event trail of its status (register → assign →
  accept → resolve → follow-up → close), an active lead assignment and the lead unit's share, and
  the dates the workflow would have set (assigned, due on a working day, resolved on time or not);
* projects whose stage has what the stage needs (an owner, amounts, signing/start/production dates)
  and a stage history event for every step up to it; `amount_cny` = amount × rate;
* at most one message per campaign and contact, an idempotency key each; one volunteer stint per
  person, day and community; an enterprise's `last_visit_on` is its latest completed visit;
* one audit entry (through the hash chain) records the generation itself.

Distributions are skewed the way an agency's are: Chengdu holds about a third of the enterprises, a
few units own most records, a few enterprises have many visits and cases, a few campaigns are huge.
Everything is derived from `--seed`, so two runs with the same seed produce the same data.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import multiprocessing
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from investdesk.core.audit import audit_log
from investdesk.core.crypto import get_provider
from investdesk.core.fields import BlindIndexField, EncryptedCharField, normalize_phone
from investdesk.core.models import AuditEntry, RecordShare, Role, Unit, User
from investdesk.lib.chinese_text import search_key
from investdesk.lib.identifiers import make_uscc
from investdesk.lib.regions import SICHUAN_CITIES

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Scale:
    enterprises: int
    contacts: int
    visits: int
    cases: int
    projects: int
    campaigns: int
    messages: int
    stints: int
    donations: int
    staff: int


SCALES = {
    "small": Scale(2_000, 4_000, 2_000, 600, 400, 10, 4_000, 1_000, 200, 150),
    "medium": Scale(100_000, 200_000, 100_000, 30_000, 20_000, 500, 200_000, 50_000, 10_000, 600),
    "large": Scale(1_000_000, 2_000_000, 1_000_000, 300_000, 200_000, 5_000, 2_000_000, 500_000, 100_000, 3_000),
}

# The GIN indexes on enterprises' search_text (migrations enterprises/0002 and 0005), dropped during a load.
SEARCH_INDEXES = ("enterprise_search_trgm", "enterprise_search_bigrams")
CHUNK = 20_000  # enterprises generated (and written, table by table) at a time
# At most this many of each per enterprise: each chunk gets id blocks of its own of this size.
PER_ENTERPRISE_CAP = {"contact": 8, "visit": 8, "case": 6, "project": 4}
# The tables a chunk fills, in the order they are written (parents before children).
ORDER = ["enterprise", "contact", "visit", "visit_staff", "visit_units", "case", "case_event", "assignment", "share",
         "project", "project_event", "message", "donation"]  # fmt: skip


# --- writing rows in bulk -------------------------------------------------------------------------


class TableWriter:
    """Writes tuples of field values into a model's table: COPY on PostgreSQL, executemany elsewhere.

    Fields not named take their model default, computed once (so never name a field whose default
    must differ per row, such as a UUID, by leaving it out). Values are already what the model would
    store: encrypted fields hold tokens, blind indexes their digests.
    """

    def __init__(self, model: type[models.Model], names: Sequence[str]):
        meta = model._meta
        self.model = model
        self.fields = [meta.get_field(name) for name in names]
        extra = [f for f in meta.concrete_fields if f.name not in names and not f.primary_key]
        self.extra_fields = extra
        self.extra_values = tuple(f.get_default() for f in extra)
        for f, value in zip(extra, self.extra_values, strict=True):
            if value is None and not f.null:
                raise ValueError(f"{meta.label}.{f.name} needs a value")
        columns = [f.column for f in self.fields + extra]
        self.table = meta.db_table
        self.columns = columns
        self.postgres = connection.vendor == "postgresql"
        self.count = 0
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        if self.postgres:
            self.sql = f"COPY {connection.ops.quote_name(self.table)} ({quoted}) FROM STDIN"
        else:
            marks = ", ".join(["%s"] * len(columns))
            self.sql = f"INSERT INTO {connection.ops.quote_name(self.table)} ({quoted}) VALUES ({marks})"
        self.prepare = self._preparers()
        self.copy_suffix = "".join("\t" + copy_text(v) for v in self.extra_values)

    def _preparers(self) -> list[Callable | None]:
        preparers: list[Callable | None] = []
        for f in self.fields + self.extra_fields:
            if isinstance(f, EncryptedCharField | BlindIndexField):
                preparers.append(None)
            elif isinstance(f, models.JSONField):
                preparers.append(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
            elif self.postgres:
                preparers.append(None)
            else:
                preparers.append(lambda v, f=f: f.get_db_prep_save(v, connection))
        return preparers

    def encode(self, rows: Iterable[tuple]) -> Encoded:
        """Rows as PostgreSQL COPY text, ready to stream (built where the rows are generated)."""
        suffix = self.copy_suffix
        lines = ["\t".join(map(copy_text, row)) + suffix for row in rows]
        return Encoded(("\n".join(lines) + "\n").encode() if lines else b"", len(lines))

    def write(self, rows: Iterable[tuple] | Encoded) -> int:
        if isinstance(rows, Encoded):
            if rows.n:
                with connection.cursor() as cursor, cursor.cursor.copy(self.sql) as copy:
                    copy.write(rows.data)
            self.count += rows.n
            return rows.n
        extra = self.extra_values
        prepare = self.prepare
        needs = any(p is not None for p in prepare)
        written = 0

        def prepared():
            nonlocal written
            for row in rows:
                values = row + extra
                written += 1
                if needs:
                    yield tuple(v if p is None or v is None else p(v) for p, v in zip(prepare, values, strict=True))
                else:
                    yield values

        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(self.sql) as copy:
                    for values in prepared():
                        copy.write_row(values)
            else:
                batch: list[tuple] = []
                for values in prepared():
                    batch.append(values)
                    if len(batch) >= 5_000:
                        cursor.executemany(self.sql, batch)
                        batch.clear()
                if batch:
                    cursor.executemany(self.sql, batch)
        self.count += written
        return written


@dataclass(frozen=True)
class Encoded:
    data: bytes
    n: int


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).translate(_COPY_ESCAPES)
    if isinstance(value, datetime.date):  # datetimes too: ISO 8601 with the offset
        return value.isoformat()
    return str(value)


def next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1


# --- plausible values -----------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏飞斌宇浩凯健俊帆帅旭宁龙林欣瑶婷雪琳晨阳波海峰亮志国庆东雨佳慧颖琪思源博睿涵轩"  # noqa: E501
BRAND = (
    "华兴盛达鑫泰恒通宏远丰源瑞祥金宝德信天成中科蓝海创新汇智云联长江天府锦城蜀川巴山峨眉青城安康永昌顺利凯旋东方新希望"
)
TRADES = [  # (industry code of the seeded table, its name, words of enterprise names)
    ("electronic-information", "电子信息", ["电子科技", "信息技术", "半导体", "软件", "光电", "智能科技"]),
    ("equipment-manufacturing", "装备制造", ["机械制造", "装备", "重工", "精密机械", "动力设备"]),
    ("food-beverage", "食品饮料", ["食品", "饮料", "酒业", "茶业"]),
    ("energy-chemicals", "能源化工", ["能源", "化工", "天然气", "锂业"]),
    ("advanced-materials", "先进材料", ["材料科技", "钒钛", "新材料", "复合材料"]),
    ("digital-economy", "数字经济", ["数字科技", "网络科技", "数据服务", "云计算"]),
    ("modern-services", "现代服务业", ["物流", "商贸", "供应链管理", "咨询服务", "文化传媒"]),
    ("medical-health", "医药健康", ["生物医药", "医疗器械", "制药"]),
    ("modern-agriculture", "现代农业", ["农业开发", "种业", "生态农业"]),
]
SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司", "有限责任公司"]
FOREIGN = ["美国", "德国", "日本", "韩国", "新加坡", "英国", "法国", "荷兰", "瑞士", "中国香港", "中国台湾"]
TITLES = ["总经理", "副总经理", "董事长", "行政总监", "办公室主任", "财务总监", "项目经理", "人事经理"]
CASE_TITLES = [
    "用电增容审批慢",
    "员工子女入学",
    "物流通行证办理",
    "融资贷款需求",
    "用工招聘困难",
    "土地规划调整",
    "环评手续办理",
    "原材料供应紧张",
    "出口退税进度",
    "天然气保供",
]
CAMPAIGN_NAMES = ["致投资者的一封信", "政策宣讲", "节日问候", "惠企政策汇编"]
PROJECT_WORDS = ["生产基地", "研发中心", "总部项目", "产业园", "扩产项目", "智能工厂", "西南区域总部"]
DISTRICTS = ["锦江区", "青羊区", "金牛区", "武侯区", "成华区", "高新区", "天府新区", "双流区", "郫都区", "新都区"]
COMMUNITIES = ["社区", "街道", "村"]
GOODS = [("帐篷", "顶"), ("矿泉水", "箱"), ("方便面", "箱"), ("棉被", "床"), ("药品", "件"), ("大米", "吨")]


@dataclass
class Context:
    rng: random.Random
    today: datetime.date
    cities: list[tuple[str, str, str]]
    city_weights: list[float]
    units_by_city: dict[str, Unit]
    owner_units: list[Unit]
    owner_weights: list[float]
    staff_by_unit: dict[int, list[int]]
    departments: list[Unit]
    industries: dict[str, int]
    categories: list[int]
    dispatcher_id: int
    incident_ids: list[int]
    campaign_ids: list[int]
    campaign_weights: list[float]
    case_ct: int
    ids: dict[str, int] = field(default_factory=dict)

    def take(self, key: str, n: int = 1) -> int:
        start = self.ids[key]
        self.ids[key] = start + n
        return start

    def day_back(self, max_days: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randrange(max_days))

    def moment(self, day: datetime.date, hour: int = 9) -> datetime.datetime:
        minute = self.rng.randrange(8 * 60)
        return datetime.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI) + datetime.timedelta(
            minutes=minute
        )

    def person_name(self) -> str:
        return person_name(self.rng)

    def mobile(self, n: int) -> str:
        # 1 + a real operator prefix digit + 9 digits derived from n (unique per n below 10^9).
        return f"1{'35789'[n % 5]}{(n * 7_919 + 13) % 1_000_000_000:09d}"

    def staff_of(self, unit_id: int) -> int | None:
        staff = self.staff_by_unit.get(unit_id)
        return self.rng.choice(staff) if staff else None


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _skewed_count(rng: random.Random, mean: float) -> int:
    """A long-tailed count with the given mean: most records get 0–2, a few get many."""
    if mean <= 0:
        return 0
    return int(rng.expovariate(1 / mean) + rng.random())


# --- the generator --------------------------------------------------------------------------------


class Generator:
    def __init__(
        self,
        scale: Scale,
        *,
        seed: int = 1,
        processes: int | None = None,
        append: bool = False,
        chunk_size: int = CHUNK,
        log: Callable[[str], None] = print,
    ):
        self.scale = scale
        self.append = append
        self.chunk_size = chunk_size
        self.seed = seed
        self.log = log
        self.crypto = get_provider()
        # Worker processes generate while this one streams their COPY text to the database.
        self.processes = (os.cpu_count() or 2) if processes is None else processes
        self.case_numbers: dict[int, int] = {}

    # each table's writer, created once
    def _writers(self):
        from investdesk.cases.models import Assignment, Case, CaseEvent
        from investdesk.emergency.models import Donation, VolunteerService
        from investdesk.enterprises.models import Contact, Enterprise, Visit
        from investdesk.outreach.models import Message
        from investdesk.projects.models import Project, ProjectEvent

        W = TableWriter
        return {
            "enterprise": W(
                Enterprise,
                [
                    "id", "name", "name_en", "uscc", "city", "address", "industry", "ownership", "investor_country",
                    "is_key", "is_city_support", "is_fortune500", "is_listed", "employees", "status", "owner_unit",
                    "liaison", "search_text", "name_key", "last_visit_on", "created_at", "updated_at",
                ],
            ),
            "contact": W(
                Contact,
                ["id", "enterprise", "name", "title", "mobile", "mobile_index", "phone", "email", "preferred_channel",
                 "is_primary", "created_at"],
            ),
            "visit": W(
                Visit,
                ["id", "enterprise", "visited_on", "mode", "summary", "status", "owner_unit", "created_by",
                 "created_at"],
            ),
            "visit_staff": W(Visit.staff.through, ["visit", "user"]),
            "visit_units": W(Visit.units.through, ["visit", "unit"]),
            "case": W(
                Case,
                [
                    "id", "number", "enterprise", "title", "description", "source", "urgency", "visit", "status",
                    "waiting_on", "category", "owner_unit", "lead_unit", "lead_handler", "registered_at",
                    "assigned_at", "due_on", "resolved_at", "resolution", "resolved_on_time", "satisfaction",
                    "closed_at", "created_by",
                ],
            ),
            "case_event": W(CaseEvent, ["case", "at", "actor", "action", "from_status", "to_status", "note"]),
            "assignment": W(Assignment, ["case", "role", "unit", "handler", "due_on", "is_active", "created_at"]),
            "share": W(RecordShare, ["content_type", "object_id", "unit", "can_edit", "shared_by", "created_at"]),
            "project": W(
                Project,
                [
                    "id", "name", "investor", "industry", "amount", "currency", "fx_rate", "amount_cny", "city",
                    "source_unit", "owner_unit", "owner", "method", "kind", "likelihood", "new_jobs",
                    "expected_signing_on",
                    "signed_on", "contract_amount_cny", "started_on", "producing_on", "stage", "status",
                    "is_confidential", "search_text", "created_at", "updated_at",
                ],
            ),
            "project_event": W(ProjectEvent, ["project", "at", "on", "actor", "kind", "from_value", "to_value"]),
            "message": W(
                Message,
                ["campaign", "enterprise", "contact", "name", "channel", "address", "subject", "text", "state",
                 "key", "attempts", "next_attempt_at", "handed_over_at", "sent_at", "updated_at"],
            ),
            "donation": W(
                Donation,
                ["incident", "donor_kind", "enterprise", "donor_name", "kind", "pledged_on", "amount", "item",
                 "quantity", "measure", "value", "recipient", "received_quantity", "received_value", "state",
                 "search_text", "owner_unit", "created_at"],
            ),
            "stint": W(
                VolunteerService,
                ["incident", "person", "unit", "district", "community", "on", "hours", "tasks", "tests_assisted",
                 "records_entered", "households_surveyed", "created_by", "created_at"],
            ),
        }  # fmt: skip

    def run(self) -> dict[str, tuple[int, float]]:
        from investdesk.enterprises.models import Enterprise

        if Enterprise.objects.exists() and not self.append:
            raise RuntimeError(
                "generate loads into a database without enterprises: start from a fresh database (or --append)"
            )
        with transaction.atomic():
            ctx = self._prepare()
            writers = self._writers()
            self._defer_checks()
            phase_started = time.perf_counter()
            done = 0
            for rows in self._produce(ctx, writers):
                done += len(rows["enterprise"]) if isinstance(rows["enterprise"], list) else rows["enterprise"].n
                self._write_chunk(writers, rows)
                elapsed = time.perf_counter() - phase_started
                total = sum(w.count for w in writers.values())
                self.log(f"  {done:>9,} enterprises, {total:>11,} rows, {total / elapsed:,.0f} rows/s")
            self._stints(ctx, writers["stint"])
            self._reset_sequences(writers)
            self._restore_checks(writers)
            total = sum(w.count for w in writers.values())
            audit_log(
                actor=None,
                action=AuditEntry.Action.CREATE,
                username="investdesk generate",
                note=f"synthetic data: {self.scale.enterprises:,} enterprises, seed {self.seed}, {total:,} rows",
                changes={name: w.count for name, w in writers.items()},
            )
        self._build_search_indexes()
        if connection.vendor == "postgresql":
            # VACUUM as well as ANALYZE: a bulk-loaded table has no visibility map yet, so no count can
            # be an index-only scan until autovacuum gets to it; a database that has been running
            # for a while has one, and that is the state the benchmark should measure.
            # (VACUUM cannot run inside a transaction, as in the test suite: ANALYZE there.)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        return {name: w.count for name, w in writers.items()}

    def _produce(self, ctx: Context, writers: dict[str, TableWriter]) -> Iterator[dict]:
        """Each chunk's rows, in order; generated by a worker process while this one writes."""
        global _WORK
        total, size = self.scale.enterprises, self.chunk_size
        plan = [(k, min(size, total - k * size)) for k in range(-(-total // size))]
        _WORK = (self, ctx, writers)
        if len(plan) > 1 and self.processes:
            # fork: the worker inherits everything prepared here and never touches the database.
            with multiprocessing.get_context("fork").Pool(self.processes) as pool:
                yield from pool.imap(_produce_chunk, plan)
        else:
            for item in plan:
                yield _produce_chunk(item)

    def _write_chunk(self, writers: dict[str, TableWriter], rows: dict) -> None:
        numbered = []
        for row in rows["case"]:
            year = row[1]
            self.case_numbers[year] = self.case_numbers.get(year, 0) + 1
            numbered.append((row[0], f"SQ{year}{self.case_numbers[year]:05d}", *row[2:]))
        rows["case"] = numbered
        for key in ORDER:
            writers[key].write(rows[key])

    # --- preparation: units, staff, reference rows, incidents, campaigns

    def _prepare(self) -> Context:
        from investdesk.cases.models import Case, CaseCategory
        from investdesk.core import demo as core_demo
        from investdesk.emergency.models import Incident
        from investdesk.enterprises.models import Industry
        from investdesk.outreach.models import Campaign

        rng = random.Random(self.seed)
        today = timezone.localdate()
        units = core_demo.load_units()
        core_demo.load_people(units)
        staff_by_unit = self._staff(rng, units)
        industries = {i.code: i.pk for i in Industry.objects.all()}
        for code, name, _words in TRADES:
            if code not in industries:
                industries[code] = Industry.objects.get_or_create(code=code, defaults={"name": name})[0].pk
        categories = list(CaseCategory.objects.values_list("pk", flat=True))
        if not categories:
            categories = [CaseCategory.objects.create(name="综合", code="general").pk]

        cities = list(SICHUAN_CITIES)
        # Chengdu holds about a third; the rest follow a long tail.
        city_weights = [33.0] + [12.0 / (i + 1) ** 0.6 for i in range(len(cities) - 1)]
        units_by_city = {code: units[code] for code, _n, _c in cities}
        divisions = [u for u in units.values() if u.kind == Unit.Kind.DIVISION]
        offices = [u for u in units.values() if u.kind == Unit.Kind.OFFICE]
        partners = [u for u in units.values() if u.kind == Unit.Kind.PARTNER]

        incident_ids = []
        for name, kind, start, end in [
            ("成都疫情静默管理（合成数据）", Incident.Kind.EPIDEMIC, today - datetime.timedelta(days=400), None),
            ("泸定6.8级地震（合成数据）", Incident.Kind.EARTHQUAKE, today - datetime.timedelta(days=700), None),
            ("汛期防汛救灾（合成数据）", Incident.Kind.FLOOD, today - datetime.timedelta(days=150), None),
        ]:
            incident_ids.append(
                Incident.objects.get_or_create(
                    name=name, defaults={"kind": kind, "starts_on": start, "ends_on": end, "areas": "四川省"}
                )[0].pk
            )

        dispatcher = User.objects.filter(role=Role.DISPATCHER).order_by("pk").first()
        bureau = units["bureau"]
        campaigns = []
        for i in range(self.scale.campaigns):
            sent = today - datetime.timedelta(days=rng.randrange(900))
            owner = rng.choice([bureau, units["promotion"], *units_by_city.values()])
            campaigns.append(
                Campaign(
                    name=f"{sent.year}年{rng.choice(CAMPAIGN_NAMES)}（{i + 1}）",
                    subject=f"{rng.choice(['致投资者的一封信', '惠企政策告知书', '节日问候'])}",
                    body="尊敬的{{联系人}}：感谢贵企业对四川发展的支持。",
                    status=Campaign.Status.SENDING if i >= self.scale.campaigns - 3 else Campaign.Status.DONE,
                    owner_unit=owner,
                    created_by=dispatcher,
                    approved_by=dispatcher,
                    approved_at=self._at(sent),
                    sent_at=self._at(sent),
                    created_at=self._at(sent - datetime.timedelta(days=2)),
                )
            )
        Campaign.objects.bulk_create(campaigns, batch_size=1000)
        campaign_ids = list(Campaign.objects.order_by("pk").values_list("pk", flat=True))[-len(campaigns) :]
        # A few campaigns are huge (a letter to every investor), most reach a few hundred.
        campaign_weights = [1 / (i + 1) ** 0.9 for i in range(len(campaign_ids))]

        from investdesk.enterprises.models import Contact, Enterprise, Visit
        from investdesk.projects.models import Project

        owner_units = list(units_by_city.values()) + divisions + offices
        owner_weights = [w * 10 for w in city_weights] + [6.0] * len(divisions) + [2.0] * len(offices)
        ctx = Context(
            rng=rng,
            today=today,
            cities=cities,
            city_weights=city_weights,
            units_by_city=units_by_city,
            owner_units=owner_units,
            owner_weights=owner_weights,
            staff_by_unit=staff_by_unit,
            departments=partners + divisions,
            industries=industries,
            categories=categories,
            dispatcher_id=dispatcher.pk if dispatcher else None,
            incident_ids=incident_ids,
            campaign_ids=campaign_ids,
            campaign_weights=campaign_weights,
            case_ct=ContentType.objects.get_for_model(Case).pk,
        )
        for key, model in [("enterprise", Enterprise), ("contact", Contact), ("visit", Visit), ("case", Case),
                           ("project", Project)]:  # fmt: skip
            ctx.ids[key] = next_id(model)
        for year in range(today.year - 5, today.year + 1):  # case numbers go on from the last one
            prefix = f"SQ{year}"
            numbers = Case.objects.filter(number__startswith=prefix).order_by("-number")
            last = numbers.values_list("number", flat=True).first()
            if last:
                self.case_numbers[year] = int(last[len(prefix) :])
        self.log(f"  prepared: {len(units)} units, {sum(len(s) for s in staff_by_unit.values()):,} staff")
        return ctx

    def _at(self, day: datetime.date, hour: int = 10) -> datetime.datetime:
        return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)

    def _staff(self, rng: random.Random, units: dict[str, Unit]) -> dict[int, list[int]]:
        """Synthetic staff spread over the units (a big Chengdu bureau, small prefecture ones)."""
        weights = {"chengdu": 12.0, "mianyang": 4.0, "deyang": 3.0, "yibin": 3.0, "bureau": 2.0}
        chosen = list(units.values())
        total_weight = sum(weights.get(u.code, 1.0) for u in chosen)
        people = []
        for unit in chosen:
            n = max(2, round(self.scale.staff * weights.get(unit.code, 1.0) / total_weight))
            for i in range(n):
                name = person_name(rng)
                mobile = f"139{unit.pk:03d}{i:05d}"[:11]
                user = User(
                    username=f"s{unit.pk}-{i}",
                    name=name,
                    unit=unit,
                    role=Role.STAFF,
                    title="干部",
                    email=f"s{unit.pk}-{i}@staff.example.cn",
                    password="!synthetic",  # unusable: synthetic staff never sign in
                    search_text=search_key(name, f"s{unit.pk}-{i}", "干部"),
                )
                user.mobile = mobile
                people.append(user)
        existing = set(
            User.objects.filter(username__in=[p.username for p in people]).values_list("username", flat=True)
        )
        User.objects.bulk_create([p for p in people if p.username not in existing], batch_size=1000)
        by_unit: dict[int, list[int]] = {}
        for pk, unit_id in User.objects.filter(role=Role.STAFF, is_active=True).values_list("pk", "unit_id"):
            by_unit.setdefault(unit_id, []).append(pk)
        return by_unit

    # --- enterprises and what hangs off them, CHUNK at a time

    def chunk_context(self, ctx: Context, k: int) -> Context:
        """Chunk k's own random stream and id blocks: chunks are generated independently (in parallel)
        and the same seed still gives the same data."""
        size = self.chunk_size
        ids = {"enterprise": ctx.ids["enterprise"] + k * size}
        for key, cap in PER_ENTERPRISE_CAP.items():
            ids[key] = ctx.ids[key] + k * size * cap
        return dataclasses.replace(ctx, rng=random.Random(f"{self.seed}/{k}"), ids=ids)

    def chunk_rows(self, ctx: Context, n: int) -> dict[str, list[tuple]]:
        from investdesk.projects.models import STAGE_ORDER, Stage

        rng, scale, crypto = ctx.rng, self.scale, self.crypto
        per_ent = {
            "contacts": scale.contacts / scale.enterprises,
            "visits": scale.visits / scale.enterprises,
            "cases": scale.cases / scale.enterprises,
            "projects": scale.projects / scale.enterprises,
            "messages": scale.messages / max(scale.contacts, 1),
            "donations": scale.donations / scale.enterprises,
        }
        rows: dict[str, list[tuple]] = {k: [] for k in ORDER}
        first = ctx.take("enterprise", n)
        for eid in range(first, first + n):
            city_code, city_name, division = rng.choices(ctx.cities, ctx.city_weights)[0]
            if rng.random() < 0.85:
                owner = ctx.units_by_city[city_code]
            else:
                owner = rng.choices(ctx.owner_units, ctx.owner_weights)[0]
            trade_code, _trade, words = rng.choice(TRADES)
            place = city_name[:2] if rng.random() < 0.6 else "四川"
            name = f"{place}{rng.choice(BRAND)}{rng.choice(BRAND)}{rng.choice(words)}{rng.choice(SUFFIXES)}"
            uscc = make_uscc(division=division, organisation=f"{eid:09d}"[-9:] if eid < 10**9 else f"{eid}"[-9:])
            ownership = rng.choices(["private", "state", "foreign", "hmt"], [70, 12, 12, 6])[0]
            created = ctx.day_back(1500)
            liaison = ctx.staff_of(owner.pk)
            status = rng.choices(["operating", "suspended", "closed", "prospective"], [88, 3, 4, 5])[0]

            # contacts (a long tail: most 1–3, a few a dozen)
            contact_rows = []
            contact_count = min(
                PER_ENTERPRISE_CAP["contact"],
                max(1, _skewed_count(rng, per_ent["contacts"] - 0.5) + (1 if rng.random() < 0.5 else 0)),
            )
            contact_first = ctx.take("contact", contact_count)
            landlines = []
            contact_names = []
            for k in range(contact_count):
                cid = contact_first + k
                person = ctx.person_name()
                mobile = ctx.mobile(cid)
                phone = f"028-{8_000_0000 + cid % 9_999_999}" if k == 0 and rng.random() < 0.5 else ""
                if phone:
                    landlines.append(phone.replace("-", ""))
                contact_names.append(person)
                contact_rows.append(
                    (cid, eid, person, rng.choice(TITLES), crypto.encrypt(mobile),
                     crypto.blind_index(normalize_phone(mobile)), phone, f"c{cid}@example.cn",
                     rng.choice(["phone", "email", "sms", "wecom"]), k == 0, self._at(created))
                )  # fmt: skip
            rows["contact"].extend(contact_rows)

            # visits (completed mostly); the enterprise's last completed one is its last_visit_on
            last_visit = None
            visit_ids = []
            for _ in range(min(PER_ENTERPRISE_CAP["visit"], _skewed_count(rng, per_ent["visits"]))):
                vid = ctx.take("visit")
                on = ctx.day_back(1200)
                status_v = "completed" if rng.random() < 0.95 else "draft"
                if status_v == "completed" and (last_visit is None or on > last_visit):
                    last_visit = on
                by = liaison or ctx.staff_of(owner.pk)
                rows["visit"].append(
                    (vid, eid, on, rng.choice(["on_site", "online", "phone", "video"]),
                     f"走访{name[:8]}，了解生产经营情况。", status_v, owner.pk, by, self._at(on, 17))
                )  # fmt: skip
                if by:
                    rows["visit_staff"].append((vid, by))
                rows["visit_units"].append((vid, owner.pk))
                visit_ids.append((vid, on))

            text = search_key(name, "", *contact_names)
            parts = [text, uscc.lower(), " ".join(landlines)]
            rows["enterprise"].append(
                (eid, name, "", uscc, city_code, f"{city_name}{rng.choice(DISTRICTS)}某路{rng.randrange(1, 999)}号",
                 ctx.industries.get(trade_code), ownership,
                 rng.choice(FOREIGN) if ownership in ("foreign", "hmt") else "",
                 rng.random() < 0.05, rng.random() < 0.03, rng.random() < 0.002, rng.random() < 0.02,
                 int(rng.lognormvariate(4, 1.3)), status, owner.pk, liaison,
                 " | ".join(p for p in parts if p), _name_key(name), last_visit, self._at(created),
                 self._at(max(created, last_visit or created)))
            )  # fmt: skip

            # cases
            for _ in range(min(PER_ENTERPRISE_CAP["case"], _skewed_count(rng, per_ent["cases"]))):
                self._case(ctx, rows, eid, owner, visit_ids)

            # projects with an investor (this enterprise)
            for _ in range(min(PER_ENTERPRISE_CAP["project"], _skewed_count(rng, per_ent["projects"]))):
                self._project(ctx, rows, eid, name, owner, city_code, trade_code, STAGE_ORDER, Stage)

            # messages: each contact gets a letter from a few campaigns (one per campaign at most)
            if ctx.campaign_ids:
                sending_ids = set(ctx.campaign_ids[-3:])
                for cid, person in zip(range(contact_first, contact_first + contact_count), contact_names, strict=True):
                    k = min(_skewed_count(rng, per_ent["messages"]), len(ctx.campaign_ids))
                    if not k:
                        continue
                    chosen = set(rng.choices(ctx.campaign_ids, ctx.campaign_weights, k=k))
                    for campaign in chosen:
                        sending = campaign in sending_ids
                        state = rng.choice(["pending", "sent"]) if sending else rng.choices(
                            ["sent", "failed_permanently", "unknown"], [97, 2, 1])[0]  # fmt: skip
                        at = self._at(ctx.today - datetime.timedelta(days=rng.randrange(900)))
                        rows["message"].append(
                            (campaign, eid, cid, person, "email", crypto.encrypt(f"c{cid}@example.cn"),
                             "致投资者的一封信", f"尊敬的{person}：感谢贵企业对四川发展的支持。", state,
                             uuid.UUID(int=rng.getrandbits(128), version=4), 1 if state != "pending" else 0, at,
                             at if state != "pending" else None, at if state == "sent" else None, at)
                        )  # fmt: skip

            # donations from enterprises
            for _ in range(_skewed_count(rng, per_ent["donations"])):
                self._donation(ctx, rows, eid, name, owner)

        return rows

    def _case(self, ctx: Context, rows, eid: int, owner: Unit, visit_ids) -> None:
        rng = ctx.rng
        cid = ctx.take("case")
        registered_day = ctx.day_back(1400)
        number = registered_day.year  # numbered SQ<year><sequence> when written, in order
        statuses = ["registered", "assigned", "in_progress", "resolved", "followed_up", "closed"]
        # Old cases are mostly closed; this year's are spread over the workflow.
        age = (ctx.today - registered_day).days
        if age > 120:
            status = rng.choices(statuses, [1, 1, 3, 3, 8, 84])[0]
        else:
            status = rng.choices(statuses, [12, 10, 30, 15, 10, 23])[0]
        step = statuses.index(status)
        registered_at = ctx.moment(registered_day)
        urgency = "urgent" if rng.random() < 0.15 else "normal"
        lead = rng.choice([*ctx.departments, owner]) if step >= 1 else None
        handler = ctx.staff_of(lead.pk) if lead else None
        assigned_at = registered_at + datetime.timedelta(hours=rng.randrange(2, 48)) if step >= 1 else None
        due_on = (
            (assigned_at.date() + datetime.timedelta(days=21 if urgency == "normal" else 7)) if assigned_at else None
        )
        if due_on and due_on.weekday() >= 5:  # a working day
            due_on += datetime.timedelta(days=7 - due_on.weekday())
        resolved_at = assigned_at + datetime.timedelta(days=rng.randrange(1, 40)) if step >= 3 else None
        on_time = (resolved_at.astimezone(SHANGHAI).date() <= due_on) if resolved_at else None
        satisfaction = rng.choices(["satisfied", "basic"], [85, 15])[0] if step >= 4 else ""
        closed_at = resolved_at + datetime.timedelta(days=rng.randrange(1, 10)) if step >= 5 else None
        visit = rng.choice(visit_ids)[0] if visit_ids and rng.random() < 0.6 else None
        by = ctx.staff_of(owner.pk)
        title = rng.choice(CASE_TITLES)
        rows["case"].append(
            (cid, number, eid, title, f"企业反映：{title}，请协调解决。", "visit" if visit else rng.choice(
                ["phone", "letter", "online"]), urgency, visit, status,
             {"assigned": "our_unit", "in_progress": "our_unit"}.get(status, ""), rng.choice(ctx.categories),
             owner.pk, lead.pk if lead else None, handler, registered_at, assigned_at, due_on, resolved_at,
             "已协调相关部门解决。" if resolved_at else "", on_time, satisfaction, closed_at, by)
        )  # fmt: skip
        moments = [registered_at, assigned_at, assigned_at, resolved_at, closed_at, closed_at]
        actions = ["register", "assign", "accept", "resolve", "follow_up", "close"]
        previous = ""
        for i in range(step + 1):
            at = moments[i] or registered_at
            if i == 2:
                at = at + datetime.timedelta(hours=3)
            if i == 4:
                at = resolved_at + datetime.timedelta(days=1)
            actor = ctx.dispatcher_id if i == 1 else (handler if i in (2, 3) else by)
            rows["case_event"].append((cid, at, actor, actions[i], previous, statuses[i], ""))
            previous = statuses[i]
        if lead:
            rows["assignment"].append((cid, "lead", lead.pk, handler, due_on, True, assigned_at))
            if lead.pk != owner.pk:
                rows["share"].append((ctx.case_ct, cid, lead.pk, True, ctx.dispatcher_id, assigned_at))

    def _project(
        self, ctx: Context, rows, eid, investor_name, owner, city_code, trade_code, stage_order, Stage
    ) -> None:
        rng = ctx.rng
        pid = ctx.take("project")
        created_day = ctx.day_back(1300)
        stage = rng.choices(stage_order, [30, 20, 15, 8, 14, 8, 5])[0]
        step = stage_order.index(stage)
        status = rng.choices(["ongoing", "delayed", "dormant", "lost", "dropped"], [80, 7, 6, 4, 3])[0]
        if step >= 4:
            status = "ongoing"
        currency = "CNY" if rng.random() < 0.9 else "USD"
        fx = Decimal("1") if currency == "CNY" else Decimal("7.100000")
        # Amounts in 万元 steps; a few 100亿-class projects, a long tail of small ones.
        amount = Decimal(int(rng.lognormvariate(9, 1.4)) * 10_000 + 10_000) if step >= 3 or rng.random() < 0.6 else None
        amount_cny = (amount * fx).quantize(Decimal("0.01")) if amount is not None else None
        owner_id = ctx.staff_of(owner.pk) if step >= 2 or rng.random() < 0.5 else None
        if step >= 2 and owner_id is None:
            owner_id = ctx.dispatcher_id
        dates = [created_day]
        for _ in range(1, step + 1):
            dates.append(min(ctx.today, dates[-1] + datetime.timedelta(days=rng.randrange(5, 120))))
        expected = (
            dates[3] if step >= 3 else (created_day + datetime.timedelta(days=180) if rng.random() < 0.5 else None)
        )
        signed = dates[4] if step >= 4 else None
        started = dates[5] if step >= 5 else None
        producing = dates[6] if step >= 6 else None
        name = (
            f"{investor_name[:-4] if investor_name.endswith('有限公司') else investor_name}{rng.choice(PROJECT_WORDS)}"
        )
        rows["project"].append(
            (pid, name, eid, ctx.industries.get(trade_code), amount, currency, fx, amount_cny, city_code, owner.pk,
             owner.pk,
             owner_id, rng.choice(["investor_referral", "chain", "on_site", "online", "event"]),
             rng.choice(["new", "expansion", "joint_venture", "merger"]), rng.choice(["high", "medium", "low"]),
             rng.randrange(20, 3000), expected, signed, amount_cny if signed else None, started, producing, stage,
             status, True, search_key(name, investor_name), self._at(created_day), self._at(dates[-1]))
        )  # fmt: skip
        rows["project_event"].append((pid, self._at(created_day), created_day, owner_id, "created", "", stage_order[0]))
        for i in range(1, step + 1):
            rows["project_event"].append(
                (pid, self._at(dates[i]), dates[i], owner_id, "stage", stage_order[i - 1], stage_order[i])
            )
        if status != "ongoing":
            rows["project_event"].append(
                (pid, self._at(dates[-1], 16), dates[-1], owner_id, "status", "ongoing", status)
            )

    def _donation(self, ctx: Context, rows, eid, name, owner) -> None:
        rng = ctx.rng
        incident = rng.choice(ctx.incident_ids)
        pledged = ctx.day_back(600)
        money = rng.random() < 0.6
        state = rng.choices(["pledged", "partly", "received"], [20, 10, 70])[0]
        if money:
            amount = Decimal(int(rng.lognormvariate(10, 1.5)) + 1000)
            value, item, qty, measure = amount, "", None, ""
            received_qty, received = Decimal(0), _received(amount, state)
        else:
            amount = None
            item, measure = rng.choice(GOODS)
            qty = Decimal(rng.randrange(10, 2000))
            value = qty * Decimal(rng.randrange(20, 500))
            received_qty, received = _received(qty, state), _received(value, state)
        recipient = f"{rng.choice(['甘孜州', '成都市', '雅安市'])}红十字会"
        rows["donation"].append(
            (incident, "enterprise", eid, name, "money" if money else "goods", pledged, amount, item, qty, measure,
             value, recipient, received_qty, received, state, search_key(name, item, recipient),
             owner.pk, self._at(pledged))
        )  # fmt: skip

    # --- volunteer stints (people, not enterprises)

    def _stints(self, ctx: Context, writer: TableWriter) -> None:
        rng = ctx.rng
        people = [(pk, unit) for unit, pks in ctx.staff_by_unit.items() for pk in pks]
        if not people or not self.scale.stints:
            return
        per_person = math.ceil(self.scale.stints / len(people))
        incident = ctx.incident_ids[0]
        start = ctx.today - datetime.timedelta(days=400)
        tasks = ["testing", "data_entry", "survey", "supplies", "other"]

        def rows():
            left = self.scale.stints
            for pk, unit in people:
                for day in range(min(per_person, left)):
                    on = start + datetime.timedelta(days=day)
                    task = rng.sample(tasks, rng.randrange(1, 3))
                    yield (incident, pk, unit, rng.choice(DISTRICTS), f"{rng.choice(BRAND)}{rng.choice(BRAND)}社区",
                           on, Decimal(rng.choice([4, 6, 8, 10])), task,
                           rng.randrange(0, 800) if "testing" in task else 0,
                           rng.randrange(0, 500) if "data_entry" in task else 0,
                           rng.randrange(0, 120) if "survey" in task else 0, pk, self._at(on, 20))  # fmt: skip
                left -= min(per_person, left)
                if left <= 0:
                    return

        writer.write(rows())

    # --- indexes and sequences

    def _defer_checks(self) -> None:
        """On PostgreSQL, skip the per-row foreign-key triggers while loading when the role may (a
        superuser: session_replication_role); `_check_foreign_keys` then checks every key at once.
        The search indexes (trigrams, bigrams) cost more to maintain row by row than to build once at
        the end: each is dropped here and built again from its definition as the migrations made it."""
        self.triggers_off = False
        self.search_indexes: list[str] = []
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND indexname = ANY(%s)",
                [list(SEARCH_INDEXES)],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                self.search_indexes.append(definition)
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")
                self.triggers_off = True

    def _restore_checks(self, writers: dict[str, TableWriter]) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            if self.triggers_off:
                cursor.execute("SET LOCAL session_replication_role = origin")
                self._check_foreign_keys(cursor, writers)
            else:  # the deferred key checks run now (an index cannot be built before them)
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def _build_search_indexes(self) -> None:
        """Build the search indexes dropped for the load. Each GIN build is single-threaded and takes
        minutes at the large scale, so after the load has committed they are built side by side, one
        connection each; inside a caller's transaction (the test suite) one after the other."""
        if not self.search_indexes:
            return
        started = time.perf_counter()
        if connection.in_atomic_block or len(self.search_indexes) == 1:
            with connection.cursor() as cursor:
                for definition in self.search_indexes:
                    cursor.execute(definition)
        else:
            with ThreadPoolExecutor(max_workers=len(self.search_indexes)) as pool:
                list(pool.map(_build_index, self.search_indexes))
        self.log(f"  search indexes built in {time.perf_counter() - started:,.1f} s")

    def _check_foreign_keys(self, cursor, writers: dict[str, TableWriter]) -> None:
        """Every foreign key of every table written points at a row (one anti-join per key)."""
        q = connection.ops.quote_name
        for writer in writers.values():
            for f in writer.model._meta.concrete_fields:
                if not f.is_relation or (not f.many_to_one and not f.one_to_one):
                    continue
                target = f.target_field
                cursor.execute(
                    f"SELECT count(*) FROM {q(writer.table)} c WHERE c.{q(f.column)} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {q(target.model._meta.db_table)} p WHERE p.{q(target.column)} = c.{q(f.column)})"
                )
                orphans = cursor.fetchone()[0]
                if orphans:
                    raise RuntimeError(f"{orphans} rows of {writer.table}.{f.column} point nowhere")

    def _reset_sequences(self, writers: dict[str, TableWriter]) -> None:
        models_written = {w.model for w in writers.values()}
        statements = connection.ops.sequence_reset_sql(no_style(), list(models_written))
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


def _build_index(definition: str) -> None:
    """One index, on this thread's own connection."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(definition)
    finally:
        connections[DEFAULT_DB_ALIAS].close()


_WORK: tuple | None = None  # (generator, context, writers) for the chunk worker


def _produce_chunk(item: tuple[int, int]) -> dict:
    k, n = item
    generator, ctx, writers = _WORK
    rows = generator.chunk_rows(generator.chunk_context(ctx, k), n)
    if connection.vendor == "postgresql":  # COPY text is built here, in the worker
        for key in ORDER:
            if key != "case":  # numbered by the writer
                rows[key] = writers[key].encode(rows[key])
    return rows


def _received(pledged: Decimal, state: str) -> Decimal:
    """What has arrived of a gift in this state: all, half, or nothing yet."""
    if state == "received":
        return pledged
    return (pledged / 2).quantize(Decimal("0.01")) if state == "partly" else Decimal(0)


def _name_key(name: str) -> str:
    from investdesk.enterprises.services import name_key

    return name_key(name)


def describe(counts: dict[str, int]) -> str:
    return "".join(f"  {name:<14} {n:>12,}\n" for name, n in counts.items())
