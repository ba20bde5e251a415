"""The audit chain: appends link up, and verify names the first edited, deleted or
reordered entry."""

import sqlalchemy as sa
from sqlmodel import select

from aiivr import audit
from aiivr.models.audit import AuditEntry
from aiivr.principal import SYSTEM


def _fill(db, n=6):
    for i in range(n):
        with db.write() as session:
            audit.append(session, SYSTEM, "test.action", target=f"thing:{i}", detail={"i": i})


def _verify(db):
    with db.read() as session:
        return audit.verify(session)


def test_intact_chain_verifies(db):
    _fill(db)
    checked, broken = _verify(db)
    assert broken is None and checked >= 6  # init wrote entries too


def test_edited_entry_is_named(db):
    _fill(db)
    with db.engine.begin() as conn:
        seq = conn.execute(sa.text("SELECT seq FROM audit_log WHERE target = 'thing:3'")).scalar()
        conn.execute(sa.text("UPDATE audit_log SET target = 'thing:99' WHERE seq = :s"), {"s": seq})
    _, broken = _verify(db)
    assert broken.seq == seq and "edited" in broken.problem


def test_deleted_entry_is_named(db):
    _fill(db)
    with db.engine.begin() as conn:
        seq = conn.execute(sa.text("SELECT seq FROM audit_log WHERE target = 'thing:2'")).scalar()
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = :s"), {"s": seq})
    _, broken = _verify(db)
    assert broken.seq == seq and "deleted" in broken.problem


def test_deleted_last_entry_is_caught_by_the_head(db):
    _fill(db)
    with db.engine.begin() as conn:
        last = conn.execute(sa.text("SELECT max(seq) FROM audit_log")).scalar()
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = :s"), {"s": last})
    _, broken = _verify(db)
    assert broken.seq == last and "deleted" in broken.problem


def test_reordered_entries_are_named(db):
    _fill(db)
    with db.engine.begin() as conn:
        a, b = conn.execute(sa.text(
            "SELECT seq FROM audit_log WHERE target IN ('thing:1', 'thing:2') ORDER BY seq")).scalars().all()
        # Swap the two entries' places in the sequence (seq is unique: go through a spare value).
        conn.execute(sa.text("UPDATE audit_log SET seq = -1 WHERE seq = :a"), {"a": a})
        conn.execute(sa.text("UPDATE audit_log SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
        conn.execute(sa.text("UPDATE audit_log SET seq = :b WHERE seq = -1"), {"b": b})
    _, broken = _verify(db)
    assert broken.seq == a


def test_rewritten_chain_with_recomputed_hashes_still_fails_on_the_link(db):
    """Editing an entry and recomputing its own hash breaks the next entry's link."""
    _fill(db)
    with db.write() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.target == "thing:1")).one()
        entry.target = "thing:forged"
        entry.hash = audit.entry_hash(entry)
        session.add(entry)
        seq = entry.seq
    _, broken = _verify(db)
    assert broken.seq == seq + 1 and "does not follow" in broken.problem


def test_a_rebuilt_chain_is_caught_by_the_anchor_file(db, tmp_path):
    """Recomputing every hash from the edit on fools the chain, not the anchors."""
    from aiivr import audit_anchor

    anchor = tmp_path / "anchor.log"
    _fill(db, 3)
    assert audit_anchor.append_head(db, anchor) is True
    assert audit_anchor.append_head(db, anchor) is False  # head unchanged: nothing new to anchor
    with db.write() as session:
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()
        forged = next(e for e in entries if e.target == "thing:1")
        forged.target = "thing:forged"
        prev = None
        for entry in entries:  # rebuild the chain from the start, as an attacker with the file would
            if prev is not None:
                entry.prev_hash = prev
            entry.hash = audit.entry_hash(entry)
            prev = entry.hash
            session.add(entry)
        from aiivr.models.audit import AuditHead
        head = session.get(AuditHead, 1)
        head.hash = prev
        session.add(head)
    assert _verify(db)[1] is None  # the chain alone looks whole
    checked, broken = audit_anchor.check(db, anchor)
    assert broken is not None and "rebuilt" in broken.problem and broken.seq == entries[-1].seq
