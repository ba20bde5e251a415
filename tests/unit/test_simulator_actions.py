"""The AMI actions the simulator answers: Asterisk 22's replies and errors, supervisors'
listen/whisper/barge, outbound calls, after-call work, and the recordings MixMonitor leaves."""

from __future__ import annotations

import os
import wave

from pbx_bridge.simulator.inbound import QueueCall
from pbx_bridge.simulator.world import World
from tests.unit.simulator_helpers import START, Sim, customer, quiet, roster

ALICE, BOB = "Local/1001@agents/n", "Local/1002@agents/n"


def _two_agents(**profile) -> Sim:
    return Sim(roster=roster({"support": "rrmemory"}, {"alice": ["support"], "bob": ["support"]}),
               profile=quiet(**profile), self_wrapup=False)


def _message(replies: list[dict]) -> tuple[str, str]:
    return replies[0]["Response"], replies[0].get("Message", "")


def test_errors_are_asterisks():
    sim = _two_agents()
    assert _message(sim.act(Action="QueueAdd", Queue="support", Interface=ALICE)) == (
        "Error", "Unable to add interface: Already there")
    assert _message(sim.act(Action="QueueAdd", Queue="nosuch", Interface=ALICE)) == (
        "Error", "Unable to add interface to queue: No such queue")
    assert _message(sim.act(Action="QueueRemove", Queue="support", Interface="Local/1999@agents/n")) == (
        "Error", "Unable to remove interface: Not there")
    assert _message(sim.act(Action="QueuePause", Interface="Local/1999@agents/n", Paused="true")) == (
        "Error", "Interface not found")
    assert _message(sim.act(Action="Hangup", Channel="Local/1001@agents-00000099;1")) == ("Error", "No such channel")
    assert _message(sim.act(Action="Originate", Exten="1")) == ("Error", "Channel not specified")
    assert _message(sim.act(Action="Bogus")) == ("Error", "Invalid/unknown command")


def test_nothing_but_login_before_login_and_a_wrong_secret_is_refused():
    sim = _two_agents()
    sim.session.logged_in = False
    assert _message(sim.act(Action="QueueStatus")) == ("Error", "Permission denied")
    assert _message(sim.act(Action="Login", Username="aiivr", Secret="wrong")) == ("Error", "Authentication failed")
    replies = sim.act(Action="Login", Username="aiivr", Secret="secret")
    assert [r.get("Message") or r.get("Event") for r in replies] == ["Authentication accepted", "FullyBooted"]


def test_queue_status_lists_members_and_waiting_callers_with_the_action_id():
    sim = _two_agents()
    sim.act(Action="QueuePause", Interface=ALICE, Paused="true", Reason="lunch")
    sim.act(Action="QueuePause", Interface=BOB, Paused="true", Reason="smoke")
    customer(sim, stay=60)
    sim.run(7)
    replies = sim.act(Action="QueueStatus", ActionID="qs")
    assert replies[0] == {"Response": "Success", "ActionID": "qs", "EventList": "start",
                          "Message": "Queue status will follow"}
    assert all(r["ActionID"] == "qs" for r in replies)
    items = {r["Event"]: r for r in replies[1:-1]}
    assert items["QueueParams"]["Calls"] == "1" and items["QueueParams"]["Strategy"] == "rrmemory"
    assert items["QueueEntry"]["Wait"] == "7" and items["QueueEntry"]["Position"] == "1"
    members = {r["Location"]: r for r in replies if r.get("Event") == "QueueMember"}
    assert (members[ALICE]["Paused"], members[ALICE]["PausedReason"]) == ("1", "lunch")
    assert replies[-1] == {"Event": "QueueStatusComplete", "ActionID": "qs", "EventList": "Complete",
                           "ListItems": str(len(replies) - 2)}


def _connected(sim: Sim):
    return next(c for c in sim.world.open_calls.values() if c.state == "connected")


def test_listen_then_hang_up_the_spy():
    sim = _two_agents()
    customer(sim, TALK=30)
    sim.run(5)
    agent_channel = sim.named("AgentConnect")[0]["DestChannel"]
    replies = sim.act(Action="Originate", Channel="Local/9001@phones/n", Context="spy", Exten="listen",
                      Priority="1", Variable=f"SPY={agent_channel}", Async="true", ActionID="spy")
    assert _message(replies) == ("Success", "Originate successfully queued")
    response = sim.named("OriginateResponse", ActionID="spy")[0]
    assert (response["Response"], response["Reason"], response["Context"], response["Exten"]) == (
        "Success", "4", "spy", "listen")
    start = sim.named("ChanSpyStart")[0]
    assert start["SpyeeChannel"] == agent_channel and start["SpyerChannel"] == response["Channel"]
    assert _message(sim.act(Action="Hangup", Channel=start["SpyerChannel"])) == ("Success", "Channel Hungup")
    assert [e["SpyerChannel"] for e in sim.named("ChanSpyStop")] == [start["SpyerChannel"]]
    assert _connected(sim)  # the spied call goes on


def test_a_barge_ends_with_the_call_and_a_spy_on_nothing_hangs_up():
    sim = _two_agents()
    customer(sim, TALK=10)
    sim.run(5)
    agent_channel = sim.named("AgentConnect")[0]["DestChannel"]
    sim.act(Action="Originate", Channel="Local/9001@phones/n", Context="spy", Exten="barge",
            Variable=f"SPY={agent_channel}", Async="true")
    sim.act(Action="Originate", Channel="Local/9002@phones/n", Context="spy", Exten="whisper",
            Variable="SPY=Local/1999@agents-00000042;1", Async="true")
    sim.run(30)
    assert len(sim.named("ChanSpyStart")) == len(sim.named("ChanSpyStop")) == 1  # E: ends with the call
    stop, complete = sim.named("ChanSpyStop")[0], sim.named("AgentComplete")[0]
    assert float(stop["Timestamp"]) >= float(complete["Timestamp"])
    assert sim.world.channels == {}  # both phones hung up


def test_an_outbound_call_keeps_the_agent_off_the_queue():
    sim = _two_agents(talk_median=20.0, talk_sigma=0.01, outbound_answer_probability=1.0)
    sim.act(Action="Originate", Channel="Local/1001@phones/n", Context="outbound", Exten="5551234",
            Async="true", ActionID="out")
    assert sim.named("OriginateResponse", ActionID="out")[0]["Response"] == "Success"
    assert sim.named("QueueMemberStatus", Interface=ALICE)[-1]["Status"] == "2"  # busy on its phone
    dial = [e for e in sim.named("DialBegin") if e.get("Context") == "outbound"]
    assert dial and dial[0]["DestChannel"].startswith("Local/5551234@pstn-")
    customer(sim, TALK=3)
    customer(sim, TALK=3, stay=40)
    sim.run(15)
    assert {e["Interface"] for e in sim.named("AgentCalled")} == {BOB}  # alice is on the phone
    busy = sim.act(Action="Originate", Channel="Local/1001@phones/n", Context="outbound", Exten="5559999",
                   Async="true", ActionID="again")
    assert _message(busy) == ("Success", "Originate successfully queued")
    assert (sim.named("OriginateResponse", ActionID="again")[0]["Response"],
            sim.named("OriginateResponse", ActionID="again")[0]["Reason"]) == ("Failure", "5")
    sim.run(60)
    assert sim.named("QueueMemberStatus", Interface=ALICE)[-1]["Status"] == "1"
    customer(sim, TALK=3)
    sim.run(70)
    assert sim.named("AgentCalled")[-1]["Interface"] == ALICE  # back on the queue afterwards


def test_after_call_work_from_aiivr_ends_when_the_person_is_ready():
    sim = _two_agents(wrapup_median=6.0, wrapup_sigma=0.01)
    customer(sim, TALK=3)
    sim.run(10)
    assert sim.named("QueueMemberPause") == []  # without self_wrapup the people wait for AIIVR
    sim.act(Action="QueuePause", Interface=ALICE, Paused="true", Reason="acw")
    sim.run(30)
    pauses = [(e["Paused"], e["PausedReason"]) for e in sim.named("QueueMemberPause", Interface=ALICE)]
    assert pauses == [("1", "acw"), ("0", "")]
    gap = float(sim.named("QueueMemberPause", Interface=ALICE)[1]["Timestamp"]) - float(
        sim.named("QueueMemberPause", Interface=ALICE)[0]["Timestamp"])
    assert 5.5 < gap < 6.5


def test_with_self_wrapup_the_people_pause_themselves_after_each_call():
    sim = Sim(roster=roster({"support": "rrmemory"}, {"alice": ["support"]}), profile=quiet(), self_wrapup=True)
    customer(sim, TALK=3)
    sim.run(30)
    complete = sim.named("AgentComplete")[0]
    pause = sim.named("QueueMemberPause", Paused="1")[0]
    assert pause["PausedReason"] == "acw" and float(pause["Timestamp"]) > float(complete["Timestamp"])
    assert sim.named("QueueMemberPause", Paused="0")  # and ready again


def test_a_pause_taken_during_a_call_stands_after_it():
    """A supervisor pauses alice for lunch while she talks: when the call ends she stays on
    lunch; no after-call work replaces the reason and no "ready" ends her break."""
    sim = Sim(roster=roster({"support": "rrmemory"}, {"alice": ["support"]}), profile=quiet(), self_wrapup=True)
    customer(sim, TALK=10)
    sim.run(5)
    assert sim.named("AgentConnect")
    sim.act(Action="QueuePause", Interface=ALICE, Paused="true", Reason="lunch")
    sim.run(60)
    pauses = [(e["Paused"], e["PausedReason"]) for e in sim.named("QueueMemberPause", Interface=ALICE)]
    assert sim.named("AgentComplete") and pauses == [("1", "lunch")]


def test_recordings_are_complete_when_mixmonitor_stops(tmp_path):
    """The file named by MIXMONITOR_FILENAME is whole by the time MixMonitorStop is sent (the
    vault may take it from there): the talk for an answered call, 44 bytes for an abandoned one."""
    named: dict[str, str] = {}
    at_stop: list[tuple[str, int]] = []

    def sink(event: dict) -> None:
        if event["Event"] == "VarSet" and event["Variable"] == "MIXMONITOR_FILENAME":
            named[event["Uniqueid"]] = event["Value"]
        elif event["Event"] == "MixMonitorStop":
            path = named[event["Uniqueid"]]
            at_stop.append((path, os.path.getsize(path) if os.path.exists(path) else -1))

    world = World(roster({"support": "rrmemory"}, {"alice": ["support"]}),
                  quiet(recording_max_seconds=3.0), seed=1, start_epoch=START, spool_dir=tmp_path, sink=sink,
                  arrivals=False)
    QueueCall(world, world.queues["support"], "5550001", talk=4.0, ring=1.0).start()
    world.run_until(1)
    QueueCall(world, world.queues["support"], "5550002", patience=2.0).start()  # alice is busy: gives up
    world.run_until(30)
    (abandoned, abandoned_size), (answered, answered_size) = at_stop
    assert abandoned_size == 44  # header only, as MixMonitor(...,b) leaves when nothing was bridged
    assert answered_size > 44
    with wave.open(answered) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() == 3 * 8000  # the 4 s talk, capped at recording_max_seconds
    assert all(p.startswith(f"{tmp_path}/support-") and p.endswith(".wav") for p in (answered, abandoned))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(os.path.basename(p) for p in (answered, abandoned))


def test_auto_wrapup_hands_over_to_aiivr_once_it_sends_acw():
    sim = Sim(roster=roster({"support": "rrmemory"}, {"alice": ["support"]}),
              profile=quiet(wrapup_median=3.0, wrapup_sigma=0.01), self_wrapup="auto")

    def pauses() -> int:
        return len(sim.named("QueueMemberPause", Paused="1"))

    customer(sim, TALK=3)
    sim.run(6)
    assert pauses() == 1  # the call ended at 4 s and nobody else paused alice: she did it herself
    sim.act(Action="QueuePause", Interface=ALICE, Paused="true", Reason="acw")  # serve's pause, late
    assert pauses() == 2
    sim.run(20)
    customer(sim, TALK=3)
    sim.run(27)
    assert len(sim.named("AgentComplete")) == 2 and pauses() == 2  # now she leaves it to AIIVR
    sim.act(Action="QueuePause", Interface=ALICE, Paused="true", Reason="acw")
    sim.run(40)
    assert pauses() == 3 and len(sim.named("QueueMemberPause", Paused="0")) == 2  # and is ready each time
