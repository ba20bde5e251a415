"""Recorder: apply a batch of domain events in one write transaction.

A table maps each event type to a small handler. Every handler is idempotent: the
same events applied again (a replay, a reconnect, a restart of `serve`) leave the
same rows. The rules are in docs/call-model.md.

The handlers live by area in mixins: calls (channels and calls), queues (queue callers and
the agents offered them), members (queue members and agent status), pbx (monitoring,
recordings, CSAT, the PBX itself); snapshots.Snapshots handles the resync lists. The one
table below routes each event type to its handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Callable

from aiivr import events as ev
from aiivr.config import Config
from aiivr.db import Database
from aiivr.recorder.backfill import Backfill
from aiivr.recorder.calls import CallHandlers
from aiivr.recorder.expectations import Expectations
from aiivr.recorder.members import MemberHandlers
from aiivr.recorder.pbx import PbxHandlers
from aiivr.recorder.queues import QueueHandlers
from aiivr.recorder.snapshots import Snapshots
from aiivr.recorder.store import Store

log = logging.getLogger("aiivr.recorder")


class Recorder(CallHandlers, QueueHandlers, MemberHandlers, PbxHandlers):
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
            ev.PbxShuttingDown: self._on_shutdown,
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
