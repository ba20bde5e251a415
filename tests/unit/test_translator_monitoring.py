"""Translator monitoring: spying, recordings, CSAT user events, PBX boot and Originate results."""

from __future__ import annotations

import pytest

from aiivr.events import (
    AgentConnected,
    CsatScored,
    OriginateResult,
    PbxBooted,
    PbxShuttingDown,
    RecordingFileNamed,
    RecordingStarted,
    RecordingStopped,
    SpyStarted,
    SpyStopped,
    TranslationIssue,
)
from pbx_bridge.translator import NO_EVENTS
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


def csat_event(messages: list[dict[str, object]], **headers: object) -> dict[str, object]:
    """A UserEvent raised from the customer's channel after the agent left, as the dialplan would."""
    hangup = first(messages, "Hangup", Uniqueid="ccops-lab-1795670150.11")
    return {**hangup, "Event": "UserEvent", "Privilege": "user,all", "UserEvent": "AiivrCsat", **headers}


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


def test_a_shutdown_announced_by_asterisk_is_a_domain_event() -> None:
    # As Asterisk 22 sends it on `core restart now` (the lab's restart), Timestamp included.
    message = {"Event": "Shutdown", "Privilege": "system,all", "Timestamp": "1795670199.500000",
               "SystemName": SYSTEM, "Shutdown": "Cleanly", "Restart": "True"}
    assert strict().translate(message) == (PbxShuttingDown(ts=1795670199.5, system=SYSTEM),)


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
# CSAT, an event the capture lacks, built from its real messages


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


# --------------------------------------------------------------------------------------------
# The project's own lab (see translator_helpers.lab)


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
