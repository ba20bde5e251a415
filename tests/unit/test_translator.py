"""The AMI translator as a whole: noise and unknown events, event time, malformed input, the whole capture."""

from __future__ import annotations

from collections import Counter

import pytest

from aiivr.events import (
    AgentCompleted,
    AgentConnected,
    CallerJoinedQueue,
    ChannelCreated,
    ChannelHungUp,
    RecordingFileNamed,
    RecordingStarted,
    TranslationIssue,
)
from pbx_bridge.ami_fields import MAX_TEXT
from pbx_bridge.replay import replay
from pbx_bridge.translator import NO_EVENTS, Translator
from tests.unit.translator_helpers import ABANDONED_CALLER, SYSTEM, first, lab, of_types, strict
from tests.unit.translator_helpers import messages  # noqa: F401 - shared fixtures


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
        # Only the first channel's: a call's caller is its first channel's.
        "CallerIdChanged": sum(1 for m in messages if m.get("Event") == "NewCallerid" and m["Uniqueid"] == m["Linkedid"]),
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
    assert len(events) == 397  # the capture's 79 NewCallerids of later channels give none


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
# The project's own lab (see translator_helpers.lab)


@pytest.mark.parametrize("name", ["abandoned", "answered", "outbound", "pause", "ringnoanswer", "spy", "timeout",
                                  "transfer", "two-queues"])
def test_lab_captures_translate_one_to_one_without_issues(name: str) -> None:
    messages, events = lab(name)
    assert not of_types(events, TranslationIssue)
    handled = sum(1 for m in messages if m.get("Event") in ("QueueCallerJoin", "AgentConnect", "AgentComplete",
                                                            "Hangup", "Newchannel", "MixMonitorStart"))
    assert len(of_types(events, CallerJoinedQueue, AgentConnected, AgentCompleted, ChannelHungUp, ChannelCreated,
                        RecordingStarted)) == handled
