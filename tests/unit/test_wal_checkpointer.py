"""serve's WAL checkpointer: commits stop checkpointing, its thread copies the WAL into the
database file, readers elsewhere see every commit, a WAL grown too long is handed back to the
commits (so it stays bounded), and stop() leaves SQLite's default and nothing running.

The thread's timing is never asserted: the tests call run_once() themselves and keep the
thread asleep (a one-hour interval)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from aiivr.db import SQLITE_AUTOCHECKPOINT_PAGES, Database
from aiivr.wal_checkpointer import WalCheckpointer

ROW = "x" * 3000  # about one 4 KiB page per row


@pytest.fixture
def wal_db(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    with db.write() as session:
        session.execute(sa.text("CREATE TABLE pad (id INTEGER PRIMARY KEY, body TEXT)"))
    yield db
    db.dispose()


def write(db: Database, rows: int, per_commit: int = 100) -> None:
    for _ in range(rows // per_commit):
        with db.write() as session:
            session.execute(sa.text("INSERT INTO pad (body) VALUES (:body)"), [{"body": ROW}] * per_commit)


def autocheckpoint_of_a_pooled_connection(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()


def test_commits_leave_the_wal_to_the_checkpointer_which_copies_all_of_it(wal_db):
    checkpointer = WalCheckpointer(wal_db, interval=3600)
    checkpointer.start()
    try:
        assert autocheckpoint_of_a_pooled_connection(wal_db) == 0
        write(wal_db, 3000)
        checkpointer.run_once()
        busy, frames, copied = checkpointer.last
        # SQLite's default would have checkpointed (and restarted the WAL) every ~1,000 pages.
        assert frames >= 3000
        assert (busy, copied) == (0, frames)
    finally:
        checkpointer.stop()


def test_a_reader_in_another_connection_sees_every_commit(wal_db, tmp_path):
    checkpointer = WalCheckpointer(wal_db, interval=3600)
    checkpointer.start()
    reader = sqlite3.connect(tmp_path / "wal.db")
    try:
        write(wal_db, 500)
        assert reader.execute("SELECT count(*) FROM pad").fetchone() == (500,)
        checkpointer.run_once()
        write(wal_db, 200)
        assert reader.execute("SELECT count(*) FROM pad").fetchone() == (700,)
    finally:
        reader.close()
        checkpointer.stop()


def test_a_wal_grown_too_long_is_handed_back_to_the_commits_and_starts_over(wal_db):
    checkpointer = WalCheckpointer(wal_db, interval=3600, restart_frames=1500)
    checkpointer.start()
    try:
        write(wal_db, 2000)
        checkpointer.run_once()
        assert checkpointer.last[1] > 1500
        assert wal_db.wal_autocheckpoint == SQLITE_AUTOCHECKPOINT_PAGES
        assert autocheckpoint_of_a_pooled_connection(wal_db) == SQLITE_AUTOCHECKPOINT_PAGES
        assert checkpointer.handed_back == 1
        write(wal_db, 200)  # begins after a complete checkpoint: the WAL starts over
        checkpointer.run_once()
        assert checkpointer.last[1] <= 300
        assert wal_db.wal_autocheckpoint == 0
        assert autocheckpoint_of_a_pooled_connection(wal_db) == 0
    finally:
        checkpointer.stop()


def test_stop_checkpoints_what_is_left_and_leaves_nothing_behind(wal_db):
    checkpointer = WalCheckpointer(wal_db, interval=3600)
    checkpointer.start()
    assert any(t.name == "aiivr-wal-checkpoint" for t in threading.enumerate())
    write(wal_db, 1200)
    checkpointer.stop()
    _busy, frames, copied = checkpointer.last
    assert frames >= 1200 and copied == frames
    assert not any(t.name == "aiivr-wal-checkpoint" for t in threading.enumerate())
    assert wal_db.engine.pool.checkedout() == 0
    assert wal_db.wal_autocheckpoint == SQLITE_AUTOCHECKPOINT_PAGES
    assert autocheckpoint_of_a_pooled_connection(wal_db) == SQLITE_AUTOCHECKPOINT_PAGES


def test_only_for_an_sqlite_file(tmp_path):
    memory = Database("sqlite://")
    try:
        with pytest.raises(ValueError):
            WalCheckpointer(memory)
    finally:
        memory.dispose()
