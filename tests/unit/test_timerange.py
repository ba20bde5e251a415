import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from aiivr.errors import BadInput
from aiivr.timerange import local_stamp, parse_bound, parse_range

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 26, 10, 30, tzinfo=UTC)  # 11:30 in Berlin


def test_today_and_yesterday_are_local_days():
    lo, hi = parse_range("today", "today", BERLIN, now=NOW)
    assert lo == dt.datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    assert hi == dt.datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    assert parse_bound("yesterday", BERLIN, now=NOW, is_end=False) == dt.datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


def test_relative_days_and_hours():
    assert parse_bound("7d", BERLIN, now=NOW, is_end=False) == NOW - dt.timedelta(days=7)
    assert parse_bound("3h", BERLIN, now=NOW, is_end=False) == NOW - dt.timedelta(hours=3)


def test_date_only_to_includes_the_whole_day_and_range_is_half_open():
    lo, hi = parse_range("2026-11-01", "2026-11-01", BERLIN, now=NOW)
    assert lo == dt.datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert hi == dt.datetime(2026, 11, 1, 23, 0, tzinfo=UTC)


def test_dst_day_is_23_hours_long():
    lo, hi = parse_range("2026-03-29", "2026-03-29", BERLIN, now=NOW)  # spring forward in Europe
    assert hi - lo == dt.timedelta(hours=23)


def test_datetime_with_and_without_offset():
    assert parse_bound("2026-11-26T08:00", BERLIN, now=NOW, is_end=False) == dt.datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert parse_bound("2026-11-26T08:00+00:00", BERLIN, now=NOW, is_end=False) == dt.datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["last week", "2026-13-01", "26/11/2026", "d7", ""])
def test_bad_bounds_are_refused_with_a_hint(text):
    with pytest.raises(BadInput, match="cannot read|not a valid date"):
        parse_bound(text or "x", BERLIN, now=NOW, is_end=False)


def test_empty_range_is_refused():
    with pytest.raises(BadInput, match="empty range"):
        parse_range("2026-11-02", "2026-11-01T12:00", BERLIN, now=NOW)


def test_local_stamp_uses_the_site_zone():
    assert local_stamp(dt.datetime(2026, 11, 26, 23, 30, tzinfo=UTC), BERLIN) == (dt.date(2026, 11, 27), 0)
