"""Translator members and queue lists: pauses, wrap-up, dynamic members, member status, queue status lists."""

from __future__ import annotations

from aiivr.events import (
    DeviceState,
    MemberAdded,
    MemberPaused,
    MemberRemoved,
    MemberSnapshot,
    MemberState,
    MemberStatus,
    QueueEntrySnapshot,
    QueueParamsSnapshot,
    SnapshotCompleted,
)
from pbx_bridge.translator import Translator
from tests.unit.translator_helpers import (
    ABANDONED_CALLER,
    ACTION,
    LAB,
    SYSTEM,
    first,
    lab,
    number,
    of_types,
    raw,
    stamp,
    strict,
)
from tests.unit.translator_helpers import messages, scenario  # noqa: F401 - shared fixtures


def member(queue: str, interface: str, name: str, **changes: object) -> dict[str, object]:
    """A lab member's state as the capture shows it at rest; pass what differs."""
    state: dict[str, object] = {
        "queue": queue,
        "interface": interface,
        "member_name": name,
        "state_interface": interface,
        "membership": "static",
        "penalty": 0,
        "calls_taken": 0,
        "last_call": None,
        "last_pause": None,
        "login_time": 1795670142,
        "in_call": False,
        "device_state": DeviceState.NOT_INUSE,
        "paused": False,
        "paused_reason": "",
        "wrapup_seconds": 0,
    }
    state.update(changes)
    return state


# --------------------------------------------------------------------------------------------
# Members and queue lists in the reference capture


def test_pause_with_a_reason_then_unpause(scenario: list) -> None:
    carol = ("support", "Local/1003@agents/n", "Carol")
    assert [e for e in scenario if isinstance(e, MemberPaused)] == [
        MemberPaused(ts=1795670143.009345, system=SYSTEM,
                     **member(*carol, paused=True, paused_reason="Lunch", last_pause=1795670143)),
        MemberPaused(ts=1795670163.152199, system=SYSTEM, **member(*carol, last_pause=1795670143)),
    ]


def test_after_call_work_pause_is_wrap_up() -> None:
    lunch = MemberPaused(ts=0.0, system="", **member("q", "PJSIP/1", "A", paused=True, paused_reason="Lunch"))
    acw = MemberPaused(ts=0.0, system="", **member("q", "PJSIP/1", "A", paused=True, paused_reason="acw"))
    acw_over = MemberPaused(ts=0.0, system="", **member("q", "PJSIP/1", "A", paused=False, paused_reason="acw"))
    assert (lunch.is_after_call_work, acw.is_after_call_work, acw_over.is_after_call_work) == (False, True, False)


def test_dynamic_member_added_and_removed(scenario: list) -> None:
    dave = member("sales", "Local/1004@agents/n", "Dave", membership="dynamic", penalty=1, login_time=1795670143)
    assert [e for e in scenario if isinstance(e, (MemberAdded, MemberRemoved))] == [
        MemberAdded(ts=1795670143.010543, system=SYSTEM, **dave),
        MemberRemoved(ts=1795670163.153629, system=SYSTEM, **dave),
    ]


def test_member_status_follows_the_device(scenario: list) -> None:
    alice_support = [e for e in scenario if isinstance(e, MemberStatus) and e.member_name == "Alice"
                     and e.queue == "support"]
    assert alice_support == [
        MemberStatus(ts=1795670144.036108, system=SYSTEM,
                     **member("support", "Local/1001@agents/n", "Alice", in_call=True, device_state=DeviceState.INUSE)),
        MemberStatus(ts=1795670158.056357, system=SYSTEM,
                     **member("support", "Local/1001@agents/n", "Alice", calls_taken=1, last_call=1795670158)),
    ]


def test_a_penalty_change_is_a_member_status_with_the_new_penalty(messages: list[dict[str, object]]) -> None:
    """QueuePenalty makes Asterisk send QueueMemberPenalty with QueueMemberStatus's headers (no
    capture holds one: this is a captured QueueMemberStatus renamed, with the new penalty)."""
    message = first(messages, "QueueMemberStatus", MemberName="Alice", Queue="support")
    message.update(Event="QueueMemberPenalty", Penalty="2")
    (event,) = strict().translate(message)
    assert type(event) is MemberStatus
    assert event.penalty == 2 and (event.queue, event.interface, event.member_name) == (
        "support", "Local/1001@agents/n", "Alice")
    status = dict(message, Event="QueueMemberStatus")
    assert strict().translate(status) == (event,)


def test_queue_member_list_uses_the_same_shape_as_member_events(scenario: list) -> None:
    """QueueMember says Name/Location; it comes out with member_name/interface like the rest."""
    snapshots = [e for e in scenario if isinstance(e, MemberSnapshot) and e.action_id == ACTION + "16"]
    assert snapshots == [
        MemberSnapshot(ts=1795670153.17194, system="", action_id=ACTION + "16",
                       **member("support", "Local/1001@agents/n", "Alice", in_call=True,
                                device_state=DeviceState.INUSE)),
        MemberSnapshot(ts=1795670153.171957, system="", action_id=ACTION + "16",
                       **member("support", "Local/1002@agents/n", "Bob", calls_taken=1, last_call=1795670153)),
        MemberSnapshot(ts=1795670153.171972, system="", action_id=ACTION + "16",
                       **member("support", "Local/1003@agents/n", "Carol", paused=True, paused_reason="Lunch",
                                last_pause=1795670143)),
    ]
    status_fields = {f for f in MemberStatus.__dataclass_fields__}
    assert {f for f in MemberSnapshot.__dataclass_fields__} == status_fields | {"action_id"}
    assert issubclass(MemberSnapshot, MemberState) and issubclass(MemberStatus, MemberState)


def test_list_replies_take_the_system_name_the_transport_knows(messages: list[dict[str, object]]) -> None:
    message = first(messages, "QueueMember", Name="Carol")
    assert Translator(default_system=SYSTEM, strict=True).translate(message)[0].system == SYSTEM
    paused = first(messages, "QueueMemberPause")
    assert Translator(default_system="other", strict=True).translate(paused)[0].system == SYSTEM


def test_queue_status_lists(scenario: list) -> None:
    assert [e for e in scenario if isinstance(e, (QueueParamsSnapshot, QueueEntrySnapshot, SnapshotCompleted))
            and e.action_id == ACTION + "16"] == [
        QueueParamsSnapshot(ts=1795670153.171918, system="", queue="support", strategy="rrmemory", max_callers=0,
                            calls=1, hold_seconds=1, talk_seconds=0, completed=0, abandoned=0,
                            service_level_seconds=20, service_level_perf=0.0, weight=0, action_id=ACTION + "16"),
        QueueEntrySnapshot(ts=1795670153.171986, system="", queue="support", uniqueid=ABANDONED_CALLER,
                           channel="Local/support@caller-00000007;2", caller_num="5550003", caller_name="Customer 3",
                           position=1, wait_seconds=0, action_id=ACTION + "16"),
        SnapshotCompleted(ts=1795670153.172008, system="", list_name="QueueStatus", action_id=ACTION + "16",
                          item_count=5),
    ]


# --------------------------------------------------------------------------------------------
# The project's own lab (see translator_helpers.lab)


def test_lab_pause_in_every_queue_with_a_reason() -> None:
    messages, events = lab("pause")
    pauses = raw(messages, "QueueMemberPause")
    snapshots = raw(messages, "QueueMember")
    (added,) = raw(messages, "QueueMemberAdded", Queue="support")
    pause_time = number(pauses[0], "LastPause")
    alice = dict(interface="Local/1001@agents/n", member_name="alice", state_interface="Local/1001@agents/n",
                 membership="dynamic", penalty=0, calls_taken=0, last_call=None, last_pause=pause_time,
                 login_time=number(added, "LoginTime"), in_call=False, device_state=DeviceState.NOT_INUSE,
                 wrapup_seconds=0)
    lunch = dict(paused=True, paused_reason="lunch")
    ready = dict(paused=False, paused_reason="")
    assert of_types(events, MemberPaused, MemberSnapshot) == [
        MemberPaused(ts=stamp(pauses[0]), system=LAB, queue="support", **alice, **lunch),
        MemberPaused(ts=stamp(pauses[1]), system=LAB, queue="sales", **alice, **lunch),
        # list replies carry neither Timestamp nor SystemName: receive time, and "" here
        MemberSnapshot(ts=snapshots[0]["_rx"], system="", queue="support", **alice, **lunch,
                       action_id=snapshots[0]["ActionID"]),
        MemberSnapshot(ts=snapshots[1]["_rx"], system="", queue="sales", **alice, **lunch,
                       action_id=snapshots[1]["ActionID"]),
        MemberPaused(ts=stamp(pauses[2]), system=LAB, queue="support", **alice, **ready),
        MemberPaused(ts=stamp(pauses[3]), system=LAB, queue="sales", **alice, **ready),
    ]
    assert [(e.queue, e.strategy) for e in of_types(events, QueueParamsSnapshot)] == [
        ("support", "rrmemory"), ("sales", "ringall")]
