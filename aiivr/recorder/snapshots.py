"""Resync: reconcile what we hold with the lists Asterisk sends on (re)connect.

`serve` asks for QueueStatus and CoreShowChannels after every login. The items come
first, then a completion; only at the completion do we know what is *no longer*
there: members gone, calls that ended while we were away, calls that started then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiivr import events as ev
from aiivr.models.calls import OPEN
from aiivr.recorder.store import Store, to_dt

log = logging.getLogger("aiivr.recorder")
ENDED_WHILE_AWAY = "ended_while_away"


class Snapshots:
    def __init__(self, store: Store, end_call: Callable[..., None]) -> None:
        self.store = store
        self.end_call = end_call  # the recorder's: closes a call and its open queue entries
        self._members: dict[str, set[tuple[str, str]]] = {}
        self._entries: dict[str, set[tuple[str, str, str]]] = {}
        self._channels: dict[str, set[tuple[str, str]]] = {}

    # ---------------------------------------------------------------- members

    def upsert_member(self, e: ev.MemberState):
        member = self.store.member(e.queue, e.interface, e.ts)
        member.member_name = e.member_name[:128] or member.member_name
        member.state_interface = e.state_interface[:128] or member.state_interface
        member.user_id = self.store.user_id(e.interface)
        member.membership = e.membership[:16] or member.membership
        if e.penalty is not None:
            member.penalty = e.penalty
        if e.paused is not None:
            member.paused = e.paused
            member.paused_reason = e.paused_reason[:32] if e.paused else ""
        if e.in_call is not None:
            member.in_call = e.in_call
        if e.device_state is not None:
            member.device_state = int(e.device_state)
        if e.calls_taken is not None:
            member.calls_taken = e.calls_taken
        member.updated_at = to_dt(e.ts)
        return member

    def delete_member(self, queue: str, interface: str) -> None:
        self.store.delete_member(queue, interface)

    def on_member(self, e: ev.MemberSnapshot) -> None:
        self._members.setdefault(e.action_id, set()).add((e.queue, e.interface))
        self.upsert_member(e)
        state = self.store.agent(e.interface, e.member_name)
        state.set_member(e.queue, True)
        if e.paused is not None:
            state.set_paused(e.queue, e.paused, e.paused_reason)
        self.store.sync_status(state, e.ts, by_arrival=True)  # list replies carry no Timestamp

    # ---------------------------------------------------------------- waiting callers and channels

    def on_entry(self, e: ev.QueueEntrySnapshot) -> None:
        self._entries.setdefault(e.action_id, set()).add((e.system, e.uniqueid, e.queue))
        if self.store.entry(e.system, e.uniqueid, e.queue) is None:
            # A caller who joined while we were away and is still waiting.
            self.store.new_entry(system=e.system, uniqueid=e.uniqueid, queue=e.queue, caller_num=e.caller_num[:64],
                                 caller_name=e.caller_name[:128], position=e.position,
                                 entered_at=to_dt(e.ts - (e.wait_seconds or 0)))

    def on_channel(self, e: ev.ChannelSnapshot) -> None:
        self._channels.setdefault(e.action_id, set()).add((e.system, e.linkedid))
        started = e.ts - (e.duration_seconds or 0)
        call = self.store.call(e.system, e.linkedid, started)
        if call.ended_at is None:
            self.store.live.setdefault((e.system, e.linkedid), set()).add(e.uniqueid)
        for entry in self.store.open_entries_of(e.system, e.uniqueid):
            if not entry.linkedid:  # created from the QueueStatus list just before
                self.store.link_entry(entry, call)

    # ---------------------------------------------------------------- completion

    def on_completed(self, e: ev.SnapshotCompleted) -> None:
        if e.list_name == "QueueStatus":
            self._members_done(e)
        elif e.list_name == "CoreShowChannels":
            self._channels_done(e)

    def _members_done(self, e: ev.SnapshotCompleted) -> None:
        seen = self._members.pop(e.action_id, set())
        for queue, interface in [k for k in self.store.members if k not in seen]:
            self.delete_member(queue, interface)
            state = self.store.agent(interface)
            state.set_member(queue, False)
            self.store.sync_status(state, e.ts, by_arrival=True)
        waiting = self._entries.pop(e.action_id, set())
        for key, entry in list(self.store.entries.items()):
            if entry.ended_at is None and entry.outcome == OPEN and entry.connected_at is None and key not in waiting:
                # It left the queue while we were away; queue_log backfill may say how.
                entry.ended_at, entry.outcome = to_dt(e.ts), "left"
                self.store.topics.add("queues")

    def _channels_done(self, e: ev.SnapshotCompleted) -> None:
        live_calls = self._channels.pop(e.action_id, set())
        for key, call in list(self.store.calls.items()):
            if call.ended_at is None and key not in live_calls:
                log.info("call %s ended while serve was away", call.linkedid)
                self.store.live.pop(key, None)
                self.end_call(call, e.ts, cause=ENDED_WHILE_AWAY)
        for key in list(self.store.live):
            if key not in live_calls:
                self.store.live.pop(key, None)
