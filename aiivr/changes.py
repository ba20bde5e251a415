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
# per call) cost the recorder's writer ~3 ms per batch. It leaves ChangeCounter objects held
# by the session as they were; nothing reads them (versions() asks the database).
_BUMP = (sa.update(_TABLE).where(_TABLE.c.topic.in_(sa.bindparam("topics", expanding=True)))
         .values(version=_TABLE.c.version + 1))


def bump(session: Session, *topics: str) -> None:
    for topic in topics:
        if topic not in TOPICS:
            raise ValueError(f"unknown change topic {topic!r} (known: {', '.join(TOPICS)})")
    session.info.setdefault(_PENDING, set()).update(topics)


@event.listens_for(Session, "before_commit")
def _apply_bumps(session: Session) -> None:
    topics = session.info.pop(_PENDING, None)
    if topics:
        # Counters this transaction created (seed()) must be in the table to move: a Core
        # statement does not flush the session first as the ORM's update did.
        session.flush()
        session.connection().execute(_BUMP, {"topics": sorted(topics)})


def versions(session: Session) -> dict[str, int]:
    return {row.topic: row.version for row in session.exec(select(ChangeCounter))}


def seed(session: Session) -> None:
    present = {row.topic for row in session.exec(select(ChangeCounter))}
    for topic in TOPICS:
        if topic not in present:
            session.add(ChangeCounter(topic=topic, version=0))
