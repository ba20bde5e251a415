"""What live-operation unit tests share: people with phones, and rows as the recorder
would write them (members, a call with its agent connected)."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import sqlalchemy as sa
from sqlmodel import select

from aiivr.models import AuditEntry, Call, CallEvent, QueueMember, User
from aiivr.models.outbox import OutboxCommand

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def give_phones(people, **extensions: str) -> None:
    """Set users' extensions (alice="1001", sue="9001")."""
    with people.db.write() as session:
        for name, ext in extensions.items():
            session.execute(sa.update(User).where(User.name == name).values(extension=ext))


def member(db, queue: str, interface: str, *, name: str = "", penalty: int = 0, paused: bool = False,
           reason: str = "") -> None:
    """A queue member as the recorder writes it from QueueMemberAdded/Pause."""
    with db.write() as session:
        row = session.exec(select(QueueMember).where(QueueMember.queue == queue,
                                                     QueueMember.interface == interface)).first()
        row = row or QueueMember(queue=queue, interface=interface, updated_at=NOW)
        row.member_name, row.penalty, row.paused, row.paused_reason = name, penalty, paused, reason
        session.add(row)


def call(db, *, queue: str | None = "support", disposition: str = "abandoned", ended: bool = True,
         caller_num: str = "+49 30 1234567", agent_user_id: int | None = None) -> int:
    with db.write() as session:
        row = Call(linkedid=f"test-{next(_ids)}", direction="inbound", started_at=NOW,
                   ended_at=NOW + dt.timedelta(minutes=1) if ended else None, local_date=NOW.date(), local_hour=10,
                   caller_num=caller_num, queue=queue, disposition=disposition, agent_user_id=agent_user_id)
        session.add(row)
        session.flush()
        return row.id


def timeline(db, call_id: int, kind: str, *, interface: str | None = None, user_id: int | None = None,
             at: dt.datetime = NOW, **detail) -> int:
    with db.write() as session:
        row = CallEvent(call_id=call_id, at=at, kind=kind, interface=interface, user_id=user_id,
                        detail=json.dumps(detail, sort_keys=True), dedupe_key=f"test-{next(_ids)}")
        session.add(row)
        session.flush()
        return row.id


def connected_call(db, interface: str, channel: str, **kwargs) -> int:
    """An open queue call the agent answered (AgentConnect's DestChannel on the timeline)."""
    call_id = call(db, disposition="open", ended=False, **kwargs)
    timeline(db, call_id, "connected", interface=interface, agent_channel=channel, member="x")
    return call_id


def commands(db) -> list[OutboxCommand]:
    with db.read() as session:
        return list(session.exec(select(OutboxCommand).order_by(OutboxCommand.id)))


def last_audit(db) -> AuditEntry:
    with db.read() as session:
        return session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()


def audit_tuple(entry: AuditEntry) -> tuple:
    return entry.actor, entry.action, entry.target, entry.outcome, json.loads(entry.detail)
