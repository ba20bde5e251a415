"""Asterisk queue_log in and out: `import queue-log FILE` (admin), `export queue-log` (supervisor).

Import reads the file once (a malformed line is reported with its number and skipped),
folds the queue entries with aiivr.queue_log.summarise and applies them through the
recorder as Backfill requests: the code path `serve` uses to fill a data gap, so an
import and a backfill can never disagree. Entries already recorded are left as they are;
importing the same file twice changes nothing. Member lines (ADDMEMBER, REMOVEMEMBER,
PAUSE, UNPAUSE, PAUSEALL, UNPAUSEALL, AGENTLOGIN, AGENTLOGOFF) and the answered entries'
CONNECT..COMPLETE spans are replayed through the recorder's own status rules
(aiivr.recorder.agent_state) into status history, for agents and times the database has
no status history for yet (docs/kpis.md). Members map to users by member name or
interface; unknown ones are kept under the name queue_log gives them.

Export writes the calls and status history of a range back in the same format.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

import sqlalchemy as sa
from sqlmodel import select

from aiivr import audit, changes
from aiivr.db import upsert_insert
from aiivr.events import AFTER_CALL_WORK_REASON
from aiivr.models.agents import AgentStatus
from aiivr.models.calls import CallEvent, QueueEntry
from aiivr.models.queues import Queue
from aiivr.models.users import User, UserQueue
from aiivr.principal import Ctx
from aiivr.queue_log import ENTRY_EVENTS, MEMBER_EVENTS, EntrySummary, QueueLogLine, read_lines, summarise
from aiivr.recorder import Recorder
from aiivr.recorder.agent_state import InterfaceState
from aiivr.recorder.backfill import Backfill, finished
from aiivr.timerange import local_stamp

S = AgentStatus.__table__
ENTRIES_PER_BATCH = 2000
UNIQUEID = re.compile(r"^(?P<system>.+)-\d+\.\d+$")  # SystemName-epoch.seq when SystemName is set
Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class ImportResult:
    system: str
    lines: int = 0
    entries: int = 0       # queue entries in the file
    imported: int = 0      # created or completed from the file
    unfinished: int = 0    # still waiting or talking when the file ends: left for later
    status_rows: int = 0
    ignored: int = 0       # well-formed lines of events AIIVR does not use
    skipped: list[str] = field(default_factory=list)  # "line N: why"
    unmapped: list[str] = field(default_factory=list)  # members that match no user


# ------------------------------------------------------------------------------ import

def import_queue_log(ctx: Ctx, lines: Iterable[str], *, system: str | None = None, size: int = 0,
                     progress: Progress | None = None) -> ImportResult:
    """lines: the file's lines; size: its length in characters, for progress (0: unknown)."""
    audit.authorize(ctx, "queue_log.import")
    progress = progress or (lambda phase, done, total: None)
    reader = _Reader(lines, size, progress)
    summaries = list(summarise(reader.entry_lines()).values())
    result = ImportResult(system=system if system is not None else _system_of(summaries), lines=reader.count,
                          entries=len(summaries), ignored=reader.ignored, skipped=reader.skipped)
    done = [s for s in summaries if finished(s)]
    result.unfinished = len(summaries) - len(done)
    recorder = Recorder(ctx.db, ctx.config)
    try:
        for i in range(0, len(done), ENTRIES_PER_BATCH):
            chunk = tuple(done[i:i + ENTRIES_PER_BATCH])
            before = recorder.backfilled
            # ts=0: an import is not news from the PBX, so serve's idea of when it last
            # heard from Asterisk (its data-gap detection) stays as it was.
            recorder.apply([Backfill(ts=0.0, system=result.system, summaries=chunk, since=0.0)])
            result.imported += recorder.backfilled - before
            progress("entries", min(i + ENTRIES_PER_BATCH, len(done)), len(done))
    finally:
        recorder.close()
    users = _user_map(ctx)
    names = {s.agent for s in done if s.agent} | {ring.agent for s in done for ring in s.ring_no_answer}
    names |= {line.agent for line in reader.member_lines}
    result.unmapped = sorted(n for n in names if n and n != "NONE" and n.lower() not in users)
    result.status_rows = _StatusReplay(ctx, result.system, users).run(reader.member_lines, done)
    with ctx.db.write() as session:
        audit.append(session, ctx.actor, "queue_log.import", detail={
            "system": result.system, "lines": result.lines, "entries": result.entries, "imported": result.imported,
            "status_rows": result.status_rows, "skipped": len(result.skipped)})
    return result


class _Reader:
    """One pass over the file: entry lines to summarise, member lines kept, bad lines noted."""

    def __init__(self, lines: Iterable[str], size: int, progress: Progress) -> None:
        self.lines, self.size, self.progress = lines, size, progress
        self.count = self.ignored = 0
        self.skipped: list[str] = []
        self.member_lines: list[QueueLogLine] = []

    def _counted(self) -> Iterator[str]:
        read = 0
        for text in self.lines:
            read += len(text)
            self.count += 1
            if self.count % 5000 == 0:
                self.progress("lines", read, self.size)
            yield text
        self.progress("lines", self.size or read, self.size or read)

    def entry_lines(self) -> Iterator[QueueLogLine]:
        for line in read_lines(self._counted()):
            if isinstance(line, Exception):
                self.skipped.append(str(line))
            elif line.event in ENTRY_EVENTS:
                yield line
            elif line.event in MEMBER_EVENTS:
                self.member_lines.append(line)
            else:  # QUEUESTART, CONFIGRELOAD, INFO, DID ... and events we do not know
                self.ignored += 1


def _system_of(summaries: list[EntrySummary]) -> str:
    """The PBX's SystemName, as it prefixes the callids (Uniqueids); "" when it sets none."""
    match = UNIQUEID.match(summaries[0].callid) if summaries else None
    return match.group("system") if match else ""


def _user_map(ctx: Ctx) -> dict[str, tuple[int, str | None]]:
    """member name or interface (lower case) -> (user id, interface), as Backfill maps them."""
    out: dict[str, tuple[int, str | None]] = {}
    with ctx.db.read() as session:
        for user in session.exec(select(User)):
            out[user.name.lower()] = (user.id, user.interface)
            if user.interface:
                out[user.interface.lower()] = (user.id, user.interface)
    return out


class _StatusReplay:
    """Status history from member lines and answered entries, by the recorder's rules."""

    def __init__(self, ctx: Ctx, system: str, users: dict) -> None:
        self.ctx, self.system, self.users = ctx, system, users

    def run(self, member_lines: list[QueueLogLine], entries: list[EntrySummary]) -> int:
        # Per interface, as a member name and an interface of one user are one agent:
        # (time, order, what, queue, detail); member lines before calls at one time.
        per_agent: dict[str, tuple[str, list[tuple]]] = {}

        def note(agent: str, *event) -> None:
            _, interface = self.users.get(agent.lower(), (None, None))
            per_agent.setdefault(interface or agent, (agent, []))[1].append(event)

        for line in member_lines:
            if line.agent and line.agent != "NONE":
                note(line.agent, line.epoch, 0, line.event, line.queue, line.datum(0))
        for s in entries:
            if s.outcome == "answered" and s.agent and s.ended is not None:
                note(s.agent, s.entered + (s.wait_seconds or 0), 1, "CONNECT", s.queue, s.callid)
                note(s.agent, s.ended, 1, "COMPLETE", s.queue, s.callid)
        calls = self._call_ids([s.callid for s in entries if s.outcome == "answered"])
        histories = [self._replay(interface, agent, sorted(events, key=lambda e: (e[0], e[1])), calls)
                     for interface, (agent, events) in per_agent.items()]
        # The file says nothing of what came after it: a status still going at its end is
        # closed at the last thing it recorded (an export of these rows ends there too).
        moments = [_time(t) for s in entries for t in _entry_times(s)] + [r["started_at"] for h in histories for r in h]
        end = max(moments, default=None)
        for history in histories:
            if history and history[-1]["status"] != "offline" and end > history[-1]["started_at"]:
                history[-1]["ended_at"] = end
        return self._write([row for history in histories for row in history])

    def _call_ids(self, callids: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        with self.ctx.db.read() as session:
            for i in range(0, len(callids), 500):
                query = sa.select(QueueEntry.uniqueid, QueueEntry.call_id).where(
                    QueueEntry.system == self.system, QueueEntry.uniqueid.in_(callids[i:i + 500]))
                out.update({uid: cid for uid, cid in session.execute(query) if cid is not None})
        return out

    def _replay(self, interface: str, agent: str, events: list[tuple], calls: dict[str, int]) -> list[dict]:
        user_id, _ = self.users.get(agent.lower(), (None, None))
        with self.ctx.db.read() as session:
            latest = session.execute(sa.select(sa.func.max(S.c.started_at)).where(S.c.interface == interface)).scalar()
        state = InterfaceState(interface=interface, member_name=agent)
        rows: list[dict] = []
        for epoch, _, what, queue, detail in events:
            _apply(state, what, queue, detail)
            status, reason = state.status()
            at = _time(epoch)
            if latest is not None and at <= latest:
                continue  # the database already knows this stretch: never rewrite history
            current = rows[-1] if rows else None
            if current is not None and (current["status"], current["reason"]) == (status, reason):
                continue
            if current is None and status == "offline":
                continue
            call_id = calls.get(state.call_uniqueid) if status == "on_call" else None
            if current is not None and current["started_at"] == at:
                current.update(status=status, reason=reason, call_id=call_id)  # two changes at one instant
                continue
            if current is not None:
                current["ended_at"] = at
            local_date, local_hour = local_stamp(at, self.ctx.config.tz)
            rows.append({"interface": interface, "member_name": agent, "user_id": user_id, "status": status,
                         "reason": reason, "started_at": at, "ended_at": None, "local_date": local_date,
                         "local_hour": local_hour, "set_by": "queue_log", "call_id": call_id})
        return rows

    def _write(self, rows: list[dict]) -> int:
        if not rows:
            return 0
        with self.ctx.db.write() as session:
            for interface, first in _firsts(rows).items():
                # History continues after the database's last status: close it where ours begins.
                session.execute(S.update().where(S.c.interface == interface, S.c.ended_at.is_(None),
                                                 S.c.started_at < first).values(ended_at=first))
            for i in range(0, len(rows), 1000):
                statement = upsert_insert(session, S).on_conflict_do_nothing(index_elements=["interface", "started_at"])
                session.execute(statement, rows[i:i + 1000])
            changes.bump(session, "agents")
        return len(rows)


def _time(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def _entry_times(s: EntrySummary) -> list[float]:
    times = [s.entered] + [ring.at for ring in s.ring_no_answer]
    if s.outcome == "answered":
        times.append(s.entered + (s.wait_seconds or 0))
    return times + ([s.ended] if s.ended is not None else [])


def _firsts(rows: list[dict]) -> dict[str, dt.datetime]:
    out: dict[str, dt.datetime] = {}
    for row in rows:
        out[row["interface"]] = min(out.get(row["interface"], row["started_at"]), row["started_at"])
    return out


def _apply(state: InterfaceState, what: str, queue: str, detail: str) -> None:
    if what in ("ADDMEMBER", "AGENTLOGIN", "AGENTCALLBACKLOGIN"):
        state.set_member(queue if what == "ADDMEMBER" else "*agent*", True)
    elif what in ("REMOVEMEMBER", "AGENTLOGOFF", "AGENTCALLBACKLOGOFF"):
        state.set_member(queue if what == "REMOVEMEMBER" else "*agent*", False)
    elif what in ("PAUSE", "UNPAUSE"):
        if queue in state.queues:
            state.set_paused(queue, what == "PAUSE", detail)
    elif what in ("PAUSEALL", "UNPAUSEALL"):
        for q in list(state.queues):
            state.set_paused(q, what == "PAUSEALL", detail)
    elif what == "CONNECT":
        state.call_uniqueid = detail
    elif what == "COMPLETE" and state.call_uniqueid == detail:
        state.call_uniqueid = None


# ------------------------------------------------------------------------------ export

@dataclass
class ExportResult:
    lines: int = 0
    entries: int = 0
    status_changes: int = 0


# Entry outcome -> the queue_log event that ends it (and whether its data starts with a key).
END_EVENTS = {"abandoned": "ABANDON", "timed_out": "EXITWITHTIMEOUT", "exit_key": "EXITWITHKEY"}


def export_queue_log(ctx: Ctx, out: TextIO, *, start: dt.datetime | None = None,
                     end: dt.datetime | None = None) -> ExportResult:
    """Queue entries that began in [start, end) and the status changes in it, time-ordered,
    as Asterisk writes them (times in whole seconds)."""
    audit.authorize(ctx, "queue_log.export")
    result = ExportResult()
    with ctx.db.read() as session:
        names = dict(session.execute(sa.select(User.id, User.name)).all())
        writer = _Lines(out)
        entries = _EntryLines(session, names, start, end)
        status = _StatusLines(session, names, start, end)
        for line in heapq.merge(entries.lines(), status.lines()):
            writer.write(line[-1])
        result.lines, result.entries, result.status_changes = writer.count, entries.count, status.count
    with ctx.db.write() as session:
        audit.append(session, ctx.actor, "queue_log.export", detail={
            "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
            "lines": result.lines})
    return result


class _Lines:
    def __init__(self, out: TextIO) -> None:
        self.out, self.count = out, 0

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.count += 1


def _between(column, start, end) -> list:
    return ([column >= start] if start else []) + ([column < end] if end else [])


def _agent_name(names: dict, user_id: int | None, member: str | None, interface: str | None = None) -> str:
    return names.get(user_id) or member or interface or "NONE"


class _EntryLines:
    """One entry's lines: ENTERQUEUE, its RINGNOANSWERs, CONNECT and how it ended."""

    def __init__(self, session, names: dict, start, end) -> None:
        self.session, self.names, self.start, self.end, self.count = session, names, start, end, 0
        rings = sa.select(CallEvent.call_id, CallEvent.queue, CallEvent.at, CallEvent.user_id, CallEvent.interface,
                          CallEvent.detail).where(CallEvent.kind == "ring_no_answer",
                                                  *_between(CallEvent.at, start, end + dt.timedelta(days=1) if end else None))
        self.rings: dict[tuple, list] = {}
        for call_id, queue, at, user_id, interface, detail in session.execute(rings):
            self.rings.setdefault((call_id, queue), []).append((at, user_id, interface, detail))

    def lines(self) -> Iterator[tuple]:
        """Time-ordered: a line waits in a heap until no later entry can come before it."""
        pending: list[tuple] = []
        seq = 0
        query = (sa.select(QueueEntry).where(*_between(QueueEntry.entered_at, self.start, self.end))
                 .order_by(QueueEntry.entered_at, QueueEntry.id).execution_options(yield_per=2000))
        for (entry,) in self.session.execute(query):
            self.count += 1
            entered = int(entry.entered_at.timestamp())
            while pending and pending[0][0] < entered:
                yield heapq.heappop(pending)
            for epoch, text in self._of(entry):
                seq += 1
                heapq.heappush(pending, (epoch, 1, seq, text))
        while pending:
            yield heapq.heappop(pending)

    def _of(self, e: QueueEntry) -> Iterator[tuple[int, str]]:
        head = f"{e.uniqueid}|{e.queue}"
        position = e.position or 1
        wait = round(e.wait_seconds or 0)
        yield int(e.entered_at.timestamp()), f"{int(e.entered_at.timestamp())}|{head}|NONE|ENTERQUEUE||{e.caller_num}|{position}"
        for at, user_id, interface, detail in sorted(self.rings.get((e.call_id, e.queue), []), key=lambda r: r[0]):
            member = json.loads(detail or "{}").get("member")
            ring_ms = round((json.loads(detail or "{}").get("ring_seconds") or 0) * 1000)
            yield int(at.timestamp()), (f"{int(at.timestamp())}|{head}|{_agent_name(self.names, user_id, member, interface)}"
                                        f"|RINGNOANSWER|{ring_ms}")
        if e.ended_at is None:
            return
        ended = int(e.ended_at.timestamp())
        if e.outcome == "answered" and e.connected_at is not None:
            agent = _agent_name(self.names, e.agent_user_id, e.member_name, e.agent_interface)
            connected = int(e.connected_at.timestamp())
            yield connected, f"{connected}|{head}|{agent}|CONNECT|{wait}||0"
            if e.talk_seconds is None:
                return
            talk = round(e.talk_seconds)
            if e.completed_by == "transfer":
                yield ended, f"{ended}|{head}|{agent}|BLINDTRANSFER|||{wait}|{talk}|{position}"
            else:
                event = "COMPLETECALLER" if e.completed_by == "caller" else "COMPLETEAGENT"
                yield ended, f"{ended}|{head}|{agent}|{event}|{wait}|{talk}|{position}"
        elif e.outcome == "exit_key":
            yield ended, f"{ended}|{head}|NONE|EXITWITHKEY||{position}|{position}|{wait}"
        elif e.outcome in END_EVENTS:
            yield ended, f"{ended}|{head}|NONE|{END_EVENTS[e.outcome]}|{position}|{position}|{wait}"
        elif e.outcome.startswith("exit_"):
            yield ended, f"{ended}|{head}|NONE|EXITEMPTY|{position}|{position}|{wait}"
        # "left", "pbx_restart": how it ended is unknown, and queue_log has no word for that


class _StatusLines:
    """Status history as member lines: joining and leaving, pausing and resuming.
    Being on a call comes from the entries' CONNECT lines; ringing has no line."""

    def __init__(self, session, names: dict, start, end) -> None:
        self.session, self.names, self.start, self.end, self.count = session, names, start, end, 0
        wanted = sa.select(UserQueue.user_id, Queue.name).join(Queue, Queue.id == UserQueue.queue_id)
        self.queues: dict[int, list[str]] = {}
        for user_id, queue in session.execute(wanted):
            self.queues.setdefault(user_id, []).append(queue)

    def lines(self) -> Iterator[tuple]:
        base: dict[str, tuple] = {}  # interface -> ("offline"|"online"|"paused", reason)
        seq = 0
        query = (sa.select(AgentStatus).where(*_between(AgentStatus.started_at, self.start, self.end))
                 .order_by(AgentStatus.started_at, AgentStatus.id).execution_options(yield_per=2000))
        for (row,) in self.session.execute(query):
            if row.status in ("on_call", "ringing"):
                continue
            new = ("paused", row.reason or (AFTER_CALL_WORK_REASON if row.status == "wrap_up" else "")) if row.status in (
                "paused", "wrap_up") else (row.status, "")
            old = base.get(row.interface, ("offline", ""))
            if new == old:
                continue
            base[row.interface] = new
            epoch = int(row.started_at.timestamp())
            agent = _agent_name(self.names, row.user_id, row.member_name, row.interface)
            queues = sorted(self.queues.get(row.user_id, [])) or ["NONE"]
            texts = []
            if old[0] == "offline":
                texts += [f"{epoch}|MANAGER|{q}|{agent}|ADDMEMBER|" for q in queues]
            if new[0] == "offline":
                texts += [f"{epoch}|MANAGER|{q}|{agent}|REMOVEMEMBER|" for q in queues]
            elif new[0] == "paused":
                texts.append(f"{epoch}|NONE|NONE|{agent}|PAUSEALL|{new[1]}")
            elif old[0] == "paused":
                texts.append(f"{epoch}|NONE|NONE|{agent}|UNPAUSEALL|")
            self.count += 1
            for text in texts:
                seq += 1
                yield epoch, 0, seq, text
