"""The recorder's per-batch bookkeeping, written without the ORM: when each PBX was last
heard from (only forward), and the change counters (once per transaction, one prebuilt
statement in changes' before_commit hook)."""

from __future__ import annotations

from sqlmodel import select

from aiivr import changes
from aiivr.models.changes import ChangeCounter
from aiivr.models.pbx import PbxState
from aiivr.recorder.store import Store

T0 = 1_795_673_118.0


def last_heard(db) -> dict[str, object]:
    with db.read() as session:
        return {s.system: s.last_event_at.timestamp() for s in session.exec(select(PbxState))}


def test_last_heard_only_moves_forward_and_a_new_system_gets_its_row(db, config):
    store = Store(db, config.tz)
    try:
        store.heard_from("pbx-a", T0 + 10)
        store.commit()
        store.heard_from("pbx-a", T0 + 5)  # an older event replayed
        store.heard_from("pbx-b", T0 + 7)
        store.commit()
        assert last_heard(db) == {"pbx-a": T0 + 10, "pbx-b": T0 + 7}
        store.heard_from("pbx-a", T0 + 11)
        store.commit()
        assert last_heard(db)["pbx-a"] == T0 + 11
    finally:
        store.close()


def test_a_new_systems_row_rolled_back_is_inserted_again(db, config):
    store = Store(db, config.tz)
    try:
        store.heard_from("pbx-a", T0)
        store._write_heard()  # the row inserted, then the batch fails before its commit
        store.rollback()
        store.heard_from("pbx-a", T0 + 1)
        store.commit()
        assert last_heard(db) == {"pbx-a": T0 + 1}
    finally:
        store.close()


def test_each_topic_moves_once_per_transaction_however_often_it_is_bumped(db):
    with db.write() as session:
        changes.seed(session)  # the counters' rows, as `aiivr init` makes them
    with db.read() as session:
        before = changes.versions(session)
    with db.write() as session:
        changes.bump(session, "queries", "calls")
        changes.bump(session, "calls", "agents")
    with db.read() as session:
        after = changes.versions(session)
    assert {topic: after[topic] - before[topic] for topic in after} == {
        topic: 1 if topic in ("queries", "calls", "agents") else 0 for topic in after}


def test_counters_seeded_in_the_bumping_transaction_move_too(db):
    with db.write() as session:  # a database whose counters are not made yet
        session.execute(ChangeCounter.__table__.delete())
    with db.write() as session:
        changes.seed(session)
        changes.bump(session, "calls")
    with db.read() as session:
        versions = changes.versions(session)
    assert versions["calls"] == 1 and versions["agents"] == 0
