"""What a command Asterisk accepted changes in AIIVR's own records.

Called by serve's executor in the transaction that marks the command done:
- agent_presence: logged in or not, the pause AIIVR holds (re-applied after an Asterisk
  restart), and the after-call work clock;
- calls.wrapup_seconds when after-call work ends (wrap-up counts toward AHT);
- the spied call's timeline: who monitored it, in which mode, until when;
- an outbound call AIIVR placed: its agent and, for a callback, the call it answers.
Status history is not written here: the recorder writes it from Asterisk's events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from aiivr import changes
from aiivr.events import AFTER_CALL_WORK_REASON
from aiivr.models.calls import Call, CallEvent
from aiivr.models.outbox import AgentPresence, OutboxCommand
from aiivr.outbox import outcome_of, payload_of


def presence(session: Session, user_id: int, *, now: dt.datetime) -> AgentPresence:
    row = session.get(AgentPresence, user_id)
    if row is None:
        row = AgentPresence(user_id=user_id, updated_at=now)
        session.add(row)
    return row


def apply_done(session: Session, command: OutboxCommand, *, now: dt.datetime) -> None:
    p = payload_of(command)
    action = command.action
    if action.startswith("agent.") and action != "agent.move":
        _agent(session, command, p, now)
    elif action in ("monitor.listen", "monitor.whisper", "monitor.barge"):
        outcome = outcome_of(command)
        _timeline(session, command, p["call_id"], "monitor", now, interface=p["agent_interface"],
                  user_id=p["supervisor_user_id"],
                  detail={"mode": p["mode"], "by": command.actor, "agent": p["agent"],
                          "spyer_channel": outcome.get("channel", ""), "command": command.id})
    elif action == "monitor.stop" and p.get("call_id"):
        _timeline(session, command, p["call_id"], "monitor_stop", now, interface=p.get("agent_interface"),
                  user_id=p.get("supervisor_user_id"),
                  detail={"by": command.actor, "agent": p.get("agent"), "spyer_channel": p["hangup"],
                          "command": command.id})


def _agent(session: Session, command: OutboxCommand, p: dict[str, Any], now: dt.datetime) -> None:
    row = presence(session, p["user_id"], now=now)
    action = command.action
    if action == "agent.login":
        row.logged_in = True
        if not p.get("reapply"):  # a login starts unpaused; a re-apply keeps the pause it re-applies next
            _end_pause(session, row, now)
    elif action == "agent.logout":
        _end_pause(session, row, now)
        row.logged_in = False
    elif action == "agent.pause":
        reason = p["reason"]
        since = dt.datetime.fromisoformat(p["since"]) if p.get("since") else now
        call_id = p.get("call_id") if reason == AFTER_CALL_WORK_REASON else None
        if row.pause_reason != reason or call_id not in (None, row.acw_call_id):
            _end_pause(session, row, now)  # a new pause (or another call's wrap-up) starts
            row.paused_at = since
        row.pause_reason = reason
        if call_id is not None:
            row.acw_call_id = call_id
    elif action in ("agent.unpause", "agent.ready"):
        _end_pause(session, row, now)
    row.updated_at, row.updated_by = now, command.actor
    session.add(row)
    changes.bump(session, "agents")


def _end_pause(session: Session, row: AgentPresence, now: dt.datetime) -> None:
    """Close the pause AIIVR holds; after-call work gives its call its wrap-up time."""
    if row.pause_reason == AFTER_CALL_WORK_REASON and row.acw_call_id is not None and row.paused_at is not None:
        seconds = max(0.0, round((now - row.paused_at).total_seconds(), 3))
        # Only this column: the recorder may still hold the call's other columns.
        session.execute(sa.update(Call).where(Call.id == row.acw_call_id).values(wrapup_seconds=seconds))
        changes.bump(session, "calls")
    row.pause_reason, row.paused_at, row.acw_call_id = None, None, None


def _timeline(session: Session, command: OutboxCommand, call_id: int, kind: str, now: dt.datetime, *,
              interface: str | None, user_id: int | None, detail: dict[str, Any]) -> None:
    key = hashlib.sha1(f"outbox|{command.id}|{kind}".encode()).hexdigest()
    if session.exec(select(CallEvent.id).where(CallEvent.dedupe_key == key)).first() is not None:
        return
    session.add(CallEvent(call_id=call_id, at=now, kind=kind, interface=interface, user_id=user_id,
                          detail=json.dumps(detail, sort_keys=True, default=str), dedupe_key=key))
    changes.bump(session, "calls")


def link_placed_call(session: Session, command: OutboxCommand, *, now: dt.datetime) -> bool:
    """Name the agent of an outbound call AIIVR placed and link a callback to the call it
    answers. False while the recorder has not written the call yet (try again)."""
    p, outcome = payload_of(command), outcome_of(command)
    linkedid = outcome.get("uniqueid")  # the answered phone's channel starts the call: its Linkedid
    if not linkedid:
        return True  # nothing to link
    call = session.exec(select(Call).where(Call.linkedid == linkedid)).first()
    if call is None:
        return False
    values: dict[str, Any] = {"agent_user_id": p["user_id"], "agent_interface": p.get("interface"),
                              "agent_name": p["agent_name"]}
    if p.get("linked_call_id"):
        values["linked_call_id"] = p["linked_call_id"]
    session.execute(sa.update(Call).where(Call.id == call.id).values(**values))
    if p.get("linked_call_id"):
        _timeline(session, command, p["linked_call_id"], "callback", now, interface=p.get("interface"),
                  user_id=p["user_id"], detail={"call": call.id, "by": command.actor, "number": p["number"]})
    changes.bump(session, "calls")
    return True
