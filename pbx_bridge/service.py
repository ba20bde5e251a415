"""`aiivr serve`: the one process that holds the AMI connection.

It wires the transport (AMI over TCP) to the translator (AMI -> domain events) and
the recorder (domain events -> database, in a writer thread), resyncs after every
login, records data gaps while the PBX was out of reach, and runs scheduled jobs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

from sqlmodel import select

from aiivr import audit_anchor
from aiivr.config import Config
from aiivr.db import Database, utcnow
from aiivr.models.pbx import DataGap, PbxState
from aiivr.queue_log import read_lines, summarise
from aiivr.recorder import Recorder
from aiivr.recorder.backfill import Backfill, backfill_window
from aiivr.wal_checkpointer import WalCheckpointer
from pbx_bridge.components import default_components
from pbx_bridge.direction import DEFAULT_INBOUND_CONTEXTS, DirectionRules
from pbx_bridge.translator import Translator
from pbx_bridge.serve_gc import ServeGc
from pbx_bridge.transport import AmiTransport, TransportError
from pbx_bridge.writer import BatchWriter, percentile_99

log = logging.getLogger("aiivr.serve")
RESYNC_LISTS = ({"Action": "QueueStatus"}, {"Action": "CoreShowChannels"})


def _read_queue_log(path: str) -> tuple:
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = [line for line in read_lines(handle) if not isinstance(line, Exception)]
    return tuple(summarise(lines).values())


def direction_rules(config: Config) -> DirectionRules:
    return DirectionRules(
        inbound_contexts=frozenset(config.ami.inbound_contexts) or DEFAULT_INBOUND_CONTEXTS,
        outbound_contexts=frozenset({config.outbound.context}),
    )


class BridgeService:
    def __init__(self, config: Config, db: Database, *, ping_interval: float = 10.0,
                 action_timeout: float = 5.0, backoff_max: float = 30.0,
                 components: list | None = None) -> None:
        self.config = config
        self.db = db
        self._rules = direction_rules(config)
        self.translator = Translator(self._rules)
        # The PBX's SystemName, from CoreSettings at each login (None until known).
        self.system: str | None = None
        self.recorder = Recorder(db, config)
        self.writer = BatchWriter(self.recorder.apply)
        # SQLite: WAL checkpoints off the writer's thread (see aiivr.wal_checkpointer).
        self.checkpointer = WalCheckpointer(db) if db.sqlite_path is not None else None
        self.transport = AmiTransport(
            config.ami.host, config.ami.port, config.ami.username, config.ami.secret,
            on_event=self._on_message, on_connected=self._on_connected, on_disconnected=self._on_disconnected,
            action_timeout=action_timeout, ping_interval=ping_interval, backoff_max=backoff_max,
            wants=self.translator.wants,
        )
        self.resyncs = 0
        self.scheduler = None
        self.anchor_path = audit_anchor.default_path()
        self._disconnected_at: dt.datetime | None = self._last_seen()
        self._translate = self.translator.translate
        self._put = self.writer.put
        self.components = default_components(self) if components is None else components
        self._restarts_seen = 0
        self._gc = ServeGc()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        # Collections hold the GIL: no event is read or committed meanwhile (see serve_gc).
        self._gc.enter()
        if self.checkpointer is not None:
            self.checkpointer.start()
        self.writer.start()
        self._start_jobs()
        for component in self.components:
            await component.start(self)
        await self.transport.start()

    async def stop(self) -> None:
        for component in reversed(self.components):
            try:
                await component.stop()
            except Exception:  # noqa: BLE001 - one component's failure must not stop the others
                log.exception("component %s failed to stop", getattr(component, "name", component))
        await self.transport.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        await asyncio.to_thread(self.writer.stop)
        self.recorder.close()
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.stop)
        self._gc.exit()

    def _start_jobs(self) -> None:
        # APScheduler 3's AsyncIOScheduler must start inside the running loop.
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.scheduler = AsyncIOScheduler(timezone=self.config.tz)
        self.scheduler.add_job(self._anchor_audit, "interval", seconds=60, id="audit-anchor",
                               next_run_time=dt.datetime.now(self.config.tz), max_instances=1, coalesce=True)
        self.scheduler.start()

    async def _anchor_audit(self) -> None:
        try:
            await asyncio.to_thread(audit_anchor.append_head, self.db, self.anchor_path)
        except Exception:  # noqa: BLE001 - a failed anchor is logged; the next run tries again
            log.exception("could not anchor the audit chain head in %s", self.anchor_path)

    async def run_forever(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    # ------------------------------------------------------------------ events

    def _on_message(self, message: dict) -> None:
        # The hot path: translate and hand over; the writer thread does the database work.
        events = self._translate(message)
        if events:
            self._put(events)

    async def _on_connected(self) -> None:
        log.info("AMI session ready on %s:%s; resyncing", self.config.ami.host, self.config.ami.port)
        gap_start = self._close_gap()
        try:
            await self._learn_system()
        except TransportError as error:
            log.warning("CoreSettings failed: %s; no resync on this session", error)
            return
        for action in RESYNC_LISTS:
            try:
                # Each item to the recorder as it is read, in its place among the live events:
                # handed over after the whole list, items would land behind events that came
                # after the list (read in the same chunk before this task resumes), and a call
                # that began after Asterisk built the list would be ended as "away".
                await self.transport.send(dict(action), timeout=30, on_reply=self._on_message)
            except TransportError as error:
                log.warning("resync %s failed: %s", action["Action"], error)
                return
        self.resyncs += 1
        if gap_start is not None:
            await self._backfill(gap_start)
        # Let the recorder see the login's FullyBooted first, so pbx_restarted is known.
        await asyncio.to_thread(self.writer.flush, 10)
        restarted = self.recorder.pbx_restarts > self._restarts_seen
        self._restarts_seen = self.recorder.pbx_restarts
        for component in self.components:
            try:
                await component.on_session_ready(self, pbx_restarted=restarted)
            except Exception:  # noqa: BLE001 - logged; the session itself stays up
                log.exception("component %s failed after login", getattr(component, "name", component))

    async def _learn_system(self) -> None:
        """List replies (QueueEntry, CoreShowChannel, ...) carry no SystemName, live events
        do: translate the lists with the PBX's own, or a call seen live and again in
        CoreShowChannels would be two calls, (name, linkedid) and ("", linkedid)."""
        reply = await self.transport.send({"Action": "CoreSettings"}, timeout=30)
        if isinstance(reply, dict) and reply.get("Response") == "Success":
            system = str(reply.get("SystemName") or "")
        else:  # an AMI user without the "system" read class: the name last heard from
            log.warning("CoreSettings refused (%s); taking the PBX's SystemName from its last events",
                        reply.get("Message") if isinstance(reply, dict) else reply)
            system = await asyncio.to_thread(self._system)
        if system != self.system:
            self.system = system
            self.translator = Translator(self._rules, default_system=system)
            self._translate = self.translator.translate

    async def _backfill(self, gap_start: dt.datetime) -> None:
        """Queue entries that began and ended while we were away, from queue_log."""
        path = self.config.ami.queue_log_path
        if not path:
            log.warning("no [ami] queue_log_path: the gap since %s stays a data gap", gap_start)
            return
        try:
            summaries = await asyncio.to_thread(_read_queue_log, path)
        except OSError as error:
            log.warning("cannot read queue_log %s (%s): the gap since %s stays a data gap", path, error, gap_start)
            return
        system = self.system if self.system is not None else self._system()
        self._put([Backfill(ts=time.time(), system=system, summaries=summaries, since=backfill_window(gap_start))])
        with self.db.write() as session:
            gap = session.exec(select(DataGap).order_by(DataGap.id.desc())).first()
            if gap is not None and not gap.backfilled:
                gap.backfilled = True
                session.add(gap)

    def _system(self) -> str:
        """The PBX's SystemName as its events carry it (queue_log does not say it).
        FullyBooted carries none, hence the "" row beside the real one."""
        with self.db.read() as session:
            states = [s for s in session.exec(select(PbxState)) if s.system and s.last_event_at is not None]
        return max(states, key=lambda s: s.last_event_at).system if states else ""

    def _on_disconnected(self, reason: str) -> None:
        log.warning("AMI session lost: %s", reason)
        self._disconnected_at = utcnow()

    # ------------------------------------------------------------------ gaps

    def _last_seen(self) -> dt.datetime | None:
        """When the previous run of serve last heard from the PBX (a gap starts there)."""
        with self.db.read() as session:
            states = session.exec(select(PbxState)).all()
            seen = [s.updated_at for s in states if s.updated_at is not None]
        return max(seen) if seen else None

    def _close_gap(self) -> dt.datetime | None:
        """Record the stretch we could not see; returns its start (None when no gap)."""
        started = self._disconnected_at
        self._disconnected_at = None
        if started is None:
            return None
        ended = utcnow()
        if (ended - started).total_seconds() < 1:
            return started
        with self.db.write() as session:
            session.add(DataGap(started_at=started, ended_at=ended, reason="ami_unreachable",
                                detail=f"no AMI events from {started:%H:%M:%S} to {ended:%H:%M:%S} UTC"))
        log.info("recorded a data gap of %.0f s", (ended - started).total_seconds())
        return started

    # ------------------------------------------------------------------ health

    def health(self) -> dict:
        p99 = percentile_99(sorted(self.writer.delays))
        return {
            "connected": self.transport.connected,
            **self.transport.counters.as_dict(),
            "events_committed": self.writer.events,
            "pending": self.writer.pending(),
            "batches": self.writer.batches,
            "p99_commit_delay_seconds": p99,
            "resyncs": self.resyncs,
            "translation_issues": self.recorder.issues,
            "pbx_restarts": self.recorder.pbx_restarts,
        }


async def check(config: Config, db: Database, *, timeout: float = 5.0) -> dict:
    """`aiivr serve --check`: is the database usable and does AMI accept our login?"""
    from aiivr import schema

    result = {"database": "ok", "ami": "ok"}
    try:
        schema.require_current(db)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        result["database"] = str(error)
    ready = asyncio.Event()
    transport = AmiTransport(config.ami.host, config.ami.port, config.ami.username, config.ami.secret,
                             on_event=lambda _m: None, on_connected=ready.set, backoff_max=1.0)
    started = time.monotonic()
    await transport.start()
    try:
        async with asyncio.timeout(timeout):  # not wait_for: on 3.11 it can lose a cancel
            await ready.wait()
        reply = await transport.send({"Action": "Ping"}, timeout=timeout)
        if reply.get("Response") != "Success":
            result["ami"] = f"Ping refused: {reply.get('Message', reply)}"
    except (asyncio.TimeoutError, TransportError) as error:
        result["ami"] = f"no AMI session with {config.ami.host}:{config.ami.port} within {timeout:.0f} s ({error or 'timed out'})"
    finally:
        await transport.stop()
    result["seconds"] = round(time.monotonic() - started, 3)
    return result
