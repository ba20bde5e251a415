"""Core helpers for `aiivr demo`: seed its people in one go, and sum up what happened.

Pure core: no UI, no AMI. The demo's orchestration (pbx_bridge/demo.py) starts the simulator
and `serve`; the CLI (cli/demo.py) draws the screen. Both read the database only through here
and the live views (services/agents.py, services/queues.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import select

from aiivr import audit, changes
from aiivr.db import Database
from aiivr.errors import Conflict
from aiivr.models.agents import AgentStatus
from aiivr.models.calls import Call, QueueEntry
from aiivr.models.users import Role, User, UserQueue
from aiivr.passwords import hash_password
from aiivr.principal import Ctx
from aiivr.services.users import check_name, ensure_queue, parse_role

# The vault's table (issue 5's migration 0005); counted through SQL so this module does not
# depend on the vault's model.
_RECORDINGS = sa.table("recordings", sa.column("id"))


@dataclass(frozen=True)
class DemoUser:
    name: str
    role: str
    full_name: str = ""
    interface: str | None = None
    extension: str | None = None
    queues: tuple[tuple[str, int], ...] = ()  # (queue, penalty)


def seed_users(ctx: Ctx, people: list[DemoUser], password: str) -> int:
    """Add the demo's users with one shared password, hashed once (argon2 takes a third of a
    second per hash: a hash per user would make a 100-agent demo wait half a minute).
    The same checks and audit entries as `user add`."""
    audit.authorize(ctx, "user.manage", target="user:*")
    password_hash = hash_password(password)
    with ctx.db.write() as session:
        taken = set(session.exec(select(User.name)).all())
        for person in people:
            check_name(person.name)
            role = parse_role(person.role)
            if person.name in taken:
                raise Conflict(f"a user named {person.name!r} already exists")
            taken.add(person.name)
            user = User(name=person.name, role=role.value, full_name=person.full_name, password_hash=password_hash,
                        interface=person.interface, extension=person.extension)
            session.add(user)
            session.flush()
            for queue_name, penalty in person.queues:
                queue = ensure_queue(ctx, session, queue_name)
                session.add(UserQueue(user_id=user.id, queue_id=queue.id, penalty=penalty))
            audit.append(session, ctx.actor, "user.add", target=f"user:{person.name}",
                         detail={"role": role.value, "interface": person.interface,
                                 "queues": [q for q, _ in person.queues], "demo": True})
        changes.bump(session, "users", "agents")
    return len(people)


@dataclass(frozen=True)
class DemoSummary:
    calls: int
    dispositions: dict[str, int]  # answered, abandoned, timed_out, unanswered, open...
    queue_outcomes: dict[str, int]  # per queue entry: answered, abandoned, timed_out, open...
    pauses: dict[str, int]  # reason -> status periods (wrap_up counts under acw)
    recordings_named: int  # calls that name a recording file
    recordings_vaulted: int  # recordings the vault holds
    csat_scores: int
    agents: int
    by_direction: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "calls": self.calls, "dispositions": self.dispositions, "queue_outcomes": self.queue_outcomes,
            "by_direction": self.by_direction, "pauses": self.pauses, "recordings_named": self.recordings_named,
            "recordings_vaulted": self.recordings_vaulted, "csat_scores": self.csat_scores, "agents": self.agents,
        }


def summarise(db: Database) -> DemoSummary:
    """What the recorder made of the demo (the database is the source of truth)."""
    with db.read() as session:
        calls = session.exec(select(Call.disposition, Call.direction, Call.recording_path, Call.csat_score)).all()
        outcomes = Counter(session.exec(select(QueueEntry.outcome)).all())
        paused = session.exec(select(AgentStatus.reason).where(AgentStatus.status.in_(("paused", "wrap_up")))).all()
        vaulted = session.execute(sa.select(sa.func.count()).select_from(_RECORDINGS)).scalar_one()
        agents = session.exec(select(sa.func.count()).select_from(User).where(User.role == Role.agent.value)).one()
    return DemoSummary(
        calls=len(calls),
        dispositions=dict(Counter(d for d, _, _, _ in calls)),
        queue_outcomes=dict(outcomes),
        by_direction=dict(Counter(direction for _, direction, _, _ in calls)),
        pauses=dict(Counter(reason or "" for reason in paused)),
        recordings_named=sum(1 for _, _, path, _ in calls if path),
        recordings_vaulted=int(vaulted),
        csat_scores=sum(1 for *_, score in calls if score is not None),
        agents=int(agents),
    )
