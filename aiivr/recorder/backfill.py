"""Filling what `serve` did not see from Asterisk's queue_log.

When serve was away (AMI unreachable, serve stopped), queue_log still has every
queue entry. A Backfill request goes through the recorder like any event, after the
resync lists, so it runs in the recorder's own transaction and sees its state:
- an entry we never saw is created from queue_log (source "queue_log"), with a call;
- an entry we saw only in part (still open, "left", or answered with no end) is
  completed from queue_log's account;
- an entry that queue_log shows still in progress is left to the live events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import select

from aiivr.models.calls import ANSWERED, OPEN
from aiivr.numbers import normalise_number
from aiivr.models.users import User
from aiivr.queue_log import EntrySummary
from aiivr.recorder.store import Store, to_dt

LEFT = "left"


@dataclass(frozen=True)
class Backfill:
    """Apply these queue_log summaries for entries that began at or after `since`."""

    ts: float
    system: str
    summaries: tuple[EntrySummary, ...]
    since: float


def finished(summary: EntrySummary) -> bool:
    return summary.outcome != OPEN and (summary.outcome != ANSWERED or summary.ended is not None)


def member_user_ids(store: Store) -> dict[str, int]:
    """queue_log names agents by member name (or interface): map both to users."""
    out: dict[str, int] = {}
    for user in store.session.exec(select(User)):
        out[user.name.lower()] = user.id
        if user.interface:
            out[user.interface.lower()] = user.id
    return out


def apply_backfill(store: Store, request: Backfill) -> tuple[int, int]:
    """Returns (entries created, entries completed)."""
    created = completed = 0
    users, interfaces = member_user_ids(store), member_interfaces(store)
    for summary in request.summaries:
        if summary.entered < request.since or not finished(summary):
            continue
        entry = store.entry(request.system, summary.callid, summary.queue)
        if entry is None:
            _create(store, request.system, summary, users, interfaces)
            created += 1
        elif entry.ended_at is None or entry.outcome in (OPEN, LEFT) or (entry.outcome == ANSWERED and entry.talk_seconds is None):
            _complete(entry, summary, users)
            completed += 1
    if created or completed:
        store.topics.update({"queues", "calls"})
    return created, completed


def _ended(summary: EntrySummary) -> float:
    if summary.ended is not None:
        return summary.ended
    return summary.entered + (summary.wait_seconds or 0) + (summary.talk_seconds or 0)


def _complete(entry, summary: EntrySummary, users: dict[str, int]) -> None:
    entry.outcome = summary.outcome
    entry.wait_seconds = float(summary.wait_seconds) if summary.wait_seconds is not None else entry.wait_seconds
    if summary.talk_seconds is not None:
        entry.talk_seconds = float(summary.talk_seconds)
    if summary.agent:
        entry.member_name = summary.agent
        entry.agent_user_id = users.get(summary.agent.lower(), entry.agent_user_id)
    entry.completed_by = summary.completed_by or entry.completed_by
    if summary.outcome == ANSWERED and entry.connected_at is None:
        entry.connected_at = to_dt(summary.entered + (summary.wait_seconds or 0))
    entry.ended_at = to_dt(_ended(summary))


def _create(store: Store, system: str, summary: EntrySummary, users: dict[str, int],
            interfaces: dict[int, str]) -> None:
    # queue_log knows the caller's Uniqueid, not the Linkedid: the call is keyed by it.
    call = store.call(system, summary.callid, summary.entered)
    if call.id is None and call.origin is None:
        call.direction, call.queue, call.origin = "inbound", summary.queue, "queue_log"
        call.caller_num = summary.caller_num[:64]
        call.caller_num_norm = normalise_number(summary.caller_num)[:64]
        call.disposition = summary.outcome if summary.outcome in ("answered", "abandoned", "timed_out") else "unanswered"
        call.wait_seconds = float(summary.wait_seconds or 0)
        call.talk_seconds = float(summary.talk_seconds or 0)
        call.ended_at = to_dt(_ended(summary))
        call.end_cause = "backfilled from queue_log"
        if summary.outcome == ANSWERED:
            call.answered_at = to_dt(summary.entered + (summary.wait_seconds or 0))
            call.agent_name = summary.agent
            call.agent_user_id = users.get((summary.agent or "").lower())
        store.finish_call((system, summary.callid))
    elif call.origin == "queue_log":
        _add_to_call(call, summary, users)
        store.finish_call((system, summary.callid))
    entry = store.new_entry(system=system, uniqueid=summary.callid, queue=summary.queue, call=call, call_id=call.id,
                            linkedid=call.linkedid, caller_num=summary.caller_num[:64],
                            entered_at=to_dt(summary.entered), source="queue_log")
    _complete(entry, summary, users)
    _timeline(store, call, summary, users, interfaces)


def _add_to_call(call, summary: EntrySummary, users: dict[str, int]) -> None:
    """The caller's next queue in the same call (a transfer): its talk adds up, the agent
    who answered last is the call's, the first queue stays the call's queue."""
    call.talk_seconds = float((call.talk_seconds or 0) + (summary.talk_seconds or 0))
    call.wait_seconds = max(call.wait_seconds or 0, float(summary.wait_seconds or 0))
    call.ended_at = max(call.ended_at, to_dt(_ended(summary))) if call.ended_at else to_dt(_ended(summary))
    if summary.outcome == ANSWERED:
        call.disposition = ANSWERED
        call.answered_at = call.answered_at or to_dt(summary.entered + (summary.wait_seconds or 0))
        call.agent_name = summary.agent
        call.agent_user_id = users.get((summary.agent or "").lower())


def _timeline(store: Store, call, summary: EntrySummary, users: dict[str, int], interfaces: dict[int, str]) -> None:
    """What queue_log says happened, on the call's timeline (missed rings count per agent)."""

    def agent(member: str | None) -> dict:
        user_id = users.get((member or "").lower())
        return {"interface": interfaces.get(user_id, member), "user_id": user_id}

    store.timeline(call, summary.entered, "queued", uniqueid=summary.callid, queue=summary.queue)
    for ring in summary.ring_no_answer:
        store.timeline(call, ring.at, "ring_no_answer", uniqueid=summary.callid, queue=summary.queue,
                       **agent(ring.agent), detail={"member": ring.agent, "ring_seconds": (
                           ring.ring_ms / 1000 if ring.ring_ms is not None else None)})
    if summary.outcome == ANSWERED:
        store.timeline(call, summary.entered + (summary.wait_seconds or 0), "connected", uniqueid=summary.callid,
                       queue=summary.queue, **agent(summary.agent),
                       detail={"member": summary.agent, "wait_seconds": summary.wait_seconds})
        if summary.ended is not None:
            kind = "transferred" if summary.completed_by == "transfer" else "completed"
            store.timeline(call, summary.ended, kind, uniqueid=summary.callid, queue=summary.queue,
                           **agent(summary.agent), detail={"talk_seconds": summary.talk_seconds,
                                                           "by": summary.completed_by})
    elif summary.ended is not None:
        store.timeline(call, summary.ended, summary.outcome, uniqueid=summary.callid, queue=summary.queue,
                       detail={"wait_seconds": summary.wait_seconds})


def member_interfaces(store: Store) -> dict[int, str]:
    return {uid: iface for uid, iface in store.session.exec(select(User.id, User.interface)) if iface}


def backfill_window(gap_start: dt.datetime) -> float:
    """Entries that began up to an hour before the gap may have ended inside it."""
    return gap_start.timestamp() - 3600
