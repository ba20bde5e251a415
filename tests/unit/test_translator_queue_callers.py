"""Translator queue callers: joins, leaves, abandons, agent rings, connects and completions, exit status."""

from __future__ import annotations

from aiivr.events import (
    AgentCompleted,
    AgentConnected,
    AgentRingNoAnswer,
    AgentRinging,
    CallerAbandoned,
    CallerJoinedQueue,
    CallerLeftQueue,
    CallTransferred,
    ChannelEvent,
    ChannelHeld,
    ChannelHungUp,
    ChannelUnheld,
    CompletedBy,
    CsatScored,
    QueueExitStatus,
    RecordingFileNamed,
    RecordingStarted,
    RecordingStopped,
    TransferKind,
)
from tests.unit.translator_helpers import (
    ABANDONED,
    ABANDONED_CALLER,
    ANSWERED_SALES,
    ANSWERED_SUPPORT,
    FIXTURES,
    LAB,
    SYSTEM,
    first,
    lab,
    number,
    of_call,
    of_types,
    raw,
    stamp,
    strict,
    without_callers_channel,
)
from pbx_bridge.translator.queue_callers import NO_CALLER_CHANNEL
from tests.unit.translator_helpers import messages, scenario  # noqa: F401 - shared fixtures


# --------------------------------------------------------------------------------------------
# Queue calls in the reference capture


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
        ("CallerIdChanged", "1795670150.10"),  # the call's first channel only
        ("RecordingFileNamed", "1795670150.11"),
        ("RecordingStarted", "1795670150.11"),
        ("CallerJoinedQueue", "1795670150.11"),
        ("ChannelCreated", "1795670150.12"),  # Bob's Local/1002@agents ;1
        ("ChannelCreated", "1795670150.13"),
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


def test_agent_complete_without_the_callers_channel_is_kept_for_the_recorder_to_match(
        messages: list[dict[str, object]]) -> None:
    complete = without_callers_channel(first(messages, "AgentComplete"))
    assert "Uniqueid" not in complete and "Linkedid" not in complete
    event, issue = strict().translate(complete)
    assert isinstance(event, AgentCompleted)
    assert (event.uniqueid, event.linkedid, event.channel) == ("", complete["DestLinkedid"], "")
    assert (event.queue, event.interface, event.talk_seconds) == (
        complete["Queue"], complete["Interface"], int(complete["TalkTime"]))
    assert (issue.reason, issue.dropped) == (NO_CALLER_CHANNEL, False)
    del complete["Queue"]  # without the queue nothing says which entry ended
    (dropped,) = strict().translate(complete)
    assert dropped.dropped is True


# --------------------------------------------------------------------------------------------
# The project's own lab (see translator_helpers.lab)


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
