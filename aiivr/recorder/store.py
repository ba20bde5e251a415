"""The recorder's working set: open calls, queue entries and agents, kept in memory
and written through one long-lived session, one transaction per batch.

Everything here is keyed the way docs/call-model.md says identity works: a call by
(system, linkedid), a queue entry by (system, caller uniqueid, queue), an agent by
its interface. At start the open rows are loaded back, so a restart of `serve`
continues where it stopped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from aiivr import changes
from aiivr.db import Database
from aiivr.models.agents import AgentStatus, QueueMember
from aiivr.models.calls import Call, CallEvent, QueueEntry
from aiivr.models.pbx import PbxState
from aiivr.models.users import User
from aiivr.recorder.agent_state import InterfaceState

UTC = dt.timezone.utc
CallKey = tuple[str, str]          # (system, linkedid)
EntryKey = tuple[str, str, str]    # (system, caller uniqueid, queue)
USER_CACHE_SECONDS = 5.0


def to_dt(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, UTC)


def normalise_number(number: str) -> str:
    """Digits only; "" for withheld numbers, so they never match each other."""
    if number.strip().lower() in ("", "anonymous", "unknown", "<unknown>", "private", "restricted"):
        return ""
    return "".join(ch for ch in number if ch.isdigit())


class Store:
    def __init__(self, db: Database, tz) -> None:
        self.db = db
        self.tz = tz
        self.session: Session = db.long_session()
        self.calls: dict[CallKey, Call] = {}
        self.live: dict[CallKey, set[str]] = {}
        self.entries: dict[EntryKey, QueueEntry] = {}
        self.agents: dict[str, InterfaceState] = {}
        self.status_rows: dict[str, AgentStatus] = {}
        self.members: dict[tuple[str, str], QueueMember] = {}
        self.holds: dict[tuple[str, str], float] = {}
        self.left_queue: dict[EntryKey, float] = {}
        # Abandons not yet confirmed: (system, caller uniqueid) -> [(call, entry, ts)].
        self.pending_abandons: dict[tuple[str, str], list] = {}
        self._timeline: list[tuple[Call, dict]] = []
        self._finished_calls: list[CallKey] = []
        self._users: dict[str, int] = {}
        self._users_loaded_at = 0.0
        self.topics: set[str] = set()
        self._heard: dict[str, float] = {}  # system -> time of the last event this batch
        self._insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        self._load_open_rows()

    # ---------------------------------------------------------------- loading

    def _load_open_rows(self) -> None:
        s = self.session
        for call in s.exec(select(Call).where(Call.ended_at.is_(None))):
            self.calls[(call.system, call.linkedid)] = call
        for entry in s.exec(select(QueueEntry).where(QueueEntry.ended_at.is_(None))):
            self.entries[(entry.system, entry.uniqueid, entry.queue)] = entry
        for member in s.exec(select(QueueMember)):
            self.members[(member.queue, member.interface)] = member
            state = self.agent(member.interface, member.member_name)
            state.set_member(member.queue, True)
            if member.paused:
                state.set_paused(member.queue, True, member.paused_reason)
        for row in s.exec(select(AgentStatus).where(AgentStatus.ended_at.is_(None))):
            self.status_rows[row.interface] = row
            self.agent(row.interface, row.member_name)
        s.commit()

    # ---------------------------------------------------------------- users

    def user_id(self, interface: str) -> int | None:
        if interface in self._users:
            return self._users[interface]
        # A user added after serve started shows up within a few seconds.
        if time.monotonic() - self._users_loaded_at > USER_CACHE_SECONDS:
            rows = self.session.exec(select(User.interface, User.id).where(User.interface.is_not(None))).all()
            self._users = {iface: uid for iface, uid in rows}
            self._users_loaded_at = time.monotonic()
        return self._users.get(interface)

    # ---------------------------------------------------------------- calls

    def call(self, system: str, linkedid: str, ts: float, *, create: bool = True) -> Call | None:
        key = (system, linkedid)
        call = self.calls.get(key)
        if call is not None:
            return call
        call = self.session.exec(select(Call).where(Call.system == system, Call.linkedid == linkedid)).first()
        if call is None and create:
            started = to_dt(ts)
            local = started.astimezone(self.tz)
            call = Call(system=system, linkedid=linkedid, started_at=started, local_date=local.date(),
                        local_hour=local.hour)
            self.session.add(call)
        if call is not None:
            self.calls[key] = call
            self.topics.add("calls")
        return call

    def touch(self, call: Call) -> None:
        self.topics.add("calls")

    def finish_call(self, key: CallKey) -> None:
        """Drop an ended call from the working set after this batch commits."""
        self._finished_calls.append(key)

    # ---------------------------------------------------------------- queue entries

    def entry(self, system: str, uniqueid: str, queue: str) -> QueueEntry | None:
        key = (system, uniqueid, queue)
        entry = self.entries.get(key)
        if entry is None:
            entry = self.session.exec(select(QueueEntry).where(
                QueueEntry.system == system, QueueEntry.uniqueid == uniqueid, QueueEntry.queue == queue)).first()
            if entry is not None:
                self.entries[key] = entry
        return entry

    def new_entry(self, **values) -> QueueEntry:
        entered = values["entered_at"]
        local = entered.astimezone(self.tz)
        entry = QueueEntry(local_date=local.date(), local_hour=local.hour, **values)
        self.session.add(entry)
        self.entries[(entry.system, entry.uniqueid, entry.queue)] = entry
        self.topics.add("queues")
        return entry

    def open_entries_of(self, system: str, uniqueid: str) -> list[QueueEntry]:
        return [e for (sy, uid, _), e in self.entries.items() if sy == system and uid == uniqueid and e.ended_at is None]

    # ---------------------------------------------------------------- timeline

    def timeline(self, call: Call, ts: float, kind: str, *, uniqueid: str = "", queue: str | None = None,
                 interface: str | None = None, user_id: int | None = None, detail: dict | None = None) -> None:
        key = f"{call.system}|{call.linkedid}|{kind}|{uniqueid}|{interface or ''}|{ts:.6f}"
        self._timeline.append((call, {
            "at": to_dt(ts), "kind": kind, "queue": queue, "interface": interface, "user_id": user_id,
            "detail": json.dumps(detail or {}, sort_keys=True, default=str),
            "dedupe_key": hashlib.sha1(key.encode()).hexdigest(),
        }))
        self.topics.add("calls")

    # ---------------------------------------------------------------- agents

    def agent(self, interface: str, member_name: str = "") -> InterfaceState:
        state = self.agents.get(interface)
        if state is None:
            state = self.agents[interface] = InterfaceState(interface=interface, member_name=member_name)
        elif member_name and not state.member_name:
            state.member_name = member_name
        return state

    def sync_status(self, state: InterfaceState, ts: float, *, set_by: str = "pbx", call: Call | None = None) -> None:
        """Open a new status-history row when the agent's status or reason changed."""
        status, reason = state.status()
        row = self.status_rows.get(state.interface)
        at = to_dt(ts)
        if row is not None:
            if (row.status, row.reason) == (status, reason):
                return
            if at < row.started_at:  # an older event replayed: history only moves forward
                return
            row.ended_at = at
        if row is None and status == "offline":
            return  # nothing to close, nothing to say
        local = at.astimezone(self.tz)
        new = AgentStatus(interface=state.interface, member_name=state.member_name,
                          user_id=self.user_id(state.interface), status=status, reason=reason,
                          started_at=at, local_date=local.date(), local_hour=local.hour, set_by=set_by,
                          call_id=call.id if call is not None and status == "on_call" else None)
        if call is not None and status == "on_call" and call.id is None:
            self.session.flush()
            new.call_id = call.id
        self.session.add(new)
        self.status_rows[state.interface] = new
        self.topics.add("agents")

    def is_stale(self, interface: str, ts: float) -> bool:
        row = self.status_rows.get(interface)
        return row is not None and to_dt(ts) < row.started_at

    # ---------------------------------------------------------------- the PBX

    def heard_from(self, system: str, ts: float) -> None:
        if ts > self._heard.get(system, 0.0):
            self._heard[system] = ts

    def _write_heard(self) -> None:
        for system, ts in self._heard.items():
            state = self.session.get(PbxState, system)
            if state is None:
                state = PbxState(system=system)
                self.session.add(state)
            at = to_dt(ts)
            if state.last_event_at is None or at > state.last_event_at:
                state.last_event_at = state.updated_at = at
        self._heard.clear()

    # ---------------------------------------------------------------- commit

    def commit(self) -> None:
        session = self.session
        if self._heard:
            self._write_heard()
        if self._timeline:
            session.flush()  # calls need their ids before their timeline rows
            rows = [{"call_id": call.id, **values} for call, values in self._timeline]
            session.execute(self._insert(CallEvent).on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)
            self._timeline.clear()
        if self.topics:
            changes.bump(session, *sorted(self.topics))
            self.topics.clear()
        session.commit()
        for key in self._finished_calls:
            call = self.calls.pop(key, None)
            self.live.pop(key, None)
            if call is not None and call in session:
                session.expunge(call)
        finished = set(self._finished_calls)
        # Entries stay loaded until their call ends: a later event (an exit status after
        # an abandon, a transfer's second queue) may still change them.
        for key in [k for k, e in self.entries.items() if (e.system, e.linkedid) in finished]:
            entry = self.entries.pop(key)
            self.left_queue.pop(key, None)
            if entry in session:
                session.expunge(entry)
        self._finished_calls.clear()

    def rollback(self) -> None:
        self.session.rollback()
        self._heard.clear()
        self._timeline.clear()
        self.topics.clear()

    def close(self) -> None:
        self.session.close()
