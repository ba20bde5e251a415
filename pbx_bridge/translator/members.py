"""Queue members (state events and the QueueStatus list) and the queue lists (QueueStatus and
QueueSummary replies)."""

from __future__ import annotations

from aiivr.events import (
    DomainEvent,
    MemberPaused,
    MemberSnapshot,
    QueueEntrySnapshot,
    QueueParamsSnapshot,
    QueueSummarySnapshot,
    SnapshotCompleted,
)
from pbx_bridge.ami_fields import caller_text, decimal, device_state, epoch, flag, ident, integer, text
from pbx_bridge.translator.common import Events, Handler, Message, dropped


# --------------------------------------------------------------------------------------------
# Queue lists (QueueStatus / QueueSummary replies). They carry no Timestamp or SystemName.


def _on_QueueEntry(m: Message, ts: float, system: str) -> Events:
    get = m.get
    queue, uniqueid = ident(get("Queue")), ident(get("Uniqueid"))
    if not queue or not uniqueid:
        return dropped(m, ts, system, "no usable Queue or Uniqueid", uniqueid)
    return (
        QueueEntrySnapshot(
            ts=ts,
            system=system,
            queue=queue,
            uniqueid=uniqueid,
            channel=text(get("Channel")),
            caller_num=caller_text(get("CallerIDNum")),
            caller_name=caller_text(get("CallerIDName")),
            position=integer(get("Position")),
            wait_seconds=integer(get("Wait")),
            action_id=text(get("ActionID")),
        ),
    )


def _on_QueueParams(m: Message, ts: float, system: str) -> Events:
    get = m.get
    queue = ident(get("Queue"))
    if not queue:
        return dropped(m, ts, system, "no usable Queue")
    return (
        QueueParamsSnapshot(
            ts=ts,
            system=system,
            queue=queue,
            strategy=text(get("Strategy")),
            max_callers=integer(get("Max")),
            calls=integer(get("Calls")),
            hold_seconds=integer(get("Holdtime")),
            talk_seconds=integer(get("TalkTime")),
            completed=integer(get("Completed")),
            abandoned=integer(get("Abandoned")),
            service_level_seconds=integer(get("ServiceLevel")),
            service_level_perf=decimal(get("ServicelevelPerf")),
            weight=integer(get("Weight")),
            action_id=text(get("ActionID")),
        ),
    )


def _on_QueueSummary(m: Message, ts: float, system: str) -> Events:
    get = m.get
    queue = ident(get("Queue"))
    if not queue:
        return dropped(m, ts, system, "no usable Queue")
    return (
        QueueSummarySnapshot(
            ts=ts,
            system=system,
            queue=queue,
            logged_in=integer(get("LoggedIn")),
            available=integer(get("Available")),
            callers=integer(get("Callers")),
            hold_seconds=integer(get("HoldTime")),
            talk_seconds=integer(get("TalkTime")),
            longest_hold_seconds=integer(get("LongestHoldTime")),
            action_id=text(get("ActionID")),
        ),
    )


def _list_completed(list_name: str) -> Handler:
    def _on_list_complete(m: Message, ts: float, system: str) -> Events:
        return (
            SnapshotCompleted(
                ts=ts,
                system=system,
                list_name=list_name,
                action_id=text(m.get("ActionID")),
                item_count=integer(m.get("ListItems")),
            ),
        )

    return _on_list_complete


# --------------------------------------------------------------------------------------------
# Queue members. The state events say MemberName/Interface, the QueueStatus list says
# Name/Location; both become the one MemberState shape.


def _member_fields(m: Message, interface_key: str, name_key: str) -> dict[str, object] | None:
    get = m.get
    queue, interface = ident(get("Queue")), ident(get(interface_key))
    if not queue or not interface:
        return None
    return {
        "queue": queue,
        "interface": interface,
        "member_name": text(get(name_key)),
        "state_interface": text(get("StateInterface")),
        "membership": text(get("Membership")),
        "penalty": integer(get("Penalty")),
        "calls_taken": integer(get("CallsTaken")),
        "last_call": epoch(get("LastCall")),
        "last_pause": epoch(get("LastPause")),
        "login_time": epoch(get("LoginTime")),
        "in_call": flag(get("InCall")),
        "device_state": device_state(get("Status")),
        "paused": flag(get("Paused")),
        "paused_reason": text(get("PausedReason")),
        "wrapup_seconds": integer(get("Wrapuptime")),
    }


def _member_handler(event_type: type[DomainEvent]) -> Handler:
    def _on_member_event(m: Message, ts: float, system: str) -> Events:
        fields = _member_fields(m, "Interface", "MemberName")
        if fields is None:
            return dropped(m, ts, system, "no usable Queue or Interface")
        return (event_type(ts=ts, system=system, **fields),)

    return _on_member_event


def _on_QueueMemberPause(m: Message, ts: float, system: str) -> Events:
    fields = _member_fields(m, "Interface", "MemberName")
    if fields is None:
        return dropped(m, ts, system, "no usable Queue or Interface")
    if fields["paused"] is None:
        return dropped(m, ts, system, "Paused is neither 1 nor 0")
    return (MemberPaused(ts=ts, system=system, **fields),)  # type: ignore[arg-type]


def _on_QueueMember(m: Message, ts: float, system: str) -> Events:
    fields = _member_fields(m, "Location", "Name")
    if fields is None:
        return dropped(m, ts, system, "no usable Queue or Location")
    return (MemberSnapshot(ts=ts, system=system, action_id=text(m.get("ActionID")), **fields),)  # type: ignore[arg-type]
