"""Bump per-topic change counters once per transaction; read them cheaply.

A writer calls bump(session, "calls") as often as it likes; the counter moves by one
when the transaction commits, so a screen that polls sees one change per write.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session, select

from aiivr.models.changes import TOPICS, ChangeCounter

_PENDING = "aiivr_bumps"
_TABLE = ChangeCounter.__table__
# Built once: the ORM's update (statement built, cache key computed, session synchronised
# per call) cost the recorder's writer ~3 ms per batch.
_BUMP = (sa.update(_TABLE).where(_TABLE.c.topic.in_(sa.bindparam("topics", expanding=True)))
         .values(version=_TABLE.c.version + 1))


def bump(session: Session, *topics: str) -> None:
    for topic in topics:
        if topic not in TOPICS:
            raise ValueError(f"unknown change topic {topic!r} (known: {', '.join(TOPICS)})")
    session.info.setdefault(_PENDING, set()).update(topics)


def bump_now(session: Session, *topics: str) -> None:
    """bump() for a writer that commits next and holds no ChangeCounter objects (the
    recorder): these topics and any pending on the session, in one Core statement now, so
    each still moves once in the transaction."""
    pending = session.info.pop(_PENDING, set())
    bump(session, *topics)  # validates
    pending |= session.info.pop(_PENDING, set())
    if pending:
        session.connection().execute(_BUMP, {"topics": sorted(pending)})


@event.listens_for(Session, "before_commit")
def _apply_bumps(session: Session) -> None:
    topics = session.info.pop(_PENDING, None)
    if topics:
        session.execute(
            sa.update(ChangeCounter)
            .where(ChangeCounter.topic.in_(sorted(topics)))
            .values(version=ChangeCounter.version + 1)
        )


def versions(session: Session) -> dict[str, int]:
    return {row.topic: row.version for row in session.exec(select(ChangeCounter))}


def seed(session: Session) -> None:
    present = {row.topic for row in session.exec(select(ChangeCounter))}
    for topic in TOPICS:
        if topic not in present:
            session.add(ChangeCounter(topic=topic, version=0))
