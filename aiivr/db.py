"""The database: one engine per URL, read and write sessions, schema checks.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout, and
every *write* transaction begins IMMEDIATE: a deferred transaction that reads and then
writes fails with SQLITE_BUSY_SNAPSHOT under concurrency, and no timeout fixes that.
Reads stay deferred so screens never take the write lock. PostgreSQL is selected by a
`postgresql+psycopg://` URL and needs none of this.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlmodel import Session

from aiivr.config import mask_url
from aiivr.errors import AiivrError, DatabaseError

_WRITE = "aiivr_write"
_AUTOCHECKPOINT = "aiivr_wal_autocheckpoint"
SQLITE_AUTOCHECKPOINT_PAGES = 1000  # SQLite's default

# SQLAlchemy renders no table hints on SQLite; `with_hint(table, "INDEXED BY ix", "sqlite")`
# then gives SQLite's own syntax, for the one walk its statistics misjudge (the call log's
# outbound calls by caller number, aiivr.services.call_list).
SQLiteCompiler.get_from_hint_text = lambda self, table, text: text


class UTCDateTime(sa.types.TypeDecorator):
    """Stores UTC, hands back aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must be aware (UTC)")
        value = value.astimezone(dt.timezone.utc)
        # SQLite has no zone type: store naive UTC text that sorts correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Database:
    """Owns the engine; hands out sessions that commit or roll back as a unit."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                try:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise DatabaseError(
                        f"cannot create the folder for the database {path}: {error.strerror}"
                    ) from None
            self.engine = sa.create_engine(
                url,
                echo=echo,
                # The driver's own transaction handling is switched off so that we
                # decide how each transaction begins (see _begin below).
                connect_args={"timeout": busy_timeout_ms / 1000, "isolation_level": None,
                              "check_same_thread": False,
                              # Compiled statements kept per connection, by text (128 by
                              # default): the recorder's writes alone use about a hundred.
                              "cached_statements": 512},
            )
            event.listen(self.engine, "connect", _sqlite_pragmas(busy_timeout_ms))
            event.listen(self.engine, "begin", _sqlite_begin)
            event.listen(self.engine, "checkout", self._sqlite_checkout)
        else:
            self.engine = sa.create_engine(url, echo=echo, pool_pre_ping=True,
                                           connect_args={"connect_timeout": 5})
        self._writer = self.engine.execution_options(**{_WRITE: True})
        # SQLite's own: checkpoint the WAL in the committing connection every 1,000 pages.
        # A process with a WalCheckpointer thread (aiivr serve) sets 0 for all its connections.
        self.wal_autocheckpoint = SQLITE_AUTOCHECKPOINT_PAGES

    def set_wal_autocheckpoint(self, pages: int) -> None:
        """Pages of WAL after which a commit in this process checkpoints (0: never, another
        thread does). Other processes sharing the file keep their own setting. Applied to each
        pooled connection when next checked out."""
        self.wal_autocheckpoint = int(pages)

    @property
    def sqlite_path(self) -> str | None:
        """The database file, or None (PostgreSQL, in-memory SQLite)."""
        if not self.is_sqlite:
            return None
        path = sa.engine.make_url(self.url).database
        return path if path and path != ":memory:" and not path.startswith("file:") else None

    def _sqlite_checkout(self, dbapi_connection, record, _proxy) -> None:
        wanted = self.wal_autocheckpoint
        if record.info.get(_AUTOCHECKPOINT, SQLITE_AUTOCHECKPOINT_PAGES) != wanted:
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={wanted}")
            record.info[_AUTOCHECKPOINT] = wanted

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        with self._session(self._writer) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction (deferred on SQLite: never blocks a writer)."""
        with self._session(self.engine) as session:
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[sa.Connection]:
        """A read-only transaction on a plain connection, for hot paths that read rows and
        need no ORM objects (a call-list page): about half the fixed cost of read()."""
        try:
            with self.engine.connect() as connection:
                yield connection
                connection.commit()
        except exc.OperationalError as error:
            raise self.unavailable(error) from error

    @contextmanager
    def _session(self, bind) -> Iterator[Session]:
        session = Session(bind=bind, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except AiivrError:
            session.rollback()
            raise
        except exc.OperationalError as error:
            session.rollback()
            raise self.unavailable(error) from error
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def long_session(self) -> Session:
        """A session the caller keeps across many write transactions (the recorder):
        each commit() is one IMMEDIATE transaction; objects stay loaded between them."""
        # No autoflush: the owner flushes when it needs ids, so a batch's rows go out
        # together instead of one flush per query.
        return Session(bind=self._writer, expire_on_commit=False, autoflush=False)

    def connect(self):
        """A write connection for schema work (migrations)."""
        return self._writer.connect()

    def unavailable(self, error: Exception) -> DatabaseError:
        text = str(getattr(error, "orig", error)).strip().splitlines()[0] if str(error) else repr(error)
        if "locked" in text:
            return DatabaseError(f"the database is locked by another writer past the busy timeout: {text}")
        return DatabaseError(f"cannot use the database at {mask_url(self.url)}: {text}")

    def dispose(self) -> None:
        self.engine.dispose()


def upsert_insert(session: Session, table: sa.Table):
    """INSERT with ON CONFLICT support in the session's own dialect (both have one)."""
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(table)


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL is durable across app crashes
        cursor.close()

    return on_connect


def _sqlite_begin(connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(_WRITE) else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")
