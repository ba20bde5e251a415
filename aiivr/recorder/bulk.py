"""Driver-level statements for the recorder's bulk writes.

At tens of thousands of AMI events a second, SQLAlchemy's per-parameter work on an
executemany (construct_params, bind processors looked up per value, the compiled-cache
key) cost more than the database's own. Here each statement's SQL is built once per
table and column set, each column's bind processor is taken once from SQLAlchemy itself
(so a value reaches the driver exactly as SQLAlchemy would send it: UTCDateTime as naive
UTC text on SQLite, aware on PostgreSQL), and rows go to the driver as plain tuples,
straight to the DBAPI connection inside the session's own transaction.

On SQLite the two types the recorder writes most (UTCDateTime and Date) get a processor
that gives SQLAlchemy's own text through `isoformat` (SQLAlchemy's builds a dict and a
%-format per value: a third of the writer's conversion time); anything unusual (another
zone, a storage format of its own) still goes through SQLAlchemy's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import closing
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from aiivr.db import UTCDateTime

UTC = dt.timezone.utc
# SQLAlchemy's default SQLite storage formats, which the fast processors reproduce.
_SQLITE_DATETIME_FORMAT = ("%(year)04d-%(month)02d-%(day)02d "
                           "%(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d")
_SQLITE_DATE_FORMAT = "%(year)04d-%(month)02d-%(day)02d"

# SQLite allows 32,766 bound parameters per statement, PostgreSQL 65,535.
MAX_PARAMS = {"sqlite": 32_000, "postgresql": 60_000}
# The row counts of multi-row statements, largest first: a batch's rows go out in pieces of
# these sizes, so each statement's text recurs from batch to batch and is compiled once per
# connection (sqlite3 caches statements by text, psycopg prepares a text it sees often). One
# statement of exactly the batch's rows was new text every batch: SQLite compiled a 170-row
# INSERT afresh for ~4 ms.
PIECES = (256, 64, 16, 4, 1)
# The lengths IN lists are padded to, for the same reason.
IN_SIZES = (8, 32, 128, 512)


class Bulk:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.max_params = MAX_PARAMS.get(dialect.name, 30_000)
        self._processors: dict[tuple[str, str], Callable[[Any], Any] | None] = {}
        self._converters: dict[tuple, Callable[[Sequence[Any]], tuple]] = {}
        self._sql: dict[tuple, str] = {}
        self.quote = dialect.identifier_preparer.quote  # only where SQLAlchemy would quote

    def _names(self, columns: Sequence[str]) -> str:
        return ", ".join(self.quote(c) for c in columns)

    def _processor(self, table: sa.Table, column: str) -> Callable[[Any], Any] | None:
        key = (table.name, column)
        if key not in self._processors:
            col_type = table.c[column].type
            processor = col_type.dialect_impl(self.dialect).bind_processor(self.dialect)
            self._processors[key] = _fast_sqlite(col_type, self.dialect, processor)
        return self._processors[key]

    def converters(self, table: sa.Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
        return [self._processor(table, c) for c in columns]

    def converter(self, table: sa.Table, columns: Sequence[str]) -> Callable[[Sequence[Any]], tuple]:
        """A function turning one row's values (in `columns`' order) into what the driver
        takes; it touches only the columns that have a processor."""
        key = (table.name, tuple(columns))
        convert = self._converters.get(key)
        if convert is None:
            active = tuple((i, p) for i, p in enumerate(self.converters(table, columns)) if p is not None)
            if not active:
                convert = tuple
            else:
                def convert(values: Sequence[Any], active=active) -> tuple:
                    out = list(values)
                    for i, process in active:
                        value = out[i]
                        if value is not None:
                            out[i] = process(value)
                    return tuple(out)
            self._converters[key] = convert
        return convert

    def insert_returning(self, conn: Connection, table: sa.Table, columns: Sequence[str],
                         rows: list[tuple], returning: Sequence[str]) -> list[tuple]:
        """Multi-row INSERT ... RETURNING statements (see _multi_row); `rows` already converted.
        The rows come back in no promised order (SQLite says so): match them by what
        `returning` names."""
        out: list[tuple] = []
        with closing(_driver(conn).cursor()) as cursor:
            for sql, params in self._multi_row(table, columns, rows, f"RETURNING {self._names(returning)}"):
                cursor.execute(sql, params)
                out.extend(cursor.fetchall())
        return out

    def insert_ignoring_many(self, conn: Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple],
                             conflict: str) -> None:
        """Multi-row INSERT ... ON CONFLICT (conflict) DO NOTHING, `rows` already converted. A few
        statements, not one driver call per row: an executemany gives the GIL away and takes it
        back at every row (the AMI read loop takes it meanwhile), and costs more CPU."""
        with closing(_driver(conn).cursor()) as cursor:
            for sql, params in self._multi_row(table, columns, rows, f"ON CONFLICT ({self.quote(conflict)}) DO NOTHING"):
                cursor.execute(sql, params)

    def _multi_row(self, table: sa.Table, columns: Sequence[str], rows: list[tuple], tail: str):
        """(sql, params) per piece (see _pieces) of INSERT INTO table (columns) VALUES (...), ... `tail`."""
        per_row = len(columns)
        for size, params in self._pieces(rows, per_row):
            sql = self._text(("insert", table.name, tuple(columns), tail, size), lambda: (
                f"INSERT INTO {self.quote(table.name)} ({self._names(columns)}) VALUES "
                + ", ".join([_placeholders(self.mark, per_row)] * size) + " " + tail))
            yield sql, params

    def _pieces(self, rows: list[tuple], per_row: int):
        """(size, flattened params) per piece of `rows`: pieces of PIECES' sizes, largest first,
        within the driver's parameter limit."""
        start = 0
        for size in PIECES:
            if size > 1 and size * per_row > self.max_params:
                continue
            while len(rows) - start >= size:
                part = rows[start:start + size]
                start += size
                yield size, tuple(chain.from_iterable(part))

    def _text(self, key: tuple, build: Callable[[], str]) -> str:
        sql = self._sql.get(key)
        if sql is None:
            sql = self._sql[key] = build()
        return sql

    def update_by_id(self, conn: Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple]) -> None:
        """UPDATE table SET columns WHERE id, for rows of (converted values..., id). On SQLite one
        UPDATE ... FROM (VALUES ...) per piece (see _pieces): an executemany gave the GIL away
        and took it back at every row. PostgreSQL's VALUES would need a cast per column, so it
        keeps the executemany."""
        if not rows:
            return
        name = self.quote(table.name)
        with closing(_driver(conn).cursor()) as cursor:
            if self.dialect.name != "sqlite":
                cursor.executemany(self._text(("update", table.name, tuple(columns)), lambda: (
                    f"UPDATE {name} SET " + ", ".join(f"{self.quote(c)} = {self.mark}" for c in columns)
                    + f" WHERE id = {self.mark}")), rows)
                return
            per_row = len(columns) + 1  # the id last
            for size, params in self._pieces(rows, per_row):
                cursor.execute(self._text(("update from values", table.name, tuple(columns), size), lambda: (
                    f"UPDATE {name} SET " + ", ".join(f"{self.quote(c)} = v.column{i}" for i, c in enumerate(columns, 1))
                    + " FROM (VALUES " + ", ".join([_placeholders(self.mark, per_row)] * size)
                    + f") AS v WHERE {name}.id = v.column{per_row}")), params)

    def present(self, conn: Connection, table: sa.Table, column: str, system: str, values: list[str]) -> set[str]:
        """Which of `values` `table` holds in `column` for `system`: the quick test before rows
        are read (a batch's calls and entries are mostly new). Each list is padded to one of
        IN_SIZES with its last value, so the statement's text recurs."""
        found: set[str] = set()
        if not values:
            return found
        largest = IN_SIZES[-1]
        with closing(_driver(conn).cursor()) as cursor:
            for start in range(0, len(values), largest):
                part = values[start:start + largest]
                size = next(size for size in IN_SIZES if size >= len(part))
                sql = self._text(("present", table.name, column, size), lambda: (
                    f"SELECT {self.quote(column)} FROM {self.quote(table.name)} WHERE system = {self.mark} "
                    f"AND {self.quote(column)} IN {_placeholders(self.mark, size)}"))
                cursor.execute(sql, (system, *part, *[part[-1]] * (size - len(part))))
                found.update(value for (value,) in cursor.fetchall())
        return found


def _placeholders(mark: str, count: int) -> str:
    return "(" + ", ".join([mark] * count) + ")"


def _driver(conn: Connection):
    """The DBAPI connection under `conn`, in the same transaction. A statement through
    Connection.exec_driver_sql cost ~50 µs of SQLAlchemy's bookkeeping (execution context,
    events, result object) against ~2 µs straight to the driver, and a batch runs dozens."""
    return conn.connection.driver_connection


def _fast_sqlite(col_type: sa.types.TypeEngine, dialect: Dialect,
                 processor: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """SQLAlchemy's processor, or on SQLite for UTCDateTime and Date one giving the same text
    faster (tests/unit/test_recorder_bulk.py holds them to SQLAlchemy's)."""
    if dialect.name != "sqlite" or processor is None:
        return processor
    impl = col_type.dialect_impl(dialect)
    stored = getattr(getattr(impl, "impl", impl), "_storage_format", None)
    slow = processor
    if isinstance(col_type, UTCDateTime) and stored == _SQLITE_DATETIME_FORMAT:
        def utc_text(value: Any) -> Any:
            if type(value) is dt.datetime and value.tzinfo is UTC:
                return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
            return slow(value)
        return utc_text
    if type(col_type) is sa.Date and stored == _SQLITE_DATE_FORMAT:
        def date_text(value: Any) -> Any:
            return value.isoformat() if type(value) is dt.date else slow(value)
        return date_text
    return processor
