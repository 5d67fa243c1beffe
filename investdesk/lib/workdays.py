"""Working days on the Chinese calendar: public holidays are skipped and the adjusted working
weekends (调休) count, as the State Council publishes them each year (package chinesecalendar).

Convention (docs/operations.md): a period of N working days starts the day *after* the start date,
so a case registered on Sunday 2024-09-29 (a 调休 working day) with 3 working days is due 2024-10-09.
For a year the package does not know yet, Monday–Friday are working days (and a warning is logged).
"""

import datetime
import functools
import logging

import chinese_calendar

log = logging.getLogger(__name__)
_warned: set[int] = set()


def is_workday(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning("No official holiday calendar for %s yet: counting Monday to Friday.", day.year)
        return day.weekday() < 5


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
