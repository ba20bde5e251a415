"""Recorder: apply a batch of domain events in one write transaction.

A table maps each event type to a small handler. Every handler is idempotent: the
same events applied again (a replay, a reconnect, a restart of `serve`) leave the
same rows. The rules are in docs/call-model.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Callable

from aiivr import events as ev
from aiivr.config import Config
from aiivr.db import Database
from aiivr.models.calls import ABANDONED, ANSWERED, OPEN, PBX_RESTART, TIMED_OUT, UNANSWERED
from aiivr.models.pbx import PbxState
from aiivr.recorder.agent_state import BUSY_DEVICE
from aiivr.recorder.backfill import Backfill, apply_backfill
from aiivr.recorder.expectations import Expectations
from aiivr.recorder.rows import CallRow as Call
from aiivr.recorder.snapshots import Snapshots
from aiivr.numbers import normalise_number
from aiivr.recorder.store import Store, to_dt

log = logging.getLogger("aiivr.recorder")

OUTBOUND_ORIGINS = {"outbound", "callback"}
# Uptime comes in whole seconds and the event's time is when it was sent: two reports of
# the same boot differ by up to a second or two.
BOOT_JITTER_SECONDS = 2.0
DECISIVE = {ev.Direction.INBOUND.value, ev.Direction.OUTBOUND.value}


class Recorder:
    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.store = Store(db, config.tz)
        self.snapshots = Snapshots(self.store, end_call=self._end_call)
        self.issues = 0
        self.applied = 0
        self.pbx_restarts = 0
        self.backfilled = 0
        # Changes serve's outbox asked for: the status row they open names who asked.
        self.expected = Expectations()
        self._handlers: dict[type, Callable[[object], None]] = {
            ev.ChannelCreated: self._on_channel_created,
            ev.CallerIdChanged: self._on_caller_id,
            ev.ChannelHungUp: self._on_hangup,
            ev.ChannelOriginTagged: self._on_origin,
            ev.OutboundDialed: self._on_outbound_dialed,
            ev.OutboundAnswered: self._on_outbound_answered,
            ev.ChannelHeld: self._on_hold,
            ev.ChannelUnheld: self._on_unhold,
            ev.CallTransferred: self._on_transfer,
            ev.CallerJoinedQueue: self._on_caller_joined,
            ev.CallerLeftQueue: self._on_caller_left,
            ev.CallerAbandoned: self._on_abandoned,
            ev.QueueExitStatus: self._on_exit_status,
            ev.AgentRinging: self._on_agent_ringing,
            ev.AgentRingNoAnswer: self._on_ring_no_answer,
            ev.AgentConnected: self._on_agent_connected,
            ev.AgentCompleted: self._on_agent_completed,
            ev.MemberAdded: self._on_member,
            ev.MemberRemoved: self._on_member_removed,
            ev.MemberPaused: self._on_member,
            ev.MemberStatus: self._on_member,
            ev.MemberSnapshot: self.snapshots.on_member,
            ev.QueueEntrySnapshot: self.snapshots.on_entry,
            ev.ChannelSnapshot: self.snapshots.on_channel,
            ev.SnapshotCompleted: self.snapshots.on_completed,
            ev.SpyStarted: self._on_spy,
            ev.SpyStopped: self._on_spy,
            ev.RecordingFileNamed: self._on_recording_named,
            ev.RecordingStopped: self._on_recording_stopped,
            ev.CsatScored: self._on_csat,
            ev.PbxBooted: self._on_booted,
            ev.TranslationIssue: self._on_issue,
            Backfill: self._on_backfill,
        }

    # ------------------------------------------------------------------ batches

    def apply(self, batch: Iterable[ev.DomainEvent]) -> None:
        """Apply events in one transaction. If the batch fails, reload and apply the
        events one by one, so one bad event costs only itself (logged), never the rest."""
        batch = list(batch)
        try:
            self._apply_all(batch)
            self.store.commit()
        except Exception:  # noqa: BLE001 - isolate the poison event below
            log.exception("recorder batch of %d events failed; retrying one by one", len(batch))
            self._reset()
            for event in batch:
                try:
                    self._apply_all([event])
                    self.store.commit()
                except Exception:  # noqa: BLE001
                    log.exception("recorder dropped an event it could not apply: %r", event)
                    self._reset()

    def _apply_all(self, batch: list[ev.DomainEvent]) -> None:
        self._preload(batch)
        handlers = self._handlers
        for event in batch:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
                self.applied += 1
        if batch:
            last = batch[-1]
            self.store.heard_from(last.system, last.ts)

    def _preload(self, batch: list[ev.DomainEvent]) -> None:
        calls: set = set()
        entries: set = set()
        for e in batch:
            linkedid = getattr(e, "linkedid", None)
            if linkedid:
                calls.add((e.system, linkedid))
            queue = getattr(e, "queue", None)
            uniqueid = getattr(e, "uniqueid", None)
            if queue and uniqueid:
                entries.add((e.system, uniqueid, queue))
        self.store.preload(calls, entries)

    def _reset(self) -> None:
        self.store.rollback()
        self.store.close()
        self.store = Store(self.db, self.config.tz)
        self.snapshots.store = self.store

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------ channels and calls

    def _on_channel_created(self, e: ev.ChannelCreated) -> None:
        call = self.store.call(e.system, e.linkedid, e.ts)
        if call.ended_at is None:
            self.store.live.setdefault((e.system, e.linkedid), set()).add(e.uniqueid)
        if e.uniqueid == e.linkedid and not call.caller_num and not call.caller_name:
            self._set_caller(call, e.caller_num, e.caller_name)
        self._direction(call, e.direction.value)

    def _on_caller_id(self, e: ev.CallerIdChanged) -> None:
        if e.uniqueid != e.linkedid:
            return
        call = self.store.call(e.system, e.linkedid, e.ts, create=False)
        if call is not None and call.answered_at is None:
            self._set_caller(call, e.caller_num, e.caller_name)

    def _set_caller(self, call: Call, number: str, name: str) -> None:
        call.caller_num, call.caller_name = number[:64], name[:128]
        call.caller_num_norm = normalise_number(number)[:64]

    def _direction(self, call: Call, hint: str) -> None:
        # The first decisive signal wins: an inbound call later transferred out stays inbound.
        if call.direction not in DECISIVE and hint in DECISIVE:
            call.direction = hint

    def _on_origin(self, e: ev.ChannelOriginTagged) -> None:
        call = self.store.call(e.system, e.linkedid, e.ts)
        call.origin = e.origin[:32]
        if e.origin in OUTBOUND_ORIGINS and call.direction not in DECISIVE:
            call.direction = ev.Direction.OUTBOUND.value

    def _on_outbound_dialed(self, e: ev.OutboundDialed) -> None:
        call = self.store.call(e.system, e.linkedid, e.ts)
        self._direction(call, ev.Direction.OUTBOUND.value)
        self.store.timeline(call, e.ts, "dial", uniqueid=e.uniqueid, detail={"number": e.number})

    def _on_outbound_answered(self, e: ev.OutboundAnswered) -> None:
        call = self.store.call(e.system, e.linkedid, e.ts)
        self._direction(call, ev.Direction.OUTBOUND.value)
        if call.answered_at is None:
            call.answered_at = to_dt(e.ts)
        if call.agent_user_id is None:
            # An agent's phone dials with its extension as caller ID.
            user_id = self.store.user_by_extension(e.caller_num)
            if user_id is not None:
                call.agent_user_id = user_id
        self.store.timeline(call, e.ts, "answered", uniqueid=e.uniqueid, detail={"number": e.number})

    def _on_hangup(self, e: ev.ChannelHungUp) -> None:
        key = (e.system, e.linkedid)
        call = self.store.call(e.system, e.linkedid, e.ts, create=False)
        if call is None:
            return
        self._end_hold(e.system, e.uniqueid, e.ts, call)
        self._confirm_abandons(e.system, e.uniqueid)
        self._stop_ringing(e.uniqueid, e.ts)
        for interface, state in self.store.agents.items():
            if state.agent_channel == e.channel or (state.call_linkedid == e.linkedid and state.call_uniqueid == e.uniqueid):
                self._agent_off_call(state, e.ts)
        live = self.store.live.get(key)
        if live is not None:
            live.discard(e.uniqueid)
            if live:
                return
        elif e.uniqueid != e.linkedid:
            return  # legs unknown (just resynced): only the call's first channel ends it
        self._end_call(call, e.ts, cause=e.cause_text or (str(e.cause) if e.cause is not None else ""))

    def _end_call(self, call: Call, ts: float, *, cause: str, disposition: str | None = None) -> None:
        at = to_dt(ts)
        if call.ended_at is not None:
            return  # ended once, ended for good: a replayed hangup changes nothing
        call.ended_at = at
        call.end_cause = cause[:64]
        if call.direction == "outbound" and call.answered_at is not None and not call.talk_seconds:
            call.talk_seconds = round(max(0.0, ts - call.answered_at.timestamp()), 3)
        entries = self.store.entries_of_call(call)
        for entry in entries:
            if (entry.system, entry.uniqueid) in self.store.pending_abandons:
                self._confirm_abandons(entry.system, entry.uniqueid)
        if disposition is None:
            disposition = self._disposition(call)
        call.disposition = disposition
        for entry in [x for x in entries if x.ended_at is None]:
            entry.ended_at = at
            if entry.outcome == OPEN:
                entry.outcome = PBX_RESTART if disposition == PBX_RESTART else "left"
        self.store.touch(call)
        self.store.finish_call((call.system, call.linkedid))

    def _disposition(self, call: Call) -> str:
        if call.answered_at is not None:
            return ANSWERED
        outcomes = {e.outcome for e in self.store.entries_of_call(call)}
        if ABANDONED in outcomes:
            return ABANDONED
        if TIMED_OUT in outcomes:
            return TIMED_OUT
        return UNANSWERED if call.queue or call.direction == "outbound" else ANSWERED if call.talk_seconds else UNANSWERED

    def _on_hold(self, e: ev.ChannelHeld) -> None:
        call = self.store.call(e.system, e.linkedid, e.ts, create=False)
        if call is None:
            return
        self.store.holds.setdefault((e.system, e.uniqueid), e.ts)
        self.store.timeline(call, e.ts, "hold", uniqueid=e.uniqueid)

    def _on_unhold(self, e: ev.ChannelUnheld) -> None:
        call = self.store.call(e.system, e.linkedid, e.ts, create=False)
        if call is None:
            return
        self._end_hold(e.system, e.uniqueid, e.ts, call)
        self.store.timeline(call, e.ts, "unhold", uniqueid=e.uniqueid)

    def _end_hold(self, system: str, uniqueid: str, ts: float, call: Call) -> None:
        started = self.store.holds.pop((system, uniqueid), None)
        if started is not None and ts > started:
            call.hold_seconds = round((call.hold_seconds or 0) + ts - started, 3)

    def _on_transfer(self, e: ev.CallTransferred) -> None:
        call = self.store.call(e.system, e.transferee_linkedid or e.transferer_linkedid, e.ts, create=False)
        if call is None:
            return
        self.store.timeline(call, e.ts, "transfer", uniqueid=e.transferer_uniqueid, detail={
            "kind": e.kind.value, "result": e.result, "target": e.target_exten or e.target_channel,
            "context": e.target_context, "consult_linkedid": e.consult_linkedid})

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
            entry.linkedid, entry.call_id, entry.call = call.linkedid, call.id, call

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

    # ------------------------------------------------------------------ queue members

    def _on_member(self, e: ev.MemberState) -> None:
        self.snapshots.upsert_member(e)
        if self.store.is_stale(e.interface, e.ts):
            return
        state = self.store.agent(e.interface, e.member_name)
        state.set_member(e.queue, True)
        if e.paused is not None:
            state.set_paused(e.queue, e.paused, e.paused_reason)
        if e.device_state is not None:
            # Busy outside a queue call (in_call false) means the agent dialled out or
            # took a direct call: on_call from the device state (docs/call-model.md).
            state.device_busy = (e.device_state in BUSY_DEVICE and not e.in_call
                                 and not state.ringing and state.call_uniqueid is None)
        self.store.sync_status(state, e.ts, set_by=self.expected.who(e))

    def _on_member_removed(self, e: ev.MemberRemoved) -> None:
        self.snapshots.delete_member(e.queue, e.interface)
        if self.store.is_stale(e.interface, e.ts):
            return
        state = self.store.agent(e.interface, e.member_name)
        state.set_member(e.queue, False)
        self.store.sync_status(state, e.ts, set_by=self.expected.who(e))

    # ------------------------------------------------------------------ monitoring, recordings, CSAT

    def _on_spy(self, e: ev.SpyEvent) -> None:
        call = self.store.call(e.system, e.spyee_linkedid, e.ts, create=False)
        if call is None:
            return
        kind = "spy_start" if isinstance(e, ev.SpyStarted) else "spy_stop"
        self.store.timeline(call, e.ts, kind, uniqueid=e.spyer_uniqueid,
                            detail={"spyer_channel": e.spyer_channel, "spyee_channel": e.spyee_channel})

    def _on_recording_named(self, e: ev.RecordingFileNamed) -> None:
        call = self.store.call(e.system, e.linkedid, e.ts, create=False)
        if call is not None:
            call.recording_path = e.path[:512]
            self.store.touch(call)

    def _on_recording_stopped(self, e: ev.RecordingStopped) -> None:
        call = self.store.call(e.system, e.linkedid, e.ts, create=False)
        if call is not None:
            self.store.timeline(call, e.ts, "recording_stopped", uniqueid=e.uniqueid)

    def _on_csat(self, e: ev.CsatScored) -> None:
        call = self.store.call(e.system, e.linkedid, e.ts, create=False)
        if call is None:
            log.warning("CSAT score %s for unknown call %s dropped", e.score, e.linkedid)
            return
        call.csat_score = e.score
        self.store.timeline(call, e.ts, "csat", uniqueid=e.uniqueid, detail={"score": e.score})

    # ------------------------------------------------------------------ the PBX

    def _on_booted(self, e: ev.PbxBooted) -> None:
        if e.uptime_seconds is None:
            return
        booted = to_dt(e.ts - e.uptime_seconds)
        # FullyBooted names no SystemName when sent at login, but does at a real boot: the
        # boot time is kept on one row ("" = the PBX this serve talks to; one PBX in v1).
        state = self.store.session.get(PbxState, "")
        if state is None:
            state = PbxState(system="")
            self.store.session.add(state)
        elif state.booted_at is not None and abs((booted - state.booted_at).total_seconds()) > BOOT_JITTER_SECONDS:
            self._pbx_restarted(e.ts, e.system)
        state.booted_at, state.connected = booted, True
        self.store.session.flush()  # heard_from may read the same row in this batch

    def _pbx_restarted(self, ts: float, system: str) -> None:
        """Asterisk restarted: every call it had is gone, and so are dynamic members."""
        self.pbx_restarts += 1
        log.warning("Asterisk restarted: closing open calls and memberships")
        for call in [c for c in self.store.calls.values() if c.ended_at is None]:
            self._end_call(call, ts, cause="pbx_restart", disposition=PBX_RESTART)
        for entry in self.store.entries.values():
            if entry.ended_at is None:
                entry.ended_at, entry.outcome = to_dt(ts), PBX_RESTART if entry.outcome == OPEN else entry.outcome
        for (queue, interface) in list(self.store.members):
            self.snapshots.delete_member(queue, interface)
        for state in self.store.agents.values():
            state.queues.clear()
            state.paused.clear()
            state.ringing.clear()
            state.call_uniqueid = state.call_linkedid = state.agent_channel = None
            state.device_busy = False
            self.store.sync_status(state, ts, by_arrival=True)  # FullyBooted at login: no Timestamp

    def _on_backfill(self, request: Backfill) -> None:
        created, completed = apply_backfill(self.store, request)
        self.backfilled += created + completed
        if created or completed:
            log.info("queue_log backfill: %d entries created, %d completed", created, completed)

    def _on_issue(self, e: ev.TranslationIssue) -> None:
        self.issues += 1
        log.debug("AMI translation issue: %s %s (dropped=%s)", e.source_event, e.reason, e.dropped)
