"""serve's own commands about agents: after-call work, its maximum, and the optional
ring-no-answer pause.

The rules read what the recorder wrote (the call timeline), not the AMI stream: the
database is the bus, and a timeline row carries the call's id, which after-call work
needs to give the call its wrap-up time. They apply to agents logged in through AIIVR
(agent_presence.logged_in): a member someone added on the PBX by hand is left alone.

- After-call work: a `completed` or `transferred` event for an agent with no pause of
  its own -> pause with reason `acw` (status wrap_up) from the end of the call.
  Queues keep wrapuptime >= 2, so no call lands in the moment before the pause applies.
- Its end: `aiivr agent ready`, or [wrapup] max_seconds after the call ended.
- Ring-no-answer (off unless [ring_no_answer] pause_after > 0): that many
  `ring_no_answer` events in a row for an agent, with no `connected` between -> pause
  with [ring_no_answer] reason, saying why.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from sqlmodel import Session, select

from aiivr import live_payloads, outbox
from aiivr.config import Config
from aiivr.events import AFTER_CALL_WORK_REASON
from aiivr.models.calls import CallEvent
from aiivr.models.outbox import AgentPresence, OutboxCommand
from aiivr.models.users import User

log = logging.getLogger("aiivr.agent_rules")
SYSTEM = "system"
END_OF_CALL = ("completed", "transferred")
WATCHED = (*END_OF_CALL, "ring_no_answer", "connected")
# A timeline row may commit a moment after a row with a higher id (PostgreSQL hands out
# ids before commit); rows are re-read this long before being taken as all there.
SETTLE_SECONDS = 5.0
SWEEP_SECONDS = 1.0


@dataclass(frozen=True)
class TimelineEvent:
    id: int
    call_id: int
    at: dt.datetime
    kind: str
    interface: str


class TimelineCursor:
    """New timeline rows of the kinds the rules watch, each exactly once.

    Each read asks only for rows above the highest id seen; once a second it asks again
    from the last settled id, for a row that committed after a higher one."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.floor: int | None = None  # every row at or below is handled
        self._top = 0  # the highest id seen
        self._seen: dict[int, float] = {}  # handled rows above the floor -> when
        self._next_sweep = 0.0
        self._clock = clock

    def start(self, session: Session) -> None:
        """Begin at the end: history before serve started is not acted on."""
        self.floor = self._top = session.exec(select(sa.func.max(CallEvent.id))).one() or 0

    def read(self, session: Session) -> list[TimelineEvent]:
        if self.floor is None:
            self.start(session)
        now = self._clock()
        sweep = now >= self._next_sweep
        if sweep:
            self._next_sweep = now + SWEEP_SECONDS
        rows = session.exec(select(CallEvent.id, CallEvent.call_id, CallEvent.at, CallEvent.kind, CallEvent.interface)
                            .where(CallEvent.id > (self.floor if sweep else self._top), CallEvent.kind.in_(WATCHED))
                            .order_by(CallEvent.id)).all()
        fresh = [TimelineEvent(*row[:4], row[4] or "") for row in rows if row[0] not in self._seen]
        for event in fresh:
            self._seen[event.id] = now
            self._top = max(self._top, event.id)
        settled = [i for i, seen in self._seen.items() if now - seen > SETTLE_SECONDS]
        if settled:
            self.floor = max(self.floor, max(settled))
            self._seen = {i: seen for i, seen in self._seen.items() if i > self.floor}
        return fresh


class AgentRules:
    def __init__(self, config: Config, *, ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> None:
        self.max_seconds = config.wrapup.max_seconds
        self.rna_after = config.ring_no_answer.pause_after
        self.rna_reason = config.ring_no_answer.reason
        self.config = config
        self.ttl_seconds = ttl_seconds
        self.cursor = TimelineCursor()
        self._misses: dict[str, list[int]] = {}  # interface -> calls that rang it unanswered, in a row
        self._ending: set[int] = set()  # users whose after-call work serve is ending
        self._agents: dict[str, tuple[User, AgentPresence]] = {}  # of the events on_events is handling

    # ---------------------------------------------------------------- events

    def concerns(self, session: Session, events: list[TimelineEvent]) -> bool:
        """Whether any of these events can make a command: one query, in a read transaction,
        so serve takes the write lock only when it may write. The rules' memory (misses in a
        row) is kept by on_events_without_agents when this says no."""
        acting = {e.interface for e in events if e.kind in END_OF_CALL and self.max_seconds > 0
                  or e.kind == "ring_no_answer" and self.rna_after > 0}
        return bool(self._logged_in(session, acting))

    def on_events_without_agents(self, events: list[TimelineEvent]) -> None:
        """on_events when concerns() said none of the events' agents is logged in through AIIVR:
        only the ring-no-answer count moves."""
        for event in events:
            if event.kind == "connected":
                self._misses.pop(event.interface, None)
            elif event.kind == "ring_no_answer" and self.rna_after > 0:
                misses = self._misses.setdefault(event.interface, [])
                misses.append(event.call_id)
                if len(misses) >= self.rna_after:
                    self._misses.pop(event.interface, None)

    def on_events(self, session: Session, events: list[TimelineEvent], *, now: dt.datetime) -> list[OutboxCommand]:
        commands = []
        # One query for every agent the events name, not one per event (a busy centre
        # completes calls by the hundred between two polls).
        self._agents = self._logged_in(session, {e.interface for e in events if e.kind != "connected"})
        for event in events:
            if event.kind in END_OF_CALL:
                commands += self._after_call(session, event, now)
            elif event.kind == "connected":
                self._misses.pop(event.interface, None)
            elif event.kind == "ring_no_answer" and self.rna_after > 0:
                commands += self._missed(session, event, now)
        return commands

    def _logged_in(self, session: Session, interfaces: set[str]) -> dict[str, tuple[User, AgentPresence]]:
        """interface -> (user, presence) of the active users logged in through AIIVR among these."""
        wanted = sorted(i for i in interfaces if i)
        found: dict[str, tuple[User, AgentPresence]] = {}
        for start in range(0, len(wanted), 500):
            rows = session.exec(select(User, AgentPresence).join(AgentPresence, AgentPresence.user_id == User.id)
                                .where(User.interface.in_(wanted[start:start + 500]))).all()
            for user, row in rows:
                if row.logged_in and user.active:
                    found[user.interface] = (user, row)
        return found

    def _agent(self, session: Session, interface: str) -> tuple[User, AgentPresence] | None:
        return self._agents.get(interface) if interface else None

    def _after_call(self, session: Session, event: TimelineEvent, now: dt.datetime) -> list[OutboxCommand]:
        if self.max_seconds <= 0:
            return []
        found = self._agent(session, event.interface)
        if found is None:
            return []
        user, row = found
        if row.pause_reason not in (None, AFTER_CALL_WORK_REASON):
            return []  # paused during the call (lunch...): that pause stands
        payload = live_payloads.pause(user, AFTER_CALL_WORK_REASON, call_id=event.call_id, since=event.at)
        return [self._enqueue(session, "agent.pause", user, payload, now)]

    def _missed(self, session: Session, event: TimelineEvent, now: dt.datetime) -> list[OutboxCommand]:
        misses = self._misses.setdefault(event.interface, [])
        misses.append(event.call_id)
        if len(misses) < self.rna_after:
            return []
        self._misses.pop(event.interface, None)
        found = self._agent(session, event.interface)
        if found is None or found[1].pause_reason is not None:
            return []
        user, _ = found
        why = f"{len(misses)} queue calls in a row rang {user.name} with no answer (calls {', '.join(map(str, misses))})"
        log.warning("pausing %s: %s", user.name, why)
        return [self._enqueue(session, "agent.pause", user, live_payloads.pause(user, self.rna_reason, why=why), now)]

    # ---------------------------------------------------------------- the after-call work maximum

    def due(self, session: Session, *, now: dt.datetime) -> list[OutboxCommand]:
        """End after-call work that reached [wrapup] max_seconds (in a write transaction)."""
        commands = []
        for row in self._at_maximum(session, now):
            user = session.get(User, row.user_id)
            why = f"after-call work reached its maximum of {self.max_seconds} s"
            commands.append(self._enqueue(session, "agent.ready", user, live_payloads.unpause(user, why=why), now))
            self._ending.add(row.user_id)
        return commands

    def any_due(self, session: Session, *, now: dt.datetime) -> bool:
        """Whether due() would end any after-call work now. A read: serve asks this twice a
        second and begins the write transaction (SQLite's write lock, which the recorder's
        writer waits for) only when the answer is yes."""
        return bool(self._at_maximum(session, now))

    def _at_maximum(self, session: Session, now: dt.datetime) -> list[AgentPresence]:
        """After-call work pauses that reached the maximum and are not being ended already."""
        if self.max_seconds <= 0:
            return []
        rows = session.exec(select(AgentPresence).where(AgentPresence.pause_reason == AFTER_CALL_WORK_REASON)).all()
        self._ending &= {row.user_id for row in rows}  # ended (or changed): may be ended again later
        return [row for row in rows
                if row.user_id not in self._ending and row.paused_at is not None
                and (now - row.paused_at).total_seconds() >= self.max_seconds]

    def _enqueue(self, session: Session, action: str, user: User, payload: dict, now: dt.datetime) -> OutboxCommand:
        return outbox.enqueue(session, actor=SYSTEM, action=action, target=f"user:{user.name}", payload=payload,
                              now=now, ttl_seconds=self.ttl_seconds)


def reapply(session: Session, config: Config, *, now: dt.datetime,
            ttl_seconds: float = outbox.DEFAULT_TTL_SECONDS) -> list[OutboxCommand]:
    """After Asterisk restarted (dynamic members and pauses are gone): log every agent
    AIIVR holds as logged in back into its wanted queues, then re-apply its pause."""
    commands = []
    rows = session.exec(select(AgentPresence).where(AgentPresence.logged_in.is_(True))
                        .order_by(AgentPresence.user_id)).all()
    for row in rows:
        user = session.get(User, row.user_id)
        if user is None or not user.active or not user.interface:
            continue
        payload = live_payloads.login(session, user, config, reapply=True)
        if not payload["queues"]:
            continue
        target = f"user:{user.name}"
        commands.append(outbox.enqueue(session, actor=SYSTEM, action="agent.login", target=target,
                                       payload=payload, now=now, ttl_seconds=ttl_seconds))
        if row.pause_reason:
            pause = live_payloads.pause(user, row.pause_reason, call_id=row.acw_call_id, since=row.paused_at,
                                        why="re-applied after Asterisk restarted")
            commands.append(outbox.enqueue(session, actor=SYSTEM, action="agent.pause", target=target,
                                           payload=pause, now=now, ttl_seconds=ttl_seconds))
    return commands
