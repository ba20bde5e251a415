"""The AMI translator against real Asterisk 22 traffic: exact domain events for each scenario.

The capture (tests/fixtures/asterisk22-sample-events.jsonl) is the reference lab's probe run: a
scripted scenario (answered calls, an on-demand recording, listen/whisper/barge, a ring-no-answer
then an abandon, pause with a reason, a dynamic member) followed by two load runs. Events the
capture lacks (hold, transfers, timeout exit, CSAT, origin tag) are built from its real messages
with only the fields that event adds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from aiivr.events import (
    AgentCompleted,
    AgentConnected,
    AgentRingNoAnswer,
    AgentRinging,
    CallerAbandoned,
    CallerIdChanged,
    CallerJoinedQueue,
    CallerLeftQueue,
    CallTransferred,
    ChannelCreated,
    ChannelEvent,
    ChannelHeld,
    ChannelHungUp,
    ChannelOriginTagged,
    ChannelSnapshot,
    ChannelUnheld,
    CompletedBy,
    CsatScored,
    DeviceState,
    Direction,
    MemberAdded,
    MemberPaused,
    MemberRemoved,
    MemberSnapshot,
    MemberState,
    MemberStatus,
    OriginateResult,
    OutboundDialed,
    PbxBooted,
    QueueEntrySnapshot,
    QueueExitStatus,
    QueueParamsSnapshot,
    RecordingFileNamed,
    RecordingStarted,
    RecordingStopped,
    SnapshotCompleted,
    SpyStarted,
    SpyStopped,
    TransferKind,
    TranslationIssue,
)
from pbx_bridge.ami_fields import MAX_TEXT
from pbx_bridge.direction import DirectionRules
from pbx_bridge.replay import read_capture, replay, replay_file
from pbx_bridge.translator import NO_EVENTS, Translator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPTURE = FIXTURES / "asterisk22-sample-events.jsonl"
SYSTEM = "ccops-lab"
ACTION = "action/94774859-d8d9-4867-a640-53b9d0beb3a4/1/"

# The scenario's calls, by Linkedid (the call) and the caller's Uniqueid (its queue entry).
ANSWERED_SUPPORT = "ccops-lab-1795670143.0"  # Alice answers, is spied on, talks 14 s
ANSWERED_SALES = "ccops-lab-1795670150.10"  # Bob answers, talks 2 s
ABANDONED = "ccops-lab-1795670153.14"  # Bob does not answer, Alice rings, the caller hangs up
ABANDONED_CALLER = "ccops-lab-1795670153.15"


@pytest.fixture(scope="module")
def messages() -> list[dict[str, object]]:
    return list(read_capture(CAPTURE))


@pytest.fixture(scope="module")
def scenario() -> list:
    return replay_file(CAPTURE, Translator(strict=True), segment="scenario")


def strict() -> Translator:
    return Translator(strict=True)


def of_call(events: list, linkedid: str, *types: type) -> list:
    return [e for e in events if isinstance(e, ChannelEvent) and e.linkedid == linkedid and isinstance(e, types)]


def first(messages: list[dict[str, object]], event: str, **match: str) -> dict[str, object]:
    """A copy of the first captured message of that Event whose headers match."""
    for message in messages:
        if message.get("Event") == event and all(message.get(k) == v for k, v in match.items()):
            return dict(message)
    raise LookupError(event, match)


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
# Queue calls


def test_abandoned_call_after_a_ring_no_answer(scenario: list) -> None:
    caller = dict(
        system=SYSTEM, uniqueid=ABANDONED_CALLER, linkedid=ABANDONED, channel="Local/support@caller-00000007;2",
        queue="support",
    )
    bob = dict(interface="Local/1002@agents/n", member_name="Bob", agent_channel="Local/1002@agents-00000008;1",
               agent_uniqueid="ccops-lab-1795670153.16")
    alice = dict(interface="Local/1001@agents/n", member_name="Alice", agent_channel="Local/1001@agents-00000009;1",
                 agent_uniqueid="ccops-lab-1795670162.18")
    queue_events = (CallerJoinedQueue, CallerLeftQueue, CallerAbandoned, AgentRinging, AgentRingNoAnswer,
                    AgentConnected, AgentCompleted, QueueExitStatus)

    assert of_call(scenario, ABANDONED, *queue_events) == [
        CallerJoinedQueue(ts=1795670153.168139, **caller, caller_num="5550003", caller_name="Customer 3",
                          position=1, count=1),
        AgentRinging(ts=1795670153.168567, **caller, **bob),
        # RingTime is 8000 ms in AMI (the queue's timeout is 8 s): seconds here.
        AgentRingNoAnswer(ts=1795670161.168777, **caller, **bob, ring_seconds=8.0),
        AgentRinging(ts=1795670162.171008, **caller, **alice),
        CallerAbandoned(ts=1795670163.147403, **caller, position=1, original_position=1, hold_seconds=10),
        CallerLeftQueue(ts=1795670163.147448, **caller, position=1, count=0),
    ]


def test_a_ring_cancelled_by_the_caller_is_not_a_miss(scenario: list) -> None:
    missed = [e for e in scenario if isinstance(e, AgentRingNoAnswer)]
    assert [(e.member_name, e.uniqueid) for e in missed] == [("Bob", ABANDONED_CALLER)]


def test_answered_call_connect_and_complete_with_talk_time(scenario: list) -> None:
    caller = dict(system=SYSTEM, uniqueid="ccops-lab-1795670143.1", linkedid=ANSWERED_SUPPORT,
                  channel="Local/support@caller-00000000;2", queue="support")
    alice = dict(interface="Local/1001@agents/n", member_name="Alice", agent_channel="Local/1001@agents-00000001;1",
                 agent_uniqueid="ccops-lab-1795670143.2")

    assert of_call(scenario, ANSWERED_SUPPORT, AgentConnected, AgentCompleted) == [
        AgentConnected(ts=1795670144.036020, **caller, **alice, hold_seconds=1, ring_seconds=1),
        AgentCompleted(ts=1795670158.055972, **caller, **alice, hold_seconds=1, talk_seconds=14,
                       reason=CompletedBy.AGENT),
    ]


def test_answered_sales_call_whole_timeline(scenario: list) -> None:
    """Every domain event of one answered call, in order, from Originate to the last hangup."""
    timeline = [(type(e).__name__, e.uniqueid.removeprefix("ccops-lab-")) for e in of_call(scenario, ANSWERED_SALES, ChannelEvent)]
    assert timeline == [
        ("ChannelCreated", "1795670150.10"),  # Local/sales@caller ;1 (the customer's side)
        ("ChannelCreated", "1795670150.11"),  # ;2 runs the [caller] dialplan
        ("CallerIdChanged", "1795670150.10"),
        ("CallerIdChanged", "1795670150.11"),
        ("RecordingFileNamed", "1795670150.11"),
        ("RecordingStarted", "1795670150.11"),
        ("CallerJoinedQueue", "1795670150.11"),
        ("ChannelCreated", "1795670150.12"),  # Bob's Local/1002@agents ;1
        ("ChannelCreated", "1795670150.13"),
        ("CallerIdChanged", "1795670150.12"),
        ("CallerIdChanged", "1795670150.13"),
        ("AgentRinging", "1795670150.11"),
        ("CallerLeftQueue", "1795670150.11"),
        ("AgentConnected", "1795670150.11"),
        ("ChannelHungUp", "1795670150.13"),
        ("AgentCompleted", "1795670150.11"),
        ("ChannelHungUp", "1795670150.12"),
        ("RecordingStopped", "1795670150.11"),
        ("ChannelHungUp", "1795670150.11"),
        ("ChannelHungUp", "1795670150.10"),
    ]
    assert of_call(scenario, ANSWERED_SALES, AgentCompleted) == [
        AgentCompleted(
            ts=1795670153.140668, system=SYSTEM, uniqueid="ccops-lab-1795670150.11", linkedid=ANSWERED_SALES,
            channel="Local/sales@caller-00000005;2", queue="sales", interface="Local/1002@agents/n",
            member_name="Bob", agent_channel="Local/1002@agents-00000006;1", agent_uniqueid="ccops-lab-1795670150.12",
            hold_seconds=1, talk_seconds=2, reason=CompletedBy.AGENT,
        )
    ]
    assert of_call(scenario, ANSWERED_SALES, ChannelHungUp)[-1] == ChannelHungUp(
        ts=1795670153.145552, system=SYSTEM, uniqueid=ANSWERED_SALES, linkedid=ANSWERED_SALES,
        channel="Local/sales@caller-00000005;1", cause=16, cause_text="Normal Clearing",
    )


def test_new_channels_carry_the_direction_hint_of_their_context(scenario: list) -> None:
    created = {e.channel: e for e in of_call(scenario, ANSWERED_SALES, ChannelCreated)}
    assert created["Local/sales@caller-00000005;1"] == ChannelCreated(
        ts=1795670150.098471, system=SYSTEM, uniqueid=ANSWERED_SALES, linkedid=ANSWERED_SALES,
        channel="Local/sales@caller-00000005;1", context="caller", exten="sales",
        caller_num="", caller_name="",  # '<unknown>' until NewCallerid
        direction=Direction.INBOUND,
    )
    assert created["Local/1002@agents-00000006;1"].direction is Direction.INTERNAL
    spyers = [e for e in scenario if isinstance(e, ChannelCreated) and e.context == "supervisor"]
    assert len(spyers) == 6 and {e.direction for e in spyers} == {Direction.INTERNAL}


def test_direction_rules_are_configurable(messages: list[dict[str, object]]) -> None:
    rules = DirectionRules(inbound_contexts=frozenset({"from-pstn"}), outbound_contexts=frozenset({"supervisor"}))
    translate = Translator(rules, strict=True).translate
    assert translate(first(messages, "Newchannel", Context="caller"))[0].direction is Direction.INTERNAL
    assert translate(first(messages, "Newchannel", Context="supervisor"))[0].direction is Direction.OUTBOUND


def test_caller_id_arrives_after_the_channel(scenario: list) -> None:
    assert of_call(scenario, ANSWERED_SALES, CallerIdChanged)[0] == CallerIdChanged(
        ts=1795670150.098518, system=SYSTEM, uniqueid=ANSWERED_SALES, linkedid=ANSWERED_SALES,
        channel="Local/sales@caller-00000005;1", caller_num="5550002", caller_name="Customer 2",
    )


# --------------------------------------------------------------------------------------------
# Members


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
# Monitoring and recordings


def test_listen_whisper_barge_spy_on_the_agents_bridged_channel(scenario: list) -> None:
    agent_channel = of_call(scenario, ANSWERED_SUPPORT, AgentConnected)[0].agent_channel
    spyee = dict(spyee_channel=agent_channel, spyee_uniqueid="ccops-lab-1795670143.2", spyee_linkedid=ANSWERED_SUPPORT)

    def spyer(mode: str, n: int, first_id: int, ts: str) -> dict[str, object]:
        return dict(spyer_channel=f"Local/{mode}@supervisor-0000000{n};2", spyer_uniqueid=f"ccops-lab-{ts}.{first_id + 1}",
                    spyer_linkedid=f"ccops-lab-{ts}.{first_id}")

    listen, whisper, barge = spyer("listen", 2, 4, "1795670144"), spyer("whisper", 3, 6, "1795670146"), \
        spyer("barge", 4, 8, "1795670148")
    assert [e for e in scenario if isinstance(e, (SpyStarted, SpyStopped))] == [
        SpyStarted(ts=1795670144.165721, system=SYSTEM, **listen, **spyee),
        SpyStopped(ts=1795670146.053531, system=SYSTEM, **listen, **spyee),
        SpyStarted(ts=1795670146.178148, system=SYSTEM, **whisper, **spyee),
        SpyStopped(ts=1795670148.073835, system=SYSTEM, **whisper, **spyee),
        SpyStarted(ts=1795670148.198736, system=SYSTEM, **barge, **spyee),
        SpyStopped(ts=1795670150.094468, system=SYSTEM, **barge, **spyee),
    ]


def test_mixmonitor_start_and_stop_with_the_file_name(scenario: list) -> None:
    leg = dict(system=SYSTEM, uniqueid="ccops-lab-1795670150.11", linkedid=ANSWERED_SALES,
               channel="Local/sales@caller-00000005;2")
    assert of_call(scenario, ANSWERED_SALES, RecordingFileNamed, RecordingStarted, RecordingStopped) == [
        RecordingFileNamed(ts=1795670150.119351, **leg,
                           path="/var/spool/asterisk/recordings/sales-20261126-051550-ccops-lab-1795670150.11.wav"),
        RecordingStarted(ts=1795670150.119403, **leg),
        RecordingStopped(ts=1795670153.141332, **leg),
    ]


def test_on_demand_recording_of_the_agent_channel(scenario: list) -> None:
    leg = dict(system=SYSTEM, uniqueid="ccops-lab-1795670143.2", linkedid=ANSWERED_SUPPORT,
               channel="Local/1001@agents-00000001;1")
    recording = (RecordingFileNamed, RecordingStarted, RecordingStopped)
    assert [e for e in of_call(scenario, ANSWERED_SUPPORT, *recording) if e.uniqueid == leg["uniqueid"]] == [
        RecordingFileNamed(ts=1795670144.041871, **leg, path="/var/spool/asterisk/recordings/ondemand-1795670144.wav"),
        RecordingStarted(ts=1795670144.041988, **leg),
        RecordingStopped(ts=1795670150.096428, **leg),
    ]


# --------------------------------------------------------------------------------------------
# PBX lifecycle and Originate


def test_fully_booted_has_no_timestamp_so_the_receive_time_is_used(scenario: list) -> None:
    assert scenario[0] == PbxBooted(ts=1795670143.006143, system="", uptime_seconds=0, last_reload_seconds=0)


def test_originate_results(scenario: list, messages: list[dict[str, object]]) -> None:
    results = [e for e in scenario if isinstance(e, OriginateResult)]
    assert [(r.action_id.removeprefix(ACTION), r.succeeded, r.reason) for r in results] == [
        ("6", True, 4), ("9", True, 4), ("10", True, 4), ("11", True, 4), ("13", True, 4), ("15", True, 4)]
    failed = first(messages, "OriginateResponse") | {"Response": "Failure", "Reason": "5", "Uniqueid": "<null>",
                                                     "Channel": "PJSIP/0123@trunk"}
    assert strict().translate(failed) == (
        OriginateResult(ts=1795670143.013317, system=SYSTEM, action_id=ACTION + "6", succeeded=False,
                        response="Failure", reason=5, uniqueid="", channel="PJSIP/0123@trunk", context="",
                        exten=""),
    )


# --------------------------------------------------------------------------------------------
# Events the capture lacks, built from its real messages


def test_queue_timeout_exit_status(messages: list[dict[str, object]]) -> None:
    varset = first(messages, "VarSet", Variable="QUEUENAME") | {"Variable": "QUEUESTATUS", "Value": "TIMEOUT"}
    (event,) = strict().translate(varset)
    assert event == QueueExitStatus(ts=event.ts, system=SYSTEM, uniqueid="ccops-lab-1795670143.1",
                                    linkedid=ANSWERED_SUPPORT, channel="Local/support@caller-00000000;2",
                                    status="TIMEOUT")


def test_agent_complete_by_transfer(messages: list[dict[str, object]]) -> None:
    complete = first(messages, "AgentComplete") | {"Reason": "transfer"}
    (event,) = strict().translate(complete)
    assert isinstance(event, AgentCompleted) and event.reason is CompletedBy.TRANSFER and event.talk_seconds == 2


def channel_block(message: dict[str, object], prefix: str) -> dict[str, object]:
    keys = ("Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
            "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid")
    return {prefix + key: message[key] for key in keys if key in message}


def test_hold_and_unhold(messages: list[dict[str, object]]) -> None:
    caller = first(messages, "AgentConnect")
    head = {"Privilege": "call,all", "Timestamp": "1795670145.5", "SystemName": SYSTEM}
    hold = {"Event": "Hold", **head, **channel_block(caller, ""), "MusicClass": "default"}
    unhold = {"Event": "Unhold", **head, **channel_block(caller, "")}
    leg = dict(ts=1795670145.5, system=SYSTEM, uniqueid="ccops-lab-1795670143.1", linkedid=ANSWERED_SUPPORT,
               channel="Local/support@caller-00000000;2")
    assert strict().translate(hold) == (ChannelHeld(**leg, music_class="default"),)
    assert strict().translate(unhold) == (ChannelUnheld(**leg),)


def test_blind_transfer(messages: list[dict[str, object]]) -> None:
    connect = first(messages, "AgentConnect")
    agent = {key.removeprefix("Dest"): value for key, value in connect.items() if key.startswith("Dest")}
    transfer = {"Event": "BlindTransfer", "Timestamp": "1795670150.0", "SystemName": SYSTEM, "Result": "Success",
                **channel_block(agent, "Transferer"), **channel_block(connect, "Transferee"),
                "BridgeUniqueid": "2466506b-3f4a-4d5d-b108-bab4450c50c7", "IsExternal": "No",
                "Context": "agents", "Extension": "1003"}
    assert strict().translate(transfer) == (
        CallTransferred(
            ts=1795670150.0, system=SYSTEM, kind=TransferKind.BLIND, result="Success", succeeded=True,
            transferer_channel="Local/1001@agents-00000001;1", transferer_uniqueid="ccops-lab-1795670143.2",
            transferer_linkedid=ANSWERED_SUPPORT, transferee_channel="Local/support@caller-00000000;2",
            transferee_uniqueid="ccops-lab-1795670143.1", transferee_linkedid=ANSWERED_SUPPORT,
            target_channel="", target_uniqueid="", target_linkedid="", target_exten="1003",
            target_context="agents", consult_linkedid="",
        ),
    )


def test_attended_transfer(messages: list[dict[str, object]]) -> None:
    connect = first(messages, "AgentConnect")
    agent = {key.removeprefix("Dest"): value for key, value in connect.items() if key.startswith("Dest")}
    consult = {"Channel": "PJSIP/1001-0000000a", "Uniqueid": "ccops-lab-1795670149.30",
               "Linkedid": "ccops-lab-1795670149.30"}
    target = {"Channel": "PJSIP/1003-0000000b", "Uniqueid": "ccops-lab-1795670149.31",
              "Linkedid": "ccops-lab-1795670149.30"}
    transfer = {"Event": "AttendedTransfer", "Timestamp": "1795670152.0", "SystemName": SYSTEM, "Result": "Success",
                **channel_block(agent, "OrigTransferer"), **channel_block(consult, "SecondTransferer"),
                "DestType": "Bridge", "DestBridgeUniqueid": "2466506b", **channel_block(connect, "Transferee"),
                **channel_block(target, "TransferTarget"), "IsExternal": "No"}
    assert strict().translate(transfer) == (
        CallTransferred(
            ts=1795670152.0, system=SYSTEM, kind=TransferKind.ATTENDED, result="Success", succeeded=True,
            transferer_channel="Local/1001@agents-00000001;1", transferer_uniqueid="ccops-lab-1795670143.2",
            transferer_linkedid=ANSWERED_SUPPORT, transferee_channel="Local/support@caller-00000000;2",
            transferee_uniqueid="ccops-lab-1795670143.1", transferee_linkedid=ANSWERED_SUPPORT,
            target_channel="PJSIP/1003-0000000b", target_uniqueid="ccops-lab-1795670149.31",
            target_linkedid="ccops-lab-1795670149.30", target_exten="", target_context="",
            consult_linkedid="ccops-lab-1795670149.30",
        ),
    )


def csat_event(messages: list[dict[str, object]], **headers: object) -> dict[str, object]:
    """A UserEvent raised from the customer's channel after the agent left, as the dialplan would."""
    hangup = first(messages, "Hangup", Uniqueid="ccops-lab-1795670150.11")
    return {**hangup, "Event": "UserEvent", "Privilege": "user,all", "UserEvent": "AiivrCsat", **headers}


def test_csat_score(messages: list[dict[str, object]]) -> None:
    message = csat_event(messages, Score="4")
    assert strict().translate(message) == (
        CsatScored(ts=1795670153.145543, system=SYSTEM, linkedid=ANSWERED_SALES, score=4, queue="",
                   uniqueid="ccops-lab-1795670150.11", channel="Local/sales@caller-00000005;2"),
    )


def test_csat_names_the_rated_call_after_the_channel_block(messages: list[dict[str, object]]) -> None:
    """A survey run on a callback channel repeats Linkedid: the explicit header comes last."""
    message = csat_event(messages, Score="5", Linkedid=["ccops-lab-1795670999.1", ANSWERED_SALES])
    (event,) = strict().translate(message)
    assert (event.linkedid, event.score) == (ANSWERED_SALES, 5)


@pytest.mark.parametrize("score", ["0", "6", "-1", "4.5", "five", "", "99999999999999999999999"])
def test_csat_score_outside_1_to_5_is_rejected(messages: list[dict[str, object]], score: str) -> None:
    (issue,) = strict().translate(csat_event(messages, Score=score))
    assert isinstance(issue, TranslationIssue) and issue.dropped and issue.source_event == "UserEvent"
    assert "Score" in issue.reason


def test_other_user_events_mean_nothing(messages: list[dict[str, object]]) -> None:
    assert strict().translate(csat_event(messages, UserEvent="SomethingElse", Score="4")) is NO_EVENTS


def test_aiivr_origin_tag_from_originate_variable(messages: list[dict[str, object]]) -> None:
    spy = first(messages, "VarSet", Variable="SPY")  # an Originate Variable, exactly like AIIVR's
    for variable in ("AIIVR_ORIGIN", "__AIIVR_ORIGIN"):
        (event,) = strict().translate(spy | {"Variable": variable, "Value": "monitor"})
        assert event == ChannelOriginTagged(ts=event.ts, system=SYSTEM, uniqueid=spy["Uniqueid"],
                                            linkedid=spy["Linkedid"], channel=spy["Channel"], origin="monitor")


def test_core_show_channel_snapshot(messages: list[dict[str, object]]) -> None:
    connect = first(messages, "AgentConnect")
    listed = {"Event": "CoreShowChannel", "ActionID": ACTION + "30", **channel_block(connect, ""),
              "BridgeId": "2466506b-3f4a-4d5d-b108-bab4450c50c7", "Application": "Queue",
              "ApplicationData": "support,t,,,120", "Duration": "00:01:05", "_rx": 1795670150.5}
    assert strict().translate(listed) == (
        ChannelSnapshot(ts=1795670150.5, system="", uniqueid="ccops-lab-1795670143.1", linkedid=ANSWERED_SUPPORT,
                        channel="Local/support@caller-00000000;2", context="caller", exten="support",
                        caller_num="5550001", caller_name="Customer 1", connected_num="5550001",
                        connected_name="Customer 1", state="Up", application="Queue",
                        application_data="support,t,,,120", duration_seconds=65,
                        bridge_id="2466506b-3f4a-4d5d-b108-bab4450c50c7", action_id=ACTION + "30"),
    )


# --------------------------------------------------------------------------------------------
# Noise, time, malformed input


def test_dialplan_noise_and_unknown_events_mean_nothing(messages: list[dict[str, object]]) -> None:
    translate = strict().translate
    for name in ("Newexten", "DeviceStateChange", "DialBegin", "BridgeEnter", "SuccessfulAuth", "NoSuchEvent"):
        assert translate(first(messages, name) if name != "NoSuchEvent" else {"Event": name}) is NO_EVENTS
    assert translate(first(messages, "VarSet", Variable="BRIDGEPEER")) is NO_EVENTS
    assert translate({"Response": "Success", "ActionID": "x"}) is NO_EVENTS


def test_event_time_prefers_timestamp_then_rx_then_now(messages: list[dict[str, object]]) -> None:
    hangup = first(messages, "Hangup")
    translate = strict().translate
    assert translate(hangup, now=5.0)[0].ts == 1795670146.044594
    del hangup["Timestamp"]
    assert translate(hangup, now=5.0)[0].ts == hangup["_rx"]
    del hangup["_rx"]
    assert translate(hangup, now=5.0)[0].ts == 5.0
    hangup["Timestamp"] = "nan"
    assert translate(hangup, now=5.0)[0].ts == 5.0


def test_missing_identity_drops_with_a_reason(messages: list[dict[str, object]]) -> None:
    abandon = first(messages, "QueueCallerAbandon")
    del abandon["Queue"]
    assert strict().translate(abandon) == (
        TranslationIssue(ts=1795670163.147403, system=SYSTEM, source_event="QueueCallerAbandon",
                         reason="no usable Uniqueid, Linkedid or Queue", dropped=True, uniqueid=ABANDONED_CALLER),
    )


def test_garbled_measure_degrades_and_keeps_the_event(messages: list[dict[str, object]]) -> None:
    complete = first(messages, "AgentComplete") | {"TalkTime": "two"}
    event, issue = strict().translate(complete)
    assert isinstance(event, AgentCompleted) and event.talk_seconds is None and event.hold_seconds == 1
    assert issue == TranslationIssue(ts=event.ts, system=SYSTEM, source_event="AgentComplete",
                                     reason="HoldTime, TalkTime or Reason is unusable", dropped=False,
                                     uniqueid=event.uniqueid)


def test_huge_text_is_cut_and_huge_ids_drop(messages: list[dict[str, object]]) -> None:
    join = first(messages, "QueueCallerJoin") | {"CallerIDName": "x" * 1_000_000}
    (event,) = strict().translate(join)
    assert event.caller_name == "x" * MAX_TEXT
    join["Uniqueid"] = "1" * 1_000_000
    (issue,) = strict().translate(join)
    assert isinstance(issue, TranslationIssue) and issue.dropped


def test_a_handler_bug_becomes_an_issue_unless_strict(messages: list[dict[str, object]]) -> None:
    class Exploding(dict):
        def get(self, key: str, default: object = None) -> object:
            if key == "Cause":
                raise RuntimeError("boom")
            return super().get(key, default)

    hangup = Exploding(first(messages, "Hangup"))
    (issue,) = Translator().translate(hangup, now=7.0)
    assert isinstance(issue, TranslationIssue) and issue.dropped and issue.source_event == "Hangup"
    assert issue.reason == "translator error: RuntimeError: boom"
    with pytest.raises(RuntimeError):
        strict().translate(hangup)


# --------------------------------------------------------------------------------------------
# The whole capture


def test_every_handled_message_in_the_capture_translates_one_to_one(messages: list[dict[str, object]]) -> None:
    """Over all 2,000 captured messages (load runs included): no issues, and one domain event per
    AMI event of each kind we handle."""
    events = list(replay(messages, strict()))
    assert not [e for e in events if isinstance(e, TranslationIssue)]
    ami = Counter(m.get("Event") for m in messages)
    produced = Counter(type(e).__name__ for e in events)
    assert produced == {
        "PbxBooted": ami["FullyBooted"],
        "ChannelCreated": ami["Newchannel"],
        "CallerIdChanged": ami["NewCallerid"],
        "ChannelHungUp": ami["Hangup"],
        "CallerJoinedQueue": ami["QueueCallerJoin"],
        "CallerLeftQueue": ami["QueueCallerLeave"],
        "CallerAbandoned": ami["QueueCallerAbandon"],
        "AgentRinging": ami["AgentCalled"],
        "AgentRingNoAnswer": ami["AgentRingNoAnswer"],
        "AgentConnected": ami["AgentConnect"],
        "AgentCompleted": ami["AgentComplete"],
        "MemberAdded": ami["QueueMemberAdded"],
        "MemberRemoved": ami["QueueMemberRemoved"],
        "MemberPaused": ami["QueueMemberPause"],
        "MemberStatus": ami["QueueMemberStatus"],
        "MemberSnapshot": ami["QueueMember"],
        "QueueEntrySnapshot": ami["QueueEntry"],
        "QueueParamsSnapshot": ami["QueueParams"],
        "QueueSummarySnapshot": ami["QueueSummary"],
        "SnapshotCompleted": ami["QueueStatusComplete"] + ami["QueueSummaryComplete"] + ami["CoreShowChannelsComplete"],
        "SpyStarted": ami["ChanSpyStart"],
        "SpyStopped": ami["ChanSpyStop"],
        "RecordingStarted": ami["MixMonitorStart"],
        "RecordingStopped": ami["MixMonitorStop"],
        "RecordingFileNamed": sum(1 for m in messages if m.get("Variable") == "MIXMONITOR_FILENAME"),
        "OriginateResult": ami["OriginateResponse"],
    }
    assert len(events) == 476


def test_every_recording_start_has_its_file_named_first(messages: list[dict[str, object]]) -> None:
    """Under load other calls' events interleave, but on one channel the file name always comes
    before MixMonitorStart: the recorder can join them by (system, uniqueid)."""
    named: dict[str, str] = {}
    started = 0
    for event in replay(messages, strict()):
        if isinstance(event, RecordingFileNamed):
            named[event.uniqueid] = event.path
        elif isinstance(event, RecordingStarted):
            started += 1
            assert named[event.uniqueid].endswith(f"-{event.uniqueid}.wav") or "ondemand" in named[event.uniqueid]
    assert started == 7


# --------------------------------------------------------------------------------------------
# The project's own lab (config/asterisk, tests/fixtures/capture_lab.py): one scenario per
# capture, each on a fresh Asterisk, as the product's AMI user sees it (manager.conf filters on).
#
# These captures get re-recorded, and every run has new Uniqueids and times. So the values a
# scenario fixes (queues, members, statuses, reasons, scores, contexts, positions, channel names)
# are literal here, and ids, times and measured durations are read from the raw AMI message the
# event must come from, header by header, as docs/call-model.md maps them.

LAB = "aiivr-lab"


def lab(name: str) -> tuple[list[dict[str, object]], list]:
    messages = list(read_capture(FIXTURES / f"lab-{name}.jsonl"))
    return messages, list(replay(messages, Translator(strict=True)))


def raw(messages: list[dict[str, object]], event: str, **match: object) -> list[dict[str, object]]:
    return [m for m in messages if m.get("Event") == event and all(m.get(k) == v for k, v in match.items())]


def stamp(message: dict[str, object]) -> float:
    return float(message["Timestamp"])  # type: ignore[arg-type]


def number(message: dict[str, object], header: str) -> int:
    return int(message[header])  # type: ignore[call-overload]


def caller_of(message: dict[str, object]) -> dict[str, object]:
    """The channel block of a queue event: the caller's leg."""
    return dict(system=message["SystemName"], uniqueid=message["Uniqueid"], linkedid=message["Linkedid"],
                channel=message["Channel"])


def agent_of(message: dict[str, object], queue: str, extension: str, name: str) -> dict[str, object]:
    """The member and its Dest channel block in AgentCalled/Connect/Complete/RingNoAnswer."""
    assert (message["Queue"], message["Interface"], message["MemberName"]) == (
        queue, f"Local/{extension}@agents/n", name)
    return dict(queue=queue, interface=f"Local/{extension}@agents/n", member_name=name,
                agent_channel=message["DestChannel"], agent_uniqueid=message["DestUniqueid"])


def of_types(events: list, *types: type) -> list:
    return [e for e in events if isinstance(e, types)]


QUEUE_OUTCOME = (CallerJoinedQueue, CallerLeftQueue, CallerAbandoned, AgentRinging, AgentRingNoAnswer, AgentConnected,
                 AgentCompleted, QueueExitStatus, CsatScored, CallTransferred, ChannelUnheld, ChannelHeld)


def test_lab_answered_call_with_csat() -> None:
    messages, events = lab("answered")
    (join,), (called,), (leave,) = (raw(messages, e) for e in ("QueueCallerJoin", "AgentCalled", "QueueCallerLeave"))
    (connect,), (complete,), (survey,) = (raw(messages, e) for e in ("AgentConnect", "AgentComplete", "UserEvent"))
    (exit_status,) = raw(messages, "VarSet", Variable="QUEUESTATUS")
    customer = caller_of(join)
    assert customer["channel"] == "Local/support@caller-00000000;2"
    assert customer["uniqueid"] != customer["linkedid"]  # originated through a Local channel
    alice = agent_of(connect, "support", "1001", "alice")
    assert alice["agent_channel"] == "Local/1001@agents-00000001;1"

    assert of_types(events, *QUEUE_OUTCOME) == [
        CallerJoinedQueue(ts=stamp(join), **customer, queue="support", caller_num="5550001", caller_name="Customer",
                          position=1, count=1),
        AgentRinging(ts=stamp(called), **customer, **alice),
        CallerLeftQueue(ts=stamp(leave), **customer, queue="support", position=1, count=0),
        AgentConnected(ts=stamp(connect), **customer, **alice, hold_seconds=number(connect, "HoldTime"),
                       ring_seconds=number(connect, "RingTime")),
        AgentCompleted(ts=stamp(complete), **customer, **alice, hold_seconds=number(complete, "HoldTime"),
                       talk_seconds=number(complete, "TalkTime"), reason=CompletedBy.AGENT),
        # Queue(...,c): the caller goes on in the dialplan, to the survey
        QueueExitStatus(ts=stamp(exit_status), **customer, status="CONTINUE"),
        CsatScored(ts=stamp(survey), system=LAB, linkedid=customer["linkedid"], score=5, queue="support",
                   uniqueid=customer["uniqueid"], channel=customer["channel"]),
    ]
    (named,) = raw(messages, "VarSet", Variable="MIXMONITOR_FILENAME")
    (started,), (stopped,) = raw(messages, "MixMonitorStart"), raw(messages, "MixMonitorStop")
    path = named["Value"]
    assert isinstance(path, str) and path.startswith("/var/spool/asterisk/recordings/support-")
    assert path.endswith(f"-{customer['uniqueid']}.wav")
    assert of_types(events, RecordingFileNamed, RecordingStarted, RecordingStopped) == [
        RecordingFileNamed(ts=stamp(named), **customer, path=path),
        RecordingStarted(ts=stamp(started), **customer),
        RecordingStopped(ts=stamp(stopped), **customer),
    ]


def test_lab_abandoned_call_has_no_exit_status() -> None:
    messages, events = lab("abandoned")
    (join,), (called,), (abandon,), (leave,) = (
        raw(messages, e) for e in ("QueueCallerJoin", "AgentCalled", "QueueCallerAbandon", "QueueCallerLeave"))
    customer = caller_of(join)
    assert of_types(events, *QUEUE_OUTCOME) == [
        CallerJoinedQueue(ts=stamp(join), **customer, queue="support", caller_num="5550002", caller_name="Customer",
                          position=1, count=1),
        AgentRinging(ts=stamp(called), **customer, **agent_of(called, "support", "1001", "alice")),
        # alice was still ringing: her ring ends with the caller, which is no miss
        CallerAbandoned(ts=stamp(abandon), **customer, queue="support", position=1, original_position=1,
                        hold_seconds=number(abandon, "HoldTime")),
        CallerLeftQueue(ts=stamp(leave), **customer, queue="support", position=1, count=0),
    ]


def test_lab_timeout_is_an_abandon_then_a_timeout_exit() -> None:
    """Asterisk 22 records a queue timeout as an abandon too (QueueCallerAbandon), then sets
    QUEUESTATUS=TIMEOUT; queue_log says EXITWITHTIMEOUT. The exit status decides."""
    messages, events = lab("timeout")
    (join,), (abandon,), (leave,) = (raw(messages, e) for e in ("QueueCallerJoin", "QueueCallerAbandon",
                                                                 "QueueCallerLeave"))
    (exit_status,) = raw(messages, "VarSet", Variable="QUEUESTATUS")
    customer = caller_of(join)
    assert of_types(events, *QUEUE_OUTCOME) == [
        CallerJoinedQueue(ts=stamp(join), **customer, queue="support", caller_num="5550003", caller_name="Customer",
                          position=1, count=1),
        CallerAbandoned(ts=stamp(abandon), **customer, queue="support", position=1, original_position=1,
                        hold_seconds=number(abandon, "HoldTime")),
        CallerLeftQueue(ts=stamp(leave), **customer, queue="support", position=1, count=0),
        QueueExitStatus(ts=stamp(exit_status), **customer, status="TIMEOUT"),
    ]
    queue_log = (FIXTURES / "lab-timeout.queue_log").read_text()
    assert f"|{customer['uniqueid']}|support|NONE|EXITWITHTIMEOUT|" in queue_log and "|ABANDON|" not in queue_log


def test_lab_ring_no_answer_then_the_next_agent_answers() -> None:
    messages, events = lab("ringnoanswer")
    (join,) = raw(messages, "QueueCallerJoin")
    alice_called, bob_called = raw(messages, "AgentCalled")
    (missed,), (connect,), (complete,) = (raw(messages, e) for e in ("AgentRingNoAnswer", "AgentConnect",
                                                                      "AgentComplete"))
    customer = caller_of(join)
    alice, bob = agent_of(alice_called, "support", "1001", "alice"), agent_of(bob_called, "support", "1002", "bob")
    assert of_types(events, AgentRinging, AgentRingNoAnswer, AgentConnected, AgentCompleted) == [
        AgentRinging(ts=stamp(alice_called), **customer, **alice),
        # RingTime is milliseconds here (queue_log's RINGNOANSWER shows the same number)
        AgentRingNoAnswer(ts=stamp(missed), **customer, **alice, ring_seconds=number(missed, "RingTime") / 1000),
        AgentRinging(ts=stamp(bob_called), **customer, **bob),
        AgentConnected(ts=stamp(connect), **customer, **bob, hold_seconds=number(connect, "HoldTime"),
                       ring_seconds=number(connect, "RingTime")),
        AgentCompleted(ts=stamp(complete), **customer, **bob, hold_seconds=number(complete, "HoldTime"),
                       talk_seconds=number(complete, "TalkTime"), reason=CompletedBy.AGENT),
    ]
    (ring_no_answer,) = of_types(events, AgentRingNoAnswer)
    assert 4.0 <= ring_no_answer.ring_seconds <= 6.0  # config/asterisk/queues.conf: timeout = 5
    assert f"|alice|RINGNOANSWER|{missed['RingTime']}" in (FIXTURES / "lab-ringnoanswer.queue_log").read_text()


def test_lab_blind_transfer_into_another_queue() -> None:
    messages, events = lab("transfer")
    support_join, sales_join = raw(messages, "QueueCallerJoin")
    alice_called, bob_called = raw(messages, "AgentCalled")
    support_leave, sales_leave = raw(messages, "QueueCallerLeave")
    alice_connect, bob_connect = raw(messages, "AgentConnect")
    alice_complete, bob_complete = raw(messages, "AgentComplete")
    (unhold,), (transfer,), (survey,) = (raw(messages, e) for e in ("Unhold", "BlindTransfer", "UserEvent"))
    (exit_status,) = raw(messages, "VarSet", Variable="QUEUESTATUS")
    customer = caller_of(support_join)
    assert caller_of(sales_join) == customer  # the same caller channel: a second queue entry
    alice = agent_of(alice_connect, "support", "1001", "alice")
    bob = agent_of(bob_connect, "sales", "1002", "bob")
    in_queue = dict(caller_num="5550005", caller_name="Customer", position=1, count=1)

    assert of_types(events, *QUEUE_OUTCOME) == [
        CallerJoinedQueue(ts=stamp(support_join), **customer, queue="support", **in_queue),
        AgentRinging(ts=stamp(alice_called), **customer, **alice),
        CallerLeftQueue(ts=stamp(support_leave), **customer, queue="support", position=1, count=0),
        AgentConnected(ts=stamp(alice_connect), **customer, **alice, hold_seconds=number(alice_connect, "HoldTime"),
                       ring_seconds=number(alice_connect, "RingTime")),
        # the AMI BlindTransfer action takes the agent's channel off hold first
        ChannelUnheld(ts=stamp(unhold), system=LAB, uniqueid=alice["agent_uniqueid"], linkedid=customer["linkedid"],
                      channel=alice["agent_channel"]),
        CallTransferred(ts=stamp(transfer), system=LAB, kind=TransferKind.BLIND, result="Success", succeeded=True,
                        transferer_channel=alice["agent_channel"], transferer_uniqueid=alice["agent_uniqueid"],
                        transferer_linkedid=customer["linkedid"], transferee_channel=customer["channel"],
                        transferee_uniqueid=customer["uniqueid"], transferee_linkedid=customer["linkedid"],
                        target_channel="", target_uniqueid="", target_linkedid="", target_exten="sales",
                        target_context="queue-call", consult_linkedid=""),
        AgentCompleted(ts=stamp(alice_complete), **customer, **alice,
                       hold_seconds=number(alice_complete, "HoldTime"), talk_seconds=number(alice_complete, "TalkTime"),
                       reason=CompletedBy.TRANSFER),
        CallerJoinedQueue(ts=stamp(sales_join), **customer, queue="sales", **in_queue),
        AgentRinging(ts=stamp(bob_called), **customer, **bob),
        CallerLeftQueue(ts=stamp(sales_leave), **customer, queue="sales", position=1, count=0),
        AgentConnected(ts=stamp(bob_connect), **customer, **bob, hold_seconds=number(bob_connect, "HoldTime"),
                       ring_seconds=number(bob_connect, "RingTime")),
        AgentCompleted(ts=stamp(bob_complete), **customer, **bob, hold_seconds=number(bob_complete, "HoldTime"),
                       talk_seconds=number(bob_complete, "TalkTime"), reason=CompletedBy.AGENT),
        QueueExitStatus(ts=stamp(exit_status), **customer, status="CONTINUE"),
        CsatScored(ts=stamp(survey), system=LAB, linkedid=customer["linkedid"], score=4, queue="sales",
                   uniqueid=customer["uniqueid"], channel=customer["channel"]),
    ]


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


def test_lab_supervisor_listen_whisper_barge() -> None:
    messages, events = lab("spy")
    (connected,) = of_types(events, AgentConnected)
    monitors = {r.uniqueid: r.exten for r in of_types(events, OriginateResult) if r.context == "spy"}
    assert list(monitors.values()) == ["listen", "whisper", "barge"]
    spies = of_types(events, SpyStarted, SpyStopped)
    assert [(type(e).__name__, monitors[e.spyer_linkedid]) for e in spies] == [
        ("SpyStarted", "listen"), ("SpyStopped", "listen"), ("SpyStarted", "whisper"), ("SpyStopped", "whisper"),
        ("SpyStarted", "barge"), ("SpyStopped", "barge")]
    # the spied channel is AgentConnect's DestChannel, the name the console passes to ChanSpy
    assert {(e.spyee_channel, e.spyee_uniqueid, e.spyee_linkedid) for e in spies} == {
        (connected.agent_channel, connected.agent_uniqueid, connected.linkedid)}
    first_start = raw(messages, "ChanSpyStart")[0]
    assert spies[0] == SpyStarted(
        ts=stamp(first_start), system=LAB, spyer_channel="Local/9001@phones-00000002;1",
        spyer_uniqueid=first_start["SpyerUniqueid"], spyer_linkedid=first_start["SpyerLinkedid"],
        spyee_channel="Local/1001@agents-00000001;1", spyee_uniqueid=connected.agent_uniqueid,
        spyee_linkedid=connected.linkedid)


def test_lab_outbound_call_from_an_agent_phone() -> None:
    """No channel is created in the outbound context: the phone's channel dials from it."""
    messages, events = lab("outbound")
    (originated,), (dial,) = raw(messages, "OriginateResponse"), raw(messages, "DialBegin", Context="outbound")
    call = originated["Uniqueid"]
    phone = dict(system=LAB, uniqueid=call, linkedid=call, channel="Local/1001@phones-00000000;1")
    assert {e.direction for e in of_types(events, ChannelCreated)} == {Direction.INTERNAL}
    assert {e.linkedid for e in of_types(events, ChannelCreated)} == {call}
    assert of_types(events, OriginateResult, OutboundDialed) == [
        OriginateResult(ts=stamp(originated), system=LAB, action_id=originated["ActionID"], succeeded=True,
                        response="Success", reason=4, uniqueid=call, channel=phone["channel"], context="outbound",
                        exten="5551234"),
        OutboundDialed(ts=stamp(dial), **phone, context="outbound", number="5551234",
                       dest_channel="Local/5551234@pstn-00000001;1", dest_uniqueid=dial["DestUniqueid"]),
    ]
    (named,) = of_types(events, RecordingFileNamed)
    assert named.uniqueid == call and named.path.startswith("/var/spool/asterisk/recordings/outbound-")


def test_lab_two_queues_outcomes() -> None:
    _, events = lab("two-queues")
    caller_of_call = {e.linkedid: e.caller_num for e in of_types(events, CallerJoinedQueue)}
    outcome: dict[tuple[str, str], list[str]] = {}
    for event in of_types(events, CallerJoinedQueue, CallerAbandoned, AgentConnected, AgentCompleted, CsatScored):
        detail = {CallerJoinedQueue: "joined", CallerAbandoned: "abandoned", CsatScored: "csat"}.get(type(event))
        if isinstance(event, AgentConnected):
            detail = f"answered by {event.member_name}"
        elif isinstance(event, AgentCompleted):
            detail = f"completed by {event.reason}"
        elif isinstance(event, CsatScored):
            detail = f"csat {event.score}"
        outcome.setdefault((caller_of_call[event.linkedid], event.queue), []).append(detail)
    assert outcome == {
        ("5550011", "support"): ["joined", "answered by alice", "completed by agent", "csat 5"],
        ("5550012", "sales"): ["joined", "answered by bob", "completed by agent", "csat 3"],
        ("5550013", "support"): ["joined", "answered by carol", "completed by agent"],
        ("5550014", "sales"): ["joined", "abandoned"],  # both sales agents busy
    }


@pytest.mark.parametrize("name", ["abandoned", "answered", "outbound", "pause", "ringnoanswer", "spy", "timeout",
                                  "transfer", "two-queues"])
def test_lab_captures_translate_one_to_one_without_issues(name: str) -> None:
    messages, events = lab(name)
    assert not of_types(events, TranslationIssue)
    handled = sum(1 for m in messages if m.get("Event") in ("QueueCallerJoin", "AgentConnect", "AgentComplete",
                                                            "Hangup", "Newchannel", "MixMonitorStart"))
    assert len(of_types(events, CallerJoinedQueue, AgentConnected, AgentCompleted, ChannelHungUp, ChannelCreated,
                        RecordingStarted)) == handled
