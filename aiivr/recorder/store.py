"""The recorder's working set: open calls, queue entries and agents, kept in memory
and written in bulk, one transaction per batch.

Everything here is keyed the way docs/call-model.md says identity works: a call by
(system, linkedid), a queue entry by (system, caller uniqueid, queue), an agent by
its interface. At start the open rows are loaded back, so a restart of `serve`
continues where it stopped. Rows are plain objects (aiivr.recorder.rows): commit()
inserts new ones with one INSERT ... RETURNING per table and updates changed columns
with one executemany per set of columns.
"""

from __future__ import annotations

import datetime as dt
from hashlib import sha1
import json
import time

import sqlalchemy as sa
from sqlmodel import Session, select

from aiivr import changes
from aiivr.db import Database, upsert_insert
from aiivr.models.calls import CallEvent
from aiivr.models.pbx import PbxState
from aiivr.models.users import User
from aiivr.recorder.agent_state import InterfaceState
from aiivr.recorder.bulk import Bulk
from aiivr.recorder.rows import CallRow, EntryRow, MemberRow, Row, StatusRow, to_dt
from aiivr.recorder.status_history import StatusHistory
from aiivr.services.queries import numbers_with_resolved_queries, reopen_on_callback

CallKey = tuple[str, str]          # (system, linkedid)
EntryKey = tuple[str, str, str]    # (system, caller uniqueid, queue)
USER_CACHE_SECONDS = 5.0
CALLS, ENTRIES, STATUS, MEMBERS = CallRow.TABLE, EntryRow.TABLE, StatusRow.TABLE, MemberRow.TABLE
# What identifies a new row when its id comes back (unique in practice for status rows:
# one interface cannot open two statuses at the same microsecond).
NATURAL_KEYS = {
    CALLS: ("system", "linkedid"),
    ENTRIES: ("system", "uniqueid", "queue"),
    STATUS: ("interface", "started_at"),
    MEMBERS: ("queue", "interface"),
}


# Built once (building a select and its cache key each batch was a millisecond or two), and
# run on the session's connection, not through the ORM's execute.
_CALLS_BY_LINKEDID = sa.select(CALLS).where(CALLS.c.system == sa.bindparam("system"),
                                            CALLS.c.linkedid.in_(sa.bindparam("ids", expanding=True)))
_ENTRIES_BY_CALLER = sa.select(ENTRIES).where(ENTRIES.c.system == sa.bindparam("system"),
                                              ENTRIES.c.uniqueid.in_(sa.bindparam("ids", expanding=True)))
PBX = PbxState.__table__
_HEARD = (sa.update(PBX).where(PBX.c.system == sa.bindparam("key"),
                               sa.or_(PBX.c.last_event_at.is_(None), PBX.c.last_event_at < sa.bindparam("at")))
          .values(last_event_at=sa.bindparam("at"), updated_at=sa.bindparam("at")))
TIMELINE_COLUMNS = ("call_id", "at", "kind", "queue", "interface", "user_id", "detail", "dedupe_key")
_dumps = json.JSONEncoder(sort_keys=True, default=str).encode  # json.dumps(..., sort_keys=True, default=str)


def _chunks(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _forget(index: dict, key, row: Row) -> None:
    """Take `row` out of the list `index[key]`, and the key with its last row."""
    rows = index.get(key)
    if rows is not None:
        if row in rows:
            rows.remove(row)
        if not rows:
            del index[key]


class Store(StatusHistory):
    def __init__(self, db: Database, tz) -> None:
        self.db = db
        self.tz = tz
        self.session: Session = db.long_session()
        self.calls: dict[CallKey, CallRow] = {}
        self.live: dict[CallKey, set[str]] = {}
        self.entries: dict[EntryKey, EntryRow] = {}
        self._by_caller: dict[tuple[str, str], list[EntryRow]] = {}  # (system, caller uniqueid)
        self._by_call: dict[CallKey, list[EntryRow]] = {}  # (system, linkedid): "" until a list links it
        self.agents: dict[str, InterfaceState] = {}
        self.status_rows: dict[str, StatusRow] = {}
        # Agents whose current status row a reply dated on arrival opened: the stale floor
        # to use instead of the row's start (see status_floor).
        self._arrival_floor: dict[str, dt.datetime | None] = {}
        self.members: dict[tuple[str, str], MemberRow] = {}
        self.holds: dict[tuple[str, str], float] = {}
        self.left_queue: dict[EntryKey, float] = {}
        # Abandons not yet confirmed: (system, caller uniqueid) -> [(call, entry, ts)].
        self.pending_abandons: dict[tuple[str, str], list] = {}
        self.topics: set[str] = set()
        self.callers_to_check: list[CallRow] = []  # new inbound calls: reopen resolved queries?
        self._new: dict[sa.Table, list[Row]] = {CALLS: [], ENTRIES: [], STATUS: [], MEMBERS: []}
        self._touched: set[Row] = set()  # rows loaded from or written to the database, now changed
        self._deleted_members: list[int] = []
        self._timeline: list[tuple[CallRow, dict]] = []
        self._finished_calls: list[CallKey] = []
        self._heard: dict[str, float] = {}  # system -> time of the last event this batch
        self._pbx_rows: set[str] = set()  # systems known to have their pbx_state row
        self._absent_calls: set[CallKey] = set()  # looked up this batch: not in the database
        self._absent_entries: set[EntryKey] = set()
        self._users: dict[str, int] = {}
        self._users_loaded_at = 0.0
        self._extensions: dict[str, int | None] = {}
        self._bulk = Bulk(db.engine.dialect)
        self._load_open_rows()

    # ---------------------------------------------------------------- loading

    def _rows(self, cls, query, params=None):
        return [cls.loaded(m) for m in self.session.connection().execute(query, params).mappings()]

    def _load_open_rows(self) -> None:
        for call in self._rows(CallRow, sa.select(CALLS).where(CALLS.c.ended_at.is_(None))):
            self.calls[(call.system, call.linkedid)] = call
        for entry in self._rows(EntryRow, sa.select(ENTRIES).where(ENTRIES.c.ended_at.is_(None))):
            self._keep_entry(entry)
        for member in self._rows(MemberRow, sa.select(MEMBERS)):
            self.members[(member.queue, member.interface)] = member
            state = self.agent(member.interface, member.member_name)
            state.set_member(member.queue, True)
            if member.paused:
                state.set_paused(member.queue, True, member.paused_reason)
        for row in self._rows(StatusRow, sa.select(STATUS).where(STATUS.c.ended_at.is_(None))):
            self.status_rows[row.interface] = row
            self.agent(row.interface, row.member_name)
        self.session.commit()

    def preload(self, call_keys: set[CallKey], entry_keys: set[EntryKey]) -> None:
        """For a whole batch: load the calls and entries its events name that are not in
        memory, and remember which are in the database at all. Most are new (not there): a
        quick test of which ids the table holds comes first, and only those rows are read."""
        conn, present = self.session.connection(), self._bulk.present
        missing = {k for k in call_keys if k not in self.calls}
        for system in {s for s, _ in missing}:
            there = present(conn, CALLS, "linkedid", system, sorted(l for s, l in missing if s == system))
            for chunk in _chunks(sorted(there)):
                for call in self._rows(CallRow, _CALLS_BY_LINKEDID, {"system": system, "ids": chunk}):
                    self.calls[(call.system, call.linkedid)] = call
        self._absent_calls = {k for k in missing if k not in self.calls}
        missing_entries = {k for k in entry_keys if k not in self.entries}
        for system in {s for s, _, _ in missing_entries}:
            there = present(conn, ENTRIES, "uniqueid", system, sorted({u for s, u, _ in missing_entries if s == system}))
            for chunk in _chunks(sorted(there)):
                for entry in self._rows(EntryRow, _ENTRIES_BY_CALLER, {"system": system, "ids": chunk}):
                    self._keep_entry(entry)
        self._absent_entries = {k for k in missing_entries if k not in self.entries}

    # ---------------------------------------------------------------- users

    def user_id(self, interface: str) -> int | None:
        if interface in self._users:
            return self._users[interface]
        # A user added after serve started shows up within a few seconds.
        if time.monotonic() - self._users_loaded_at > USER_CACHE_SECONDS:
            rows = self.session.exec(select(User.interface, User.id).where(User.interface.is_not(None))).all()
            self._users = {iface: uid for iface, uid in rows}
            self._extensions.clear()
            self._users_loaded_at = time.monotonic()
        return self._users.get(interface)

    def user_by_extension(self, extension: str) -> int | None:
        if not extension:
            return None
        if extension not in self._extensions:
            row = self.session.exec(select(User.id).where(User.extension == extension)).first()
            self._extensions[extension] = row
        return self._extensions[extension]

    # ---------------------------------------------------------------- calls

    def call(self, system: str, linkedid: str, ts: float, *, create: bool = True) -> CallRow | None:
        key = (system, linkedid)
        call = self.calls.get(key)
        if call is not None:
            return call
        if key not in self._absent_calls:
            query = sa.select(CALLS).where(CALLS.c.system == system, CALLS.c.linkedid == linkedid)
            found = self._rows(CallRow, query)
            call = found[0] if found else None
        if call is None and create:
            started = to_dt(ts)
            local = started.astimezone(self.tz)
            call = CallRow(system=system, linkedid=linkedid, started_at=started, local_date=local.date(),
                           local_hour=local.hour)
            self._new[CALLS].append(call)
        if call is not None:
            self.calls[key] = call
            self._absent_calls.discard(key)
            self.topics.add("calls")
        return call

    def touch(self, call: CallRow) -> None:
        self.topics.add("calls")

    def finish_call(self, key: CallKey) -> None:
        """Drop an ended call from the working set after this batch commits."""
        self._finished_calls.append(key)

    # ---------------------------------------------------------------- queue entries

    def entry(self, system: str, uniqueid: str, queue: str) -> EntryRow | None:
        key = (system, uniqueid, queue)
        entry = self.entries.get(key)
        if entry is None and key not in self._absent_entries:
            query = sa.select(ENTRIES).where(ENTRIES.c.system == system, ENTRIES.c.uniqueid == uniqueid,
                                             ENTRIES.c.queue == queue)
            found = self._rows(EntryRow, query)
            if found:
                entry = self._keep_entry(found[0])
        return entry

    def new_entry(self, *, call: CallRow | None = None, **values) -> EntryRow:
        entered = values["entered_at"]
        local = entered.astimezone(self.tz)
        entry = EntryRow(local_date=local.date(), local_hour=local.hour, **values)
        entry.call = call
        self._new[ENTRIES].append(entry)
        self._keep_entry(entry)
        self._absent_entries.discard((entry.system, entry.uniqueid, entry.queue))
        self.topics.add("queues")
        return entry

    def answered_entry(self, system: str, queue: str, interface: str, linkedid: str, ts: float) -> EntryRow | None:
        """The latest entry of `queue` that the member at `interface` answered and that is not
        completed yet (of call `linkedid` when it is known): in memory, else in the database
        among the queue's entries of the day before `ts` (its queue/entered_at index)."""

        def candidate(entry: EntryRow) -> bool:
            return (entry.system == system and entry.queue == queue and entry.agent_interface == interface
                    and entry.connected_at is not None and entry.completed_by is None
                    and (not linkedid or entry.linkedid == linkedid))

        loaded = [entry for entry in self.entries.values() if candidate(entry)]
        if loaded:
            return max(loaded, key=lambda entry: entry.connected_at)
        query = sa.select(ENTRIES).where(
            ENTRIES.c.queue == queue, ENTRIES.c.entered_at >= to_dt(ts - 86400), ENTRIES.c.system == system,
            ENTRIES.c.agent_interface == interface,
            ENTRIES.c.connected_at.is_not(None), ENTRIES.c.completed_by.is_(None),
            *([ENTRIES.c.linkedid == linkedid] if linkedid else [])).order_by(ENTRIES.c.connected_at.desc()).limit(1)
        found = self._rows(EntryRow, query)
        return self._keep_entry(found[0]) if found else None

    def entries_of_call(self, call: CallRow) -> list[EntryRow]:
        """The call's queue entries in memory (all of them while the call is open)."""
        return list(self._by_call.get((call.system, call.linkedid), ()))

    def link_entry(self, entry: EntryRow, call: CallRow) -> None:
        """An entry known only by its caller's channel (from a QueueStatus list) joins its call."""
        _forget(self._by_call, (entry.system, entry.linkedid), entry)
        entry.linkedid, entry.call_id, entry.call = call.linkedid, call.id, call
        self._by_call.setdefault((entry.system, entry.linkedid), []).append(entry)

    def open_entries_of(self, system: str, uniqueid: str) -> list[EntryRow]:
        return [e for e in self._by_caller.get((system, uniqueid), ()) if e.ended_at is None]

    def _keep_entry(self, entry: EntryRow) -> EntryRow:
        """Into the working set, indexed by its key, by its caller's channel and by its call."""
        key = (entry.system, entry.uniqueid, entry.queue)
        held = self.entries.get(key)
        if held is entry:
            return entry
        if held is not None:  # the same entry read again: the indexes hold the new copy
            _forget(self._by_caller, (held.system, held.uniqueid), held)
            _forget(self._by_call, (held.system, held.linkedid), held)
        self._by_caller.setdefault((entry.system, entry.uniqueid), []).append(entry)
        self._by_call.setdefault((entry.system, entry.linkedid), []).append(entry)
        self.entries[key] = entry
        return entry

    # ---------------------------------------------------------------- timeline

    def timeline(self, call: CallRow, ts: float, kind: str, *, uniqueid: str = "", queue: str | None = None,
                 interface: str | None = None, user_id: int | None = None, detail: dict | None = None) -> None:
        key = f"{call.system}|{call.linkedid}|{kind}|{uniqueid}|{interface or ''}|{ts:.6f}"
        # In TIMELINE_COLUMNS' order after call_id (the call's id is known at commit).
        self._timeline.append((call, (
            to_dt(ts), kind, queue, interface, user_id,
            _dumps(detail) if detail else "{}",
            sha1(key.encode()).hexdigest(),
        )))
        self.topics.add("calls")

    # ---------------------------------------------------------------- agents and members

    def agent(self, interface: str, member_name: str = "") -> InterfaceState:
        state = self.agents.get(interface)
        if state is None:
            state = self.agents[interface] = InterfaceState(interface=interface, member_name=member_name)
        elif member_name and not state.member_name:
            state.member_name = member_name
        return state

    def member(self, queue: str, interface: str, ts: float) -> MemberRow:
        key = (queue, interface)
        member = self.members.get(key)
        if member is None:
            member = self.members[key] = MemberRow(queue=queue, interface=interface, updated_at=to_dt(ts))
            self._new[MEMBERS].append(member)
        self.topics.add("agents")
        return member

    def delete_member(self, queue: str, interface: str) -> None:
        member = self.members.pop((queue, interface), None)
        if member is not None:
            if member.id is None:
                self._new[MEMBERS].remove(member)
            else:
                self._deleted_members.append(member.id)
        self.topics.add("agents")

    # ---------------------------------------------------------------- the PBX

    def heard_from(self, system: str, ts: float) -> None:
        if ts > self._heard.get(system, 0.0):
            self._heard[system] = ts

    def _write_heard(self) -> None:
        """When each PBX was last heard from: one UPDATE per system, that only moves forward
        (an ORM get and flush of PbxState cost ~2 ms per batch). A system new to the table
        gets its row first; the ORM's own PbxState changes (a boot) are flushed before this."""
        conn = self.session.connection()
        for system, ts in self._heard.items():
            if system not in self._pbx_rows:
                conn.execute(upsert_insert(self.session, PBX).values(system=system).on_conflict_do_nothing())
                self._pbx_rows.add(system)
            conn.execute(_HEARD, {"key": system, "at": to_dt(ts)})
        self._heard.clear()

    # ---------------------------------------------------------------- commit

    def _insert_new(self, table: sa.Table) -> None:
        """One batched INSERT ... RETURNING per table. The ids come back matched by each
        row's natural key (asking for them in parameter order costs one statement a row
        on SQLite)."""
        rows = self._new[table]
        if not rows:
            return
        for row in rows:
            ref = getattr(row, "call", None)
            if ref is not None and row.call_id is None:
                row.__dict__["call_id"] = ref.id
        key_columns = NATURAL_KEYS[table]
        by_key = {tuple(row.__dict__[c] for c in key_columns): row for row in rows}
        # Rows built the same way hold the same columns: one statement per column set.
        groups: dict[tuple[str, ...], list[Row]] = {}
        for row in rows:
            groups.setdefault(row.present_columns(), []).append(row)
        bulk, conn = self._bulk, self.session.connection()
        # The keys come back as the driver gives them: compare them converted alike.
        convert_key = bulk.converter(table, key_columns)
        converted_keys = {convert_key(key): row for key, row in by_key.items()}
        for columns, group in groups.items():
            convert = bulk.converter(table, columns)
            values = [convert(row.column_values(columns)) for row in group]
            for returned in bulk.insert_returning(conn, table, columns, values, ("id", *key_columns)):
                row = converted_keys[returned[1:]]
                row.__dict__["id"] = returned[0]
                row._dirty.clear()
        rows.clear()

    def _update_changed(self, tables: tuple[sa.Table, ...]) -> None:
        groups: dict[tuple[sa.Table, tuple[str, ...]], list[Row]] = {}
        for table_rows in (self.calls.values(), self.entries.values(), self.status_rows.values(),
                           self.members.values(), self._touched):
            for row in table_rows:
                if row.id is not None and row._dirty:
                    groups.setdefault((row.TABLE, tuple(sorted(row._dirty))), []).append(row)
        bulk = self._bulk
        conn = self.session.connection() if groups else None
        for (table, cols), rows in groups.items():
            convert = bulk.converter(table, cols)
            params = []
            for row in rows:
                if row._dirty:  # a row in two of the sets above is written once
                    params.append(convert(row.column_values(cols)) + (row.id,))
                    row._dirty.clear()
            bulk.update_by_id(conn, table, cols, params)
        self._touched.clear()

    def keep_for_update(self, row: Row) -> None:
        """A changed row that is not in the working set any more (a closed status row)."""
        self._touched.add(row)

    def commit(self) -> None:
        session = self.session
        session.flush()
        if self._heard:
            self._write_heard()
        if self._deleted_members:  # first: a member removed and added again in one batch
            session.execute(MEMBERS.delete().where(MEMBERS.c.id.in_(self._deleted_members)))
            self._deleted_members.clear()
        for table in (CALLS, ENTRIES, STATUS, MEMBERS):
            self._insert_new(table)
        self._update_changed((CALLS, ENTRIES, STATUS, MEMBERS))
        if self.callers_to_check:
            numbers = numbers_with_resolved_queries(session, {c.caller_num_norm for c in self.callers_to_check})
            for call in self.callers_to_check:
                if call.caller_num_norm in numbers:
                    reopen_on_callback(session, caller_num_norm=call.caller_num_norm, call_id=call.id,
                                       at=call.started_at)
            self.callers_to_check.clear()
        if self._timeline:
            bulk, table = self._bulk, CallEvent.__table__
            convert = bulk.converter(table, TIMELINE_COLUMNS)
            rows = [convert((call.id, *values)) for call, values in self._timeline]
            bulk.insert_ignoring_many(session.connection(), table, TIMELINE_COLUMNS, rows, "dedupe_key")
            self._timeline.clear()
        if self.topics:
            changes.bump(session, *self.topics)  # applied by session.commit(), once each
            self.topics.clear()
        session.commit()
        for key in self._finished_calls:
            self.calls.pop(key, None)
            self.live.pop(key, None)
            # Entries stay loaded until their call ends: a later event (an exit status after
            # an abandon, a transfer's second queue) may still change them.
            for entry in self._by_call.pop(key, ()):
                entry_key = (entry.system, entry.uniqueid, entry.queue)
                if self.entries.get(entry_key) is entry:
                    del self.entries[entry_key]
                self.left_queue.pop(entry_key, None)
                _forget(self._by_caller, (entry.system, entry.uniqueid), entry)
        self._finished_calls.clear()

    def rollback(self) -> None:
        self.session.rollback()
        self._heard.clear()
        self._pbx_rows.clear()  # a pbx_state row inserted in this transaction is gone with it
        self.callers_to_check.clear()

    def close(self) -> None:
        self.session.close()
