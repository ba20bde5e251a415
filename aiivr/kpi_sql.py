"""The few SQL expressions SQLite and PostgreSQL spell differently, for the KPI queries.

Durations come out in whole milliseconds (integers), so sums are exact whatever order
the database adds rows in.
"""

from __future__ import annotations

import sqlalchemy as sa


class Dialect:
    def __init__(self, name: str) -> None:
        self.postgres = name == "postgresql"

    def ms(self, seconds) -> sa.ColumnElement:
        """A number of seconds (a float column) as whole milliseconds."""
        return sa.cast(sa.func.round(seconds * 1000), sa.BigInteger)

    def duration_ms(self, start, end) -> sa.ColumnElement:
        if self.postgres:
            return sa.cast(sa.func.round(sa.extract("epoch", end - start) * 1000), sa.BigInteger)
        return sa.cast(sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 86400000.0), sa.BigInteger)

    def plus_hours(self, moment, hours: int) -> sa.ColumnElement:
        """moment + hours, comparable with a stored time. On SQLite times are text
        'YYYY-MM-DD HH:MM:SS.ffffff' and strftime keeps milliseconds."""
        hours = int(hours)
        if self.postgres:
            return moment + sa.literal_column(f"interval '{hours} hours'")
        return sa.func.strftime("%Y-%m-%d %H:%M:%f", moment, f"{hours:+d} hours")
