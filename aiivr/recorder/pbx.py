"""The recorder's handlers for supervisor monitoring, recordings, CSAT and the PBX itself
(boots and restarts, queue_log backfill, translation issues). Mixed into Recorder."""

from __future__ import annotations

import logging

from aiivr import events as ev
from aiivr.models.calls import OPEN, PBX_RESTART
from aiivr.models.pbx import PbxState
from aiivr.recorder.backfill import Backfill, apply_backfill
from aiivr.recorder.snapshots import Snapshots
from aiivr.recorder.store import Store, to_dt

log = logging.getLogger("aiivr.recorder")

# Uptime comes in whole seconds and the event's time is when it was sent: two reports of
# the same boot differ by up to a second or two.
BOOT_JITTER_SECONDS = 2.0


class PbxHandlers:
    store: Store
    snapshots: Snapshots
    issues: int
    pbx_restarts: int
    backfilled: int

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
            self._pbx_restarted(e.ts, "restarted", by_arrival=True)  # FullyBooted at login: no Timestamp
        state.booted_at, state.connected = booted, True
        self.store.session.flush()  # heard_from may read the same row in this batch

    def _on_shutdown(self, e: ev.PbxShuttingDown) -> None:
        # Handled now, not at the next boot: a restart within a second or two of the last
        # boot gives a boot time the rule above cannot tell from the old one (the lab's
        # restart right after a restart did), and calls and agents are gone from now on.
        self._pbx_restarted(e.ts, "is shutting down")
        state = self.store.session.get(PbxState, "")
        if state is not None:  # the next FullyBooted is a first boot: nothing to compare
            state.booted_at, state.connected = None, False
            self.store.session.flush()

    def _pbx_restarted(self, ts: float, what: str, *, by_arrival: bool = False) -> None:
        """Asterisk restarted (or is going down): every call it had is gone, and so are
        dynamic members. by_arrival: `ts` is when we heard it (see sync_status)."""
        self.pbx_restarts += 1
        log.warning("Asterisk %s: closing open calls and memberships", what)
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
            self.store.sync_status(state, ts, by_arrival=by_arrival)

    def _on_backfill(self, request: Backfill) -> None:
        created, completed = apply_backfill(self.store, request)
        self.backfilled += created + completed
        if created or completed:
            log.info("queue_log backfill: %d entries created, %d completed", created, completed)

    def _on_issue(self, e: ev.TranslationIssue) -> None:
        self.issues += 1
        log.debug("AMI translation issue: %s %s (dropped=%s)", e.source_event, e.reason, e.dropped)
