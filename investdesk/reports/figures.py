"""The vocabulary of the dashboard and the bulletin: a scope (period, unit, incident), a figure (one
number with what it counts and where its records are), a section (one module's figures).

Each module's section computes its figures from that module's selectors — the same functions its
own pages and API use — so a number reads the same everywhere. A figure may carry `records`: the
query of the rows behind it, which the "where does this number come from" page lists."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investdesk.lib.money import format_cny


@dataclass
class Scope:
    start: datetime.date
    end: datetime.date
    unit_id: int | None = None
    incident_id: int | None = None

    def params(self) -> str:
        parts = [f"from={self.start:%Y-%m-%d}", f"to={self.end:%Y-%m-%d}"]
        if self.unit_id:
            parts.append(f"unit={self.unit_id}")
        if self.incident_id:
            parts.append(f"incident={self.incident_id}")
        return "&".join(parts)

    @classmethod
    def from_params(cls, params: dict) -> "Scope":
        """The inverse of as_dict."""
        return cls(start=datetime.date.fromisoformat(params["from"]), end=datetime.date.fromisoformat(params["to"]),
                   unit_id=params.get("unit"), incident_id=params.get("incident"))  # fmt: skip

    def as_dict(self) -> dict:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "unit": self.unit_id,
            "incident": self.incident_id,
        }


PERIODS = [
    ("week", _("This week")),
    ("month", _("This month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Custom")),
]


def period_bounds(preset: str, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The dates (inclusive) of a preset period up to today, in Asia/Shanghai."""
    today = today or timezone.localdate()
    if preset == "week":
        return today - datetime.timedelta(days=today.weekday()), today
    if preset == "month":
        return today.replace(day=1), today
    if preset == "quarter":
        return datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today
    return datetime.date(today.year, 1, 1), today


@dataclass
class Figure:
    key: str  # "<section>.<name>", the token bulletins write as {section.name}
    label: str
    value: int | Decimal | float | None
    kind: str = "count"  # count, yuan, rate, days
    measure: str = ""  # 家, 次, 个, 人次, 件 …: what a count counts, in a Chinese sentence
    query: str = ""  # what is counted, in words (统计口径)
    records: Callable | None = None  # (user, scope) -> QuerySet of the rows behind the figure
    linked: bool = False  # has records behind it (kept when the figure comes from a snapshot)

    def __post_init__(self):
        self.linked = self.linked or self.records is not None

    def display(self, *, rounded: bool = False) -> str:
        return format_figure(self.value, self.kind, rounded=rounded)

    def snapshot(self) -> dict:
        value = self.value
        if isinstance(value, Decimal):
            value = str(value)
        return {"label": str(self.label), "value": value, "kind": self.kind, "measure": self.measure,
                "query": str(self.query)}  # fmt: skip


def format_figure(value, kind: str, *, rounded: bool = False) -> str:
    """A figure as a Chinese report writes it: 3.4亿元, 45.3%, 2.5个工作日, 182 or 180余."""
    if value is None:
        return "—"
    if kind == "yuan":
        return format_cny(value)
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"
    if kind == "days":
        return f"{Decimal(str(value)).quantize(Decimal('0.1')).normalize():f}"
    return round_count(int(value)) if rounded else str(int(value))


def round_count(n: int) -> str:
    """Reports round counts down to two significant digits (tens under 100) and say 余: 137 → 130余,
    50785 → 5万余, 13854 → 1.3万余, 42 → 40余; a count already round, or under 10, stays exact."""
    if n < 10:
        return str(n)
    digits = max(len(str(n)) - 2, 1)
    floor = n // 10**digits * 10**digits
    if floor >= 10_000:
        text = f"{(Decimal(floor) / 10_000).quantize(Decimal('0.1'), rounding=ROUND_DOWN).normalize():f}万"
    else:
        text = str(floor)
    return text if floor == n else f"{text}余"


@dataclass
class SectionResult:
    key: str
    title: str
    figures: dict[str, Figure]
    charts: list[dict] = field(default_factory=list)  # ECharts options, drawn by reports/dashboard.js
    tables: list[dict] = field(default_factory=list)  # {"title", "headers", "rows"} for the panel
    sentences: list[str] = field(default_factory=list)  # the bulletin's draft, with {tokens}
    empty: bool = False
    computed_at: datetime.datetime | None = None  # when the figures were computed (core/snapshots.py)


@dataclass
class Section:
    key: str
    title: str
    compute: Callable  # (user, scope) -> SectionResult
    order: int = 100
    depends_on: tuple[str, ...] = ()  # the apps whose records it counts (core/snapshots.py)


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    """A dashboard section, whose results are kept as snapshots (core/snapshots.py) under the name
    "section.<key>" with the scope as parameters."""
    from investdesk.core import snapshots

    SECTIONS[section.key] = section
    snapshots.register(snapshots.Computation(
        name=f"section.{section.key}",
        compute=lambda user, params: section.compute(user, Scope.from_params(params)),
        dump=_dump_result,
        load=_load_result,
        depends_on=section.depends_on,
    ))  # fmt: skip


_FIGURE_FIELDS = ("key", "label", "value", "kind", "measure", "query", "linked")


def _dump_result(result: SectionResult) -> dict:
    return {
        "key": result.key,
        "title": result.title,
        "figures": {name: {f: getattr(fig, f) for f in _FIGURE_FIELDS} for name, fig in result.figures.items()},
        "charts": result.charts,
        "tables": result.tables,
        "sentences": result.sentences,
        "empty": result.empty,
    }


def _load_result(data: dict) -> SectionResult:
    """A section's result from its snapshot: the figures keep `linked` (their records are listed by
    the figure page, which computes them afresh) but not the `records` function itself."""
    figures = {name: Figure(**f) for name, f in data.pop("figures").items()}
    return SectionResult(figures=figures, **data)


def sections() -> list[Section]:
    return sorted(SECTIONS.values(), key=lambda s: s.order)
