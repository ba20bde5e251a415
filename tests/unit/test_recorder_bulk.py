"""The recorder's bulk writes hand the driver exactly what SQLAlchemy itself would."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from aiivr.models.agents import AgentStatus
from aiivr.models.calls import Call
from aiivr.recorder.bulk import Bulk

UTC = dt.timezone.utc
TIMES = [
    dt.datetime(2026, 11, 26, 15, 30, 0, tzinfo=UTC),  # no microseconds: still six digits
    dt.datetime(2026, 11, 26, 15, 30, 0, 123456, tzinfo=UTC),
    dt.datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    dt.datetime(2026, 11, 26, 17, 30, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),  # another zone
]


def sqlalchemys(table: sa.Table, column: str, dialect, value):
    processor = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return value if processor is None or value is None else processor(value)


def test_converted_rows_match_sqlalchemys_own_processors_on_both_dialects():
    table = Call.__table__
    columns = ("started_at", "local_date", "linkedid", "ended_at")
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        convert = Bulk(dialect).converter(table, columns)
        for at in TIMES:
            row = (at, at.date(), "1795673118.0", None)
            want = tuple(sqlalchemys(table, c, dialect, v) for c, v in zip(columns, row))
            assert convert(row) == want
    text = Bulk(sqlite.dialect()).converter(table, ("started_at", "local_date"))((TIMES[0], TIMES[0].date()))
    assert text == ("2026-11-26 15:30:00.000000", "2026-11-26")


def test_a_naive_time_is_still_refused():
    convert = Bulk(sqlite.dialect()).converter(AgentStatus.__table__, ("started_at",))
    try:
        convert((dt.datetime(2026, 11, 26, 15, 30),))
    except ValueError:
        pass
    else:
        raise AssertionError("a naive datetime reached the driver")
