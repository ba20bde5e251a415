"""Shared helpers for recorder tests: replay a capture, dump what was recorded."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from aiivr.models import AgentStatus, Call, CallEvent, QueueEntry, QueueMember
from aiivr.recorder.backfill import Backfill
from aiivr.queue_log import read_lines, summarise
from aiivr.recorder import Recorder
from pbx_bridge.replay import read_capture, replay

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LAB_CAPTURES = ["answered", "abandoned", "timeout", "ringnoanswer", "transfer", "pause", "spy", "outbound",
                "two-queues"]


ALICE_IF = "Local/1001@agents/n"  # the lab captures' agent 1001


def apply_until(db, config, name: str, stop) -> object:
    """Record capture `name` up to (not including) its first event that `stop` accepts, as
    if serve had been stopped there; returns the time of the last event recorded."""
    events = events_of(name)
    cut = next(i for i, e in enumerate(events) if stop(e))
    recorder = Recorder(db, config)
    recorder.apply(events[:cut])
    recorder.close()
    return events[cut - 1].ts


def backfill_lines(db, config, lines: list[str]) -> None:
    """What serve does after a gap: these queue_log lines summarised and recorded as a
    Backfill, stamped with the last line's time."""
    summaries = tuple(summarise(x for x in read_lines(lines) if not isinstance(x, Exception)).values())
    recorder = Recorder(db, config)
    recorder.apply([Backfill(ts=int(lines[-1].split("|", 1)[0]), system="", summaries=summaries, since=0)])
    recorder.close()


def events_of(name: str) -> list:
    return list(replay(read_capture(FIXTURES / f"lab-{name}.jsonl")))


def queue_log_of(name: str):
    with open(FIXTURES / f"lab-{name}.queue_log") as handle:
        return summarise(line for line in read_lines(handle) if not isinstance(line, Exception))


def dump(db) -> dict:
    """Everything the recorder wrote, without row ids, in a stable order."""
    with db.read() as s:
        calls = {c.id: c.linkedid for c in s.exec(select(Call))}
        return {
            "calls": sorted(
                (c.linkedid, c.direction, c.disposition, c.caller_num, c.caller_num_norm, c.queue, c.agent_interface,
                 c.agent_name, c.started_at, c.answered_at, c.ended_at, c.wait_seconds, c.talk_seconds,
                 c.hold_seconds, c.csat_score, c.recording_path, c.end_cause, c.local_date, c.local_hour)
                for c in s.exec(select(Call))),
            "entries": sorted(
                (e.uniqueid, e.queue, e.linkedid, e.outcome, e.entered_at, e.connected_at, e.ended_at,
                 e.wait_seconds, e.talk_seconds, e.member_name, e.agent_interface, e.completed_by)
                for e in s.exec(select(QueueEntry))),
            "status": sorted(
                (a.interface, a.started_at, a.ended_at, a.status, a.reason or "", a.user_id or 0, a.set_by)
                for a in s.exec(select(AgentStatus))),
            "timeline": sorted(
                (calls[t.call_id], t.at, t.kind, t.queue or "", t.interface or "", t.detail)
                for t in s.exec(select(CallEvent))),
            "members": sorted(
                (m.queue, m.interface, m.member_name, m.paused, m.paused_reason, m.user_id or 0)
                for m in s.exec(select(QueueMember))),
        }


def statuses(db, interface: str) -> list[tuple[str, str | None]]:
    with db.read() as s:
        rows = s.exec(select(AgentStatus).where(AgentStatus.interface == interface)
                      .order_by(AgentStatus.started_at, AgentStatus.id)).all()
        return [(r.status, r.reason) for r in rows]
