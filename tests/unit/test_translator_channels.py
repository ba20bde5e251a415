"""Translator channels: new channels and their direction, caller id, hold, transfers, origin tag, channel lists."""

from __future__ import annotations

from aiivr.events import (
    CallerIdChanged,
    CallTransferred,
    ChannelCreated,
    ChannelHeld,
    ChannelOriginTagged,
    ChannelSnapshot,
    ChannelUnheld,
    Direction,
    OriginateResult,
    OutboundDialed,
    RecordingFileNamed,
    TransferKind,
)
from pbx_bridge.direction import DirectionRules
from pbx_bridge.translator import Translator
from tests.unit.translator_helpers import (
    ACTION,
    ANSWERED_SALES,
    ANSWERED_SUPPORT,
    LAB,
    SYSTEM,
    first,
    lab,
    of_call,
    of_types,
    raw,
    stamp,
    strict,
)
from tests.unit.translator_helpers import messages, scenario  # noqa: F401 - shared fixtures


def channel_block(message: dict[str, object], prefix: str) -> dict[str, object]:
    keys = ("Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
            "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid")
    return {prefix + key: message[key] for key in keys if key in message}


# --------------------------------------------------------------------------------------------
# Channels in the reference capture


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
# Events the capture lacks, built from its real messages


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
# The project's own lab (see translator_helpers.lab)


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
