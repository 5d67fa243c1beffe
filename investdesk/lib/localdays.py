"""Days in the local time zone (Asia/Shanghai) as ranges of timestamps.

Filtering a timestamp column by `__date` casts every row's value (`(at AT TIME ZONE …)::date`), which
no index can serve; the same condition written as a range of aware datetimes can use one."""

import datetime

from django.utils import timezone


def day_start(d: datetime.date) -> datetime.datetime:
    """Midnight at the start of a local day, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(d, datetime.time.min))


def days_filter(field: str, start: datetime.date | None, end: datetime.date | None) -> dict:
    """Lookups for `field` within the local days start..end (inclusive; either may be None)."""
    lookups = {}
    if start:
        lookups[f"{field}__gte"] = day_start(start)
    if end:
        lookups[f"{field}__lt"] = day_start(end + datetime.timedelta(days=1))
    return lookups
