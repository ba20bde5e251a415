"""What `--from` and `--to` mean: parsed in the site time zone, half-open [from, to).

Accepted: an ISO 8601 date (2026-11-26) or date-time (2026-11-26T08:00, with or
without an offset), `today`, `yesterday`, `Nd` (N days back from now) and `Nh`
(N hours back). A date-only `--to` includes that whole day.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from aiivr.errors import BadInput

_RELATIVE = re.compile(r"^(\d{1,5})([dh])$")
UTC = dt.timezone.utc


def parse_bound(text: str, tz: ZoneInfo, *, now: dt.datetime, is_end: bool) -> dt.datetime:
    """One bound of a range, as an aware UTC datetime."""
    value = text.strip().lower()
    local_now = now.astimezone(tz)
    if value in ("today", "yesterday"):
        day = local_now.date() - dt.timedelta(days=1 if value == "yesterday" else 0)
        return _day_bound(day, tz, is_end)
    if value == "now":
        return now.astimezone(UTC)
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = dt.timedelta(days=amount) if unit == "d" else dt.timedelta(hours=amount)
        return (now - delta).astimezone(UTC)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return _day_bound(dt.date.fromisoformat(value), tz, is_end)
        except ValueError:
            raise BadInput(f"not a valid date: {text!r}") from None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(
            f"cannot read {text!r} as a time: use an ISO date (2026-11-26), date-time "
            "(2026-11-26T08:00), today, yesterday, Nd or Nh"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def _day_bound(day: dt.date, tz: ZoneInfo, is_end: bool) -> dt.datetime:
    # The end of a date-only --to is the next local midnight, so the whole day is in.
    if is_end:
        day = day + dt.timedelta(days=1)
    return local_midnight(day, tz)


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(UTC)


def parse_range(
    start: str | None, end: str | None, tz: ZoneInfo, *, now: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None]:
    lo = parse_bound(start, tz, now=now, is_end=False) if start else None
    hi = parse_bound(end, tz, now=now, is_end=True) if end else None
    if lo is not None and hi is not None and lo >= hi:
        raise BadInput(f"empty range: --from {start} is not before --to {end}")
    return lo, hi


def local_stamp(moment: dt.datetime, tz: ZoneInfo) -> tuple[dt.date, int]:
    """The site-local date and hour of a moment, stored beside UTC times for grouping."""
    local = moment.astimezone(tz)
    return local.date(), local.hour


def iso(moment: dt.datetime | None, tz: ZoneInfo | None = None) -> str | None:
    """ISO 8601 with offset, in the site zone when one is given."""
    if moment is None:
        return None
    return (moment.astimezone(tz) if tz else moment).isoformat(timespec="seconds")
