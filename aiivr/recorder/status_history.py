"""The agents' status history in the recorder's working set: one open row per interface,
and history that only moves forward. A mixin of Store (aiivr.recorder.store), which holds
the rows and writes them; the rules are in docs/call-model.md ("Agents")."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from aiivr.recorder.agent_state import InterfaceState
from aiivr.recorder.rows import CallRow, Row, StatusRow, to_dt

STATUS = StatusRow.TABLE


class StatusHistory:
    # Kept by Store, with its user_id() and keep_for_update(): the open row per interface,
    # the floors replies dated on arrival set, rows to insert, the topics the batch changed.
    tz: dt.tzinfo
    status_rows: dict[str, StatusRow]
    _arrival_floor: dict[str, dt.datetime | None]
    _new: dict[sa.Table, list[Row]]
    topics: set[str]

    def sync_status(self, state: InterfaceState, ts: float, *, set_by: str = "pbx", call: CallRow | None = None,
                    by_arrival: bool = False) -> None:
        """Open a new status-history row when the agent's status or reason changed.

        by_arrival: `ts` is when we received it, not an Asterisk Timestamp (a QueueStatus
        list, FullyBooted at login): see status_floor."""
        status, reason = state.status()
        if set_by == "pbx" and status in ("paused", "wrap_up"):
            set_by = state.paused_by  # the pause began during a call and shows only now
        row = self.status_rows.get(state.interface)
        at = to_dt(ts)
        floor = self.status_floor(state.interface)
        if row is not None:
            if (row.status, row.reason) == (status, reason):
                return
            if at < row.started_at:
                if not (by_arrival or floor is None or at >= floor):
                    return  # an older event replayed: history only moves forward
                # In arrival order: a list dated on arrival and an event stamped a little
                # before it (or a list whose date trails the last stamp): the earlier row
                # lasted no time, the later news takes over from its start.
                if not by_arrival:
                    self._arrival_floor[state.interface] = max(floor, at) if floor is not None else at
                elif state.interface not in self._arrival_floor:
                    self._arrival_floor[state.interface] = floor
                at, by_arrival = row.started_at, True
            if at == row.started_at:
                # Two changes at the same instant: the first lasted no time at all.
                row.status, row.reason, row.set_by = status, reason, set_by
                row.call = call if status == "on_call" else None
                if row.id is not None:
                    row.call_id = call.id if row.call is not None else None
                    self.keep_for_update(row)
                self._dated(state.interface, floor, by_arrival)
                self.topics.add("agents")
                return
            row.ended_at = at
            self.keep_for_update(row)
        if row is None and status == "offline":
            return  # nothing to close, nothing to say
        local = at.astimezone(self.tz)
        new = StatusRow(interface=state.interface, member_name=state.member_name,
                        user_id=self.user_id(state.interface), status=status, reason=reason,
                        started_at=at, local_date=local.date(), local_hour=local.hour, set_by=set_by)
        new.call = call if status == "on_call" else None
        self._new[STATUS].append(new)
        self.status_rows[state.interface] = new
        self._dated(state.interface, floor, by_arrival)
        self.topics.add("agents")

    def _dated(self, interface: str, floor: dt.datetime | None, by_arrival: bool) -> None:
        if by_arrival:
            if interface not in self._arrival_floor:
                self._arrival_floor[interface] = floor
        else:
            self._arrival_floor.pop(interface, None)

    def status_floor(self, interface: str) -> dt.datetime | None:
        """Events stamped before this are stale for the agent's status: the start of its
        current status row, unless a reply dated on arrival (no Timestamp) opened that row.
        Asterisk's Timestamps trail our clock by a few ms, so an event that arrives after
        such a row is newer than it whatever its stamp: the floor stays where the last
        stamped change put it."""
        if interface in self._arrival_floor:
            return self._arrival_floor[interface]
        row = self.status_rows.get(interface)
        return row.started_at if row is not None else None

    def is_stale(self, interface: str, ts: float) -> bool:
        floor = self.status_floor(interface)
        return floor is not None and to_dt(ts) < floor
