"""The recorder's handlers for queue callers (join, leave, abandon, exit status) and the agents
offered them (ringing, no answer, connected, completed). Mixed into Recorder."""

from __future__ import annotations

import dataclasses
import logging

from aiivr import events as ev
from aiivr.models.calls import ABANDONED, ANSWERED, OPEN, TIMED_OUT
from aiivr.recorder.rows import CallRow as Call
from aiivr.recorder.store import Store, to_dt

log = logging.getLogger("aiivr.recorder")


class QueueHandlers:
    store: Store

    # ------------------------------------------------------------------ queue callers

    def _on_caller_joined(self, e: ev.CallerJoinedQueue) -> None:
        call = self.store.call(e.system, e.linkedid, e.ts)
        self._direction(call, ev.Direction.INBOUND.value)
        if call.queue is None:
            call.queue = e.queue[:64]
            self.store.callers_to_check.append(call)  # a customer calling back reopens its query
        if not call.caller_num and (e.caller_num or e.caller_name):
            self._set_caller(call, e.caller_num, e.caller_name)
        if self.store.entry(e.system, e.uniqueid, e.queue) is None:
            self.store.new_entry(system=e.system, uniqueid=e.uniqueid, queue=e.queue, call=call, call_id=call.id,
                                 linkedid=e.linkedid, caller_num=e.caller_num[:64], caller_name=e.caller_name[:128],
                                 entered_at=to_dt(e.ts), position=e.position)
        self.store.timeline(call, e.ts, "queued", uniqueid=e.uniqueid, queue=e.queue,
                            detail={"position": e.position})

    def _on_caller_left(self, e: ev.CallerLeftQueue) -> None:
        self.store.left_queue[(e.system, e.uniqueid, e.queue)] = e.ts

    def _on_abandoned(self, e: ev.CallerAbandoned) -> None:
        # Asterisk 22 also sends QueueCallerAbandon when the queue times the caller out,
        # then QUEUESTATUS=TIMEOUT: the abandon stays provisional until the caller's
        # channel hangs up without an exit status (see _on_exit_status, _on_hangup).
        entry = self.store.entry(e.system, e.uniqueid, e.queue)
        if entry is None or entry.connected_at is not None:
            return
        self._stop_ringing(e.uniqueid, e.ts)
        entry.outcome = ABANDONED
        entry.ended_at = to_dt(e.ts)
        entry.wait_seconds = float(e.hold_seconds) if e.hold_seconds is not None else self._waited(entry, e.ts)
        self.store.topics.add("queues")
        call = self.store.call(e.system, e.linkedid, e.ts, create=False)
        self._link(entry, call)
        if call is not None:
            call.wait_seconds = max(call.wait_seconds or 0, entry.wait_seconds)
            self.store.pending_abandons.setdefault((e.system, e.uniqueid), []).append((call, entry, e.ts))

    def _stop_ringing(self, uniqueid: str, ts: float, *, except_interface: str = "") -> None:
        """The caller was answered elsewhere, gave up or left: nobody rings for it now."""
        for interface, state in self.store.agents.items():
            if uniqueid in state.ringing and interface != except_interface:
                state.ringing.discard(uniqueid)
                state.device_busy = False  # it was busy ringing for this caller
                if not self.store.is_stale(interface, ts):
                    self.store.sync_status(state, ts)

    def _confirm_abandons(self, system: str, uniqueid: str) -> None:
        for call, entry, ts in self.store.pending_abandons.pop((system, uniqueid), ()):
            self.store.timeline(call, ts, "abandoned", uniqueid=uniqueid, queue=entry.queue,
                                detail={"wait_seconds": entry.wait_seconds})

    def _on_exit_status(self, e: ev.QueueExitStatus) -> None:
        outcome = TIMED_OUT if e.status == ev.QUEUE_EXIT_TIMEOUT else f"exit_{e.status.lower()}"[:24]
        if e.status == "CONTINUE":
            self._confirm_abandons(e.system, e.uniqueid)
            return  # Queue() carried on after an answered call: nothing to change
        self._stop_ringing(e.uniqueid, e.ts)
        call = self.store.call(e.system, e.linkedid, e.ts, create=False)
        pending = [entry for _, entry, _ in self.store.pending_abandons.pop((e.system, e.uniqueid), ())]
        for entry in pending + self.store.open_entries_of(e.system, e.uniqueid):
            if entry.connected_at is not None or entry.outcome not in (OPEN, ABANDONED):
                continue
            left = self.store.left_queue.get((e.system, e.uniqueid, entry.queue), e.ts)
            entry.outcome = outcome
            entry.ended_at = to_dt(left)
            entry.wait_seconds = self._waited(entry, left)
            self.store.topics.add("queues")
            if call is not None:
                call.wait_seconds = max(call.wait_seconds or 0, entry.wait_seconds)
                self.store.timeline(call, e.ts, outcome, uniqueid=e.uniqueid, queue=entry.queue,
                                    detail={"wait_seconds": entry.wait_seconds})

    def _link(self, entry, call: Call | None) -> None:
        """An entry first seen in a resync list has no call yet: join it to its call."""
        if call is not None and not entry.linkedid:
            self.store.link_entry(entry, call)

    @staticmethod
    def _waited(entry, ts: float) -> float:
        return max(0.0, round(ts - entry.entered_at.timestamp(), 3))

    # ------------------------------------------------------------------ agents on calls

    def _agent_event_call(self, e: ev.AgentLegEvent) -> Call:
        return self.store.call(e.system, e.linkedid, e.ts)

    def _on_agent_ringing(self, e: ev.AgentRinging) -> None:
        call = self._agent_event_call(e)
        user_id = self.store.user_id(e.interface)
        self.store.timeline(call, e.ts, "ringing", uniqueid=e.uniqueid, queue=e.queue, interface=e.interface,
                            user_id=user_id, detail={"member": e.member_name})
        if self.store.is_stale(e.interface, e.ts):
            return
        state = self.store.agent(e.interface, e.member_name)
        state.ringing.add(e.uniqueid)
        self.store.sync_status(state, e.ts)

    def _on_ring_no_answer(self, e: ev.AgentRingNoAnswer) -> None:
        call = self._agent_event_call(e)
        self.store.timeline(call, e.ts, "ring_no_answer", uniqueid=e.uniqueid, queue=e.queue,
                            interface=e.interface, user_id=self.store.user_id(e.interface),
                            detail={"member": e.member_name, "ring_seconds": e.ring_seconds})
        state = self.store.agent(e.interface, e.member_name)
        state.ringing.discard(e.uniqueid)
        if not self.store.is_stale(e.interface, e.ts):
            self.store.sync_status(state, e.ts)

    def _on_agent_connected(self, e: ev.AgentConnected) -> None:
        call = self._agent_event_call(e)
        at = to_dt(e.ts)
        user_id = self.store.user_id(e.interface)
        entry = self.store.entry(e.system, e.uniqueid, e.queue)
        if entry is not None:
            self._link(entry, call)
            entry.connected_at = entry.connected_at or at
            entry.outcome = ANSWERED
            entry.wait_seconds = float(e.hold_seconds) if e.hold_seconds is not None else self._waited(entry, e.ts)
            entry.agent_user_id, entry.agent_interface, entry.member_name = user_id, e.interface, e.member_name[:128]
            self.store.topics.add("queues")
        if call.answered_at is None:
            call.answered_at = at
        call.agent_user_id, call.agent_interface, call.agent_name = user_id, e.interface, e.member_name[:128]
        if entry is not None:
            call.wait_seconds = max(call.wait_seconds or 0, entry.wait_seconds or 0)
        self.store.timeline(call, e.ts, "connected", uniqueid=e.uniqueid, queue=e.queue, interface=e.interface,
                            user_id=user_id, detail={"member": e.member_name, "agent_channel": e.agent_channel,
                                                     "wait_seconds": e.hold_seconds})
        if self.store.is_stale(e.interface, e.ts):
            return
        self._stop_ringing(e.uniqueid, e.ts, except_interface=e.interface)
        state = self.store.agent(e.interface, e.member_name)
        state.ringing.discard(e.uniqueid)
        state.call_uniqueid, state.call_linkedid, state.agent_channel = e.uniqueid, e.linkedid, e.agent_channel
        self.store.sync_status(state, e.ts, call=call)

    def _on_agent_completed(self, e: ev.AgentCompleted) -> None:
        if not e.uniqueid:  # the caller's channel was gone (see the translator): find its entry
            entry = self.store.answered_entry(e.system, e.queue, e.interface, e.linkedid, e.ts)
            linkedid = (entry.linkedid or e.linkedid) if entry is not None else ""
            if not linkedid:  # never a call keyed "": that would be a call of its own
                log.info("AgentComplete of %s in %s matches no answered call: ignored", e.interface, e.queue)
                return
            e = dataclasses.replace(e, uniqueid=entry.uniqueid, linkedid=linkedid)
        call = self._agent_event_call(e)
        entry = self.store.entry(e.system, e.uniqueid, e.queue)
        talk = float(e.talk_seconds) if e.talk_seconds is not None else None
        if entry is not None:
            if entry.ended_at is None:
                entry.ended_at = to_dt(e.ts)
            if talk is None and entry.connected_at is not None:
                talk = max(0.0, round(e.ts - entry.connected_at.timestamp(), 3))
            entry.talk_seconds = talk
            entry.completed_by = e.reason.value
            self.store.topics.add("queues")
        if talk is not None:
            # One call can be answered in two queues in turn (a transfer): talk adds up.
            call.talk_seconds = round(sum(
                x.talk_seconds or 0 for x in self.store.entries_of_call(call)) or talk, 3)
        kind = "transferred" if e.reason is ev.CompletedBy.TRANSFER else "completed"
        self.store.timeline(call, e.ts, kind, uniqueid=e.uniqueid, queue=e.queue, interface=e.interface,
                            user_id=self.store.user_id(e.interface),
                            detail={"talk_seconds": talk, "by": e.reason.value})
        state = self.store.agent(e.interface, e.member_name)
        if state.call_uniqueid == e.uniqueid:
            self._agent_off_call(state, e.ts)

    def _agent_off_call(self, state, ts: float) -> None:
        state.call_uniqueid = state.call_linkedid = state.agent_channel = None
        if not self.store.is_stale(state.interface, ts):
            self.store.sync_status(state, ts)
