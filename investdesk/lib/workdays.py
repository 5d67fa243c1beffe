"""Working days on the Chinese calendar: public holidays are skipped and the adjusted working
weekends (调休) count, as the State Council publishes them each year (package chinesecalendar).

Convention (docs/operations.md): a period of N working days starts the day *after* the start date,
so a case registered on Sunday 2024-09-29 (a 调休 working day) with 3 working days is due 2024-10-09.

The State Council publishes next year's holidays in November or December; a release of the package
follows some time later. Until then — or to correct a day — the agency lists the days in
`HOLIDAYS_FILE` (CSV: date, 休 or 班, name; docs/operations.md), which wins over the package. For a
year neither knows, Monday–Friday are working days (a warning is logged, and `check_holidays` warns
from November on about the next year).
"""

import csv
import datetime
import functools
import logging
from pathlib import Path

import chinese_calendar
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)
_warned: set[int] = set()

# The words of the file's second column: a day off, or a working day (调休).
OFF_WORDS = {"休", "假", "休息", "放假", "holiday", "off"}
WORK_WORDS = {"班", "上班", "调休上班", "workday", "work"}


def is_workday(day: datetime.date) -> bool:
    listed = _listed()
    if day in listed:
        return listed[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _listed_years() and day.year not in _warned:
            _warned.add(day.year)
            log.warning(
                "No official holiday calendar for %s yet: counting Monday to Friday (list the days in %s).",
                day.year,
                settings.HOLIDAYS_FILE,
            )
        return day.weekday() < 5


@functools.cache
def _listed() -> dict[datetime.date, bool]:
    """The days of HOLIDAYS_FILE: date → is a working day. Read once per process (restart after an
    edit); ImproperlyConfigured names the line of a date or word it cannot read."""
    return read_holidays_file(settings.HOLIDAYS_FILE)


@functools.cache
def _listed_years() -> frozenset[int]:
    return frozenset(day.year for day in _listed())


def read_holidays_file(path) -> dict[datetime.date, bool]:
    days: dict[datetime.date, bool] = {}
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return days
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [cell.strip() for cell in row]
        if not cells or not cells[0] or cells[0].startswith("#") or cells[0] in ("日期", "date"):
            continue
        try:
            day = datetime.date.fromisoformat(cells[0])
        except ValueError:
            raise ImproperlyConfigured(f"{path}, line {number}: {cells[0]!r} is not a date like 2027-01-01.") from None
        word = cells[1].lower() if len(cells) > 1 else ""
        if word in OFF_WORDS:
            days[day] = False
        elif word in WORK_WORDS:
            days[day] = True
        else:
            raise ImproperlyConfigured(
                f"{path}, line {number}: the second column must be 休 (a day off) or 班 (a working day)."
            )
    return days


def reload() -> None:
    """Forget what was read and counted (tests; a process reads HOLIDAYS_FILE once)."""
    for cached in (_listed, _listed_years, _year_totals):
        cached.cache_clear()
    _warned.clear()


def knows_year(year: int) -> bool:
    """Whether the package or HOLIDAYS_FILE has the official days of `year`."""
    try:
        chinese_calendar.is_workday(datetime.date(year, 1, 1))
    except NotImplementedError:
        return year in _listed_years()
    return True


def check_holidays(app_configs=None, **kwargs) -> list:
    """A system check: the holidays file reads, and the calendar knows this year — and, from November
    on, when the State Council has usually published it, next year."""
    try:
        _listed()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="investdesk.E020")]
    today = datetime.date.today()
    years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return [
        checks.Warning(
            f"The working-day calendar does not know {year}: deadlines in it count Monday to Friday, "
            "with no public holidays.",
            hint=f"Upgrade the package chinesecalendar, or list {year}'s holidays and 调休 working days from "
            f"the State Council's notice in {settings.HOLIDAYS_FILE} (docs/operations.md, Working days).",
            id="investdesk.W020",
        )
        for year in years
        if not knows_year(year)
    ]


def add_workdays(start: datetime.date, days: int, *, count_start_day: bool = False) -> datetime.date:
    """The date `days` working days after `start`, counting from the next day — or, with
    `count_start_day`, counting `start` itself when it is a working day (some agencies do)."""
    if days < 0:
        raise ValueError("days must not be negative")
    if count_start_day and days and is_workday(start):
        return add_workdays(start, days - 1) if days > 1 else start
    current, counted = start, 0
    while counted < days:
        current += datetime.timedelta(days=1)
        if is_workday(current):
            counted += 1
    return current


def workdays_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier).

    Counted from each year's running totals, computed once per year: the dashboard measures
    hundreds of thousands of cases this way."""
    if end < start:
        return -workdays_between(end, start)
    if start.year == end.year:
        return _through(end) - _through(start)
    count = _year_totals(start.year)[-1] - _through(start)
    for year in range(start.year + 1, end.year):
        count += _year_totals(year)[-1]
    return count + _through(end)


@functools.cache
def _year_totals(year: int) -> tuple[int, ...]:
    """Working days from 1 January up to and including each day of the year."""
    totals, count, day = [], 0, datetime.date(year, 1, 1)
    while day.year == year:
        count += is_workday(day)
        totals.append(count)
        day += datetime.timedelta(days=1)
    return tuple(totals)


def _through(day: datetime.date) -> int:
    return _year_totals(day.year)[day.timetuple().tm_yday - 1]
