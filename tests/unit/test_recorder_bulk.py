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


def test_timeline_rows_go_in_once_each_even_repeated_within_one_statement(db):
    # One multi-row INSERT ... ON CONFLICT DO NOTHING per chunk: a row repeated inside the
    # statement, or already in the table, is skipped, on SQLite and PostgreSQL alike.
    from aiivr.models.calls import CallEvent
    from aiivr.recorder.rows import CallRow
    from aiivr.recorder.store import TIMELINE_COLUMNS

    at = dt.datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
    table, calls = CallEvent.__table__, Call.__table__
    bulk = Bulk(db.engine.dialect)
    bulk.max_params = len(TIMELINE_COLUMNS) * 5  # pieces of 4 rows and of 1 at most
    with db.write() as session:
        conn = session.connection()
        call = CallRow(system="s", linkedid="1.0", started_at=at, local_date=at.date(), local_hour=15)
        columns = call.present_columns()
        convert = bulk.converter(calls, columns)
        [(call_id,)] = bulk.insert_returning(conn, calls, columns, [convert(call.column_values(columns))], ("id",))
        convert = bulk.converter(table, TIMELINE_COLUMNS)
        row = lambda key: convert((call_id, at, "joined", None, None, None, "{}", key))  # noqa: E731
        bulk.insert_ignoring_many(conn, table, TIMELINE_COLUMNS, [row(k) for k in "aabba"], "dedupe_key")
        bulk.insert_ignoring_many(conn, table, TIMELINE_COLUMNS, [row(k) for k in "bcaac"], "dedupe_key")
        keys = sorted(k for (k,) in conn.execute(sa.select(table.c.dedupe_key)))
    assert keys == ["a", "b", "c"]


AT = dt.datetime(2026, 11, 26, 15, 30, tzinfo=UTC)


def new_calls(bulk: Bulk, numbers) -> tuple[tuple[str, ...], list[tuple]]:
    """Calls 1.<n> of system "s" as the recorder builds them, converted for the driver."""
    from aiivr.recorder.rows import CallRow

    rows = [CallRow(system="s", linkedid=f"1.{n}", started_at=AT, local_date=AT.date(), local_hour=15)
            for n in numbers]
    columns = rows[0].present_columns()
    convert = bulk.converter(Call.__table__, columns)
    return columns, [convert(row.column_values(columns)) for row in rows]


def test_rows_go_out_in_pieces_of_a_few_sizes_and_every_id_comes_back(db):
    # 345 rows: 256 + 64 + 16 + 4 + 4 + 1, so that each statement's text recurs between batches.
    table = Call.__table__
    bulk = Bulk(db.engine.dialect)
    columns, values = new_calls(bulk, range(345))
    pieces = list(bulk._multi_row(table, columns, values, "RETURNING id"))
    assert [len(params) // len(columns) for _, params in pieces] == [256, 64, 16, 4, 4, 1]
    assert len({sql for sql, _ in pieces}) == 5
    with db.write() as session:
        returned = bulk.insert_returning(session.connection(), table, columns, values, ("id", "linkedid"))
    assert len({id_ for id_, _ in returned}) == 345
    assert sorted(linkedid for _, linkedid in returned) == sorted(f"1.{n}" for n in range(345))


def test_present_names_the_ids_a_table_holds_for_a_system(db):
    # The quick test before a batch's rows are read: lists padded to a few lengths, long ones cut.
    table = Call.__table__
    bulk = Bulk(db.engine.dialect)
    columns, values = new_calls(bulk, (3, 600, 700))
    with db.write() as session:
        conn = session.connection()
        bulk.insert_returning(conn, table, columns, values, ("id",))
        asked = [f"1.{n}" for n in range(650)]  # 512 + 138: two statements, the second padded to 512
        assert bulk.present(conn, table, "linkedid", "s", asked) == {"1.3", "1.600"}
        assert bulk.present(conn, table, "linkedid", "s", ["1.3", "9.9"]) == {"1.3"}  # padded to 8
        assert bulk.present(conn, table, "linkedid", "other", asked) == set()
        assert bulk.present(conn, table, "linkedid", "s", []) == set()


def test_update_by_id_writes_each_rows_own_values(db):
    # 21 rows: pieces of 16, 4 and 1 (one UPDATE ... FROM VALUES each on SQLite), every row its own values.
    table = Call.__table__
    bulk = Bulk(db.engine.dialect)
    columns, values = new_calls(bulk, range(21))
    changed = ("ended_at", "disposition", "talk_seconds", "answered_at")
    to_text = bulk.converter(table, changed)
    with db.write() as session:
        conn = session.connection()
        ids = dict(bulk.insert_returning(conn, table, columns, values, ("linkedid", "id")))
        updates = [to_text((AT + dt.timedelta(seconds=n), "answered" if n % 2 else "abandoned", n * 1.5,
                            AT if n % 3 else None)) + (ids[f"1.{n}"],) for n in range(21)]
        bulk.update_by_id(conn, table, changed, updates)
        got = {r.linkedid: (r.ended_at, r.disposition, r.talk_seconds, r.answered_at)
               for r in conn.execute(sa.select(table).where(table.c.system == "s"))}
    assert got == {f"1.{n}": (AT + dt.timedelta(seconds=n), "answered" if n % 2 else "abandoned", n * 1.5,
                              AT if n % 3 else None) for n in range(21)}
