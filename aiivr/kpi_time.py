"""Site-local days and hours as UTC intervals, for cutting status time into report slices.

Pure. A unit is one local day (hour=None) or one local hour, as a half-open UTC interval
clipped to the report's range. On a DST day in Europe/Berlin a day is 23 or 25 hours
long; in autumn the local hour 02 happens twice and both are labelled 02 (as the
recorder's local_hour column does), in spring it does not happen at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator
from zoneinfo import ZoneInfo

from aiivr.timerange import local_midnight

UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Unit:
    date: dt.date
    hour: int | None  # None for a whole day
    lo: dt.datetime   # UTC, inclusive
    hi: dt.datetime   # UTC, exclusive


def _unit_end(moment: dt.datetime, tz: ZoneInfo, hourly: bool) -> tuple[dt.date, int | None, dt.datetime]:
    """The local day (or hour) `moment` falls in, and when that unit ends (UTC)."""
    local = moment.astimezone(tz)
    if not hourly:
        return local.date(), None, local_midnight(local.date() + dt.timedelta(days=1), tz)
    # Hours are an hour long in UTC too; the local hour starts at the UTC instant
    # `minutes and seconds` before this one (zones with half-hour offsets included).
    start = moment - dt.timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
    return local.date(), local.hour, (start + HOUR).astimezone(UTC)


def units(lo: dt.datetime, hi: dt.datetime, tz: ZoneInfo, *, hourly: bool) -> Iterator[Unit]:
    """The local days (or hours) covering [lo, hi), each clipped to it, in order."""
    at = lo
    while at < hi:
        date, hour, end = _unit_end(at, tz, hourly)
        yield Unit(date, hour, at, min(end, hi))
        at = min(end, hi)


def pieces(start: dt.datetime, end: dt.datetime, tz: ZoneInfo, *, hourly: bool) -> Iterator[tuple[Unit, int]]:
    """[start, end) cut at local day (or hour) boundaries: each unit with the whole
    milliseconds of it that the interval covers."""
    for unit in units(start, end, tz, hourly=hourly):
        yield unit, round((unit.hi - unit.lo) / dt.timedelta(milliseconds=1))


def whole_days(lo: dt.datetime, hi: dt.datetime, tz: ZoneInfo) -> tuple[dt.date, dt.date] | None:
    """The first and last local day lying wholly inside [lo, hi), or None."""
    first = lo.astimezone(tz).date()
    if local_midnight(first, tz) < lo:
        first += dt.timedelta(days=1)
    last = hi.astimezone(tz).date() - dt.timedelta(days=1)  # the day hi falls in is not whole
    return (first, last) if first <= last else None


def day_span(first: dt.date, last: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00, the day after last 00:00) in UTC."""
    return local_midnight(first, tz), local_midnight(last + dt.timedelta(days=1), tz)


def local_dates(lo: dt.datetime, hi: dt.datetime, tz: ZoneInfo) -> tuple[dt.date, dt.date]:
    """The local dates of lo and of the last instant before hi (for index range filters)."""
    return lo.astimezone(tz).date(), (hi - dt.timedelta(microseconds=1)).astimezone(tz).date()


def key_of(moment: dt.datetime, tz: ZoneInfo) -> tuple[dt.date, int]:
    local = moment.astimezone(tz)
    return local.date(), local.hour
