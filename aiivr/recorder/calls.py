"""The recorder's handlers for channels and calls: creation, caller id, direction, outbound
dials, hangups and how a call ends, hold, transfers. Mixed into Recorder (aiivr.recorder.core)."""

from __future__ import annotations

from aiivr import events as ev
from aiivr.models.calls import ABANDONED, ANSWERED, OPEN, PBX_RESTART, TIMED_OUT, UNANSWERED
from aiivr.numbers import normalise_number
from aiivr.recorder.rows import CallRow as Call
from aiivr.recorder.store import Store, to_dt

OUTBOUND_ORIGINS = {"outbound", "callback"}
DECISIVE = {ev.Direction.INBOUND.value, ev.Direction.OUTBOUND.value}


class CallHandlers:
    store: Store

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
