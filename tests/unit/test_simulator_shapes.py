"""The simulator's AMI, held field by field to real Asterisk 22 traffic.

The reference is every event in tests/fixtures/*.jsonl (the reference capture and the lab's
scenarios). For each event type the simulator emits: the type exists in the captures, its
headers are exactly one of the header lists seen there (names and order), and its Privilege is
the captured one. The simulator may leave types out; it may not invent one. The only
exception is CoreShowChannel, a list item no capture holds (see pbx_bridge/simulator/lists.py).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from pbx_bridge.simulator.traffic import demo_profile
from pbx_bridge.translator import Translator
from aiivr.events import TranslationIssue
from tests.unit.simulator_helpers import Sim

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOT_CAPTURED = {"CoreShowChannel"}


def _kind(message: dict) -> str:
    name = message["Event"]
    return f"UserEvent:{message['UserEvent']}" if name == "UserEvent" else name


def _captured() -> tuple[dict[str, set[tuple]], dict[str, set[str]], dict[str, set[tuple]]]:
    shapes: dict[str, set[tuple]] = defaultdict(set)
    privileges: dict[str, set[str]] = defaultdict(set)
    replies: dict[str, set[tuple]] = defaultdict(set)
    for path in sorted(FIXTURES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            message = json.loads(line)
            headers = tuple(k for k in message if not k.startswith("_"))
            if "Event" in message:
                shapes[_kind(message)].add(headers)
                if "Privilege" in message:
                    privileges[message["Event"]].add(message["Privilege"])
            elif "Message" in message:
                replies[message["Message"]].add(headers)
    return shapes, privileges, replies


CAPTURED, PRIVILEGES, REPLIES = _captured()


@pytest.fixture(scope="module")
def busy_day() -> Sim:
    """A centre doing everything the simulator can do: queue calls of every outcome, ring-no-
    answer, breaks and wrap-up, moves, spies, outbound calls answered and busy, lab-style
    customers, and every list action."""
    sim = Sim(agents=8, queues=3, seed=11, profile=demo_profile(8).scaled(queue_timeout=25.0,
                                                                         no_answer_probability=0.2))
    sim.act(Action="QueueAdd", Queue="sales", Interface="Local/1050@agents/n", MemberName="zed", Penalty="1")
    sim.act(Action="QueuePenalty", Interface="Local/1050@agents/n", Penalty="0")
    spied = outbound = 0
    for t in range(5, 600, 5):
        sim.run(t)
        connected = [c for c in sim.world.open_calls.values() if c.state == "connected"]
        if connected and spied < 6:
            mode = ("listen", "whisper", "barge")[spied % 3]
            sim.act(Action="Originate", Channel="Local/9001@phones/n", Context="spy", Exten=mode, Priority="1",
                    Variable=f"SPY={connected[0].agent_one.name}", Async="true", ActionID=f"spy-{t}")
            spied += 1
        if t % 60 == 0:
            sim.act(Action="Originate", Channel=f"Local/{1001 + outbound % 8}@phones/n", Context="outbound",
                    Exten="5551234", Priority="1", Async="true", ActionID=f"out-{t}")
            outbound += 1
            sim.act(Action="QueueStatus", ActionID=f"status-{t}")
            sim.act(Action="QueueSummary", ActionID=f"summary-{t}")
            sim.act(Action="CoreShowChannels", ActionID=f"channels-{t}")
        if t == 100:
            spies = [ch for ch in sim.world.channels.values() if ch.context == "spy"]
            if spies:
                sim.act(Action="Hangup", Channel=spies[0].name, ActionID="hangup-spy")
        if t == 200:
            sim.act(Action="Originate", Channel="Local/support@caller/n", Application="Wait", Data="30",
                    Variable=["TALK=3", "CSAT=4"], CallerID='"Customer" <5550001>', Async="true", ActionID="cust")
        if t == 300:
            sim.act(Action="QueuePause", Interface="Local/1001@agents/n", Paused="true", Reason="lunch")
            sim.act(Action="QueueRemove", Queue="sales", Interface="Local/1050@agents/n")
            sim.act(Action="Originate", Channel="Local/nowhere@nothing/n", Context="x", Exten="1", Async="true",
                    ActionID="bad")
    return sim


def _simulated(sim: Sim) -> list[dict]:
    listed = [r for r in sim.replies if "Event" in r]  # list items and FullyBooted
    return sim.events + listed


def test_every_simulated_event_type_exists_in_the_captures_with_the_same_headers(busy_day):
    mismatches = []
    for message in _simulated(busy_day):
        kind = _kind(message)
        if kind in NOT_CAPTURED:
            continue
        if kind not in CAPTURED:
            mismatches.append(f"{kind}: never seen from the real Asterisk")
            continue
        headers = tuple(message)
        if headers not in CAPTURED[kind]:
            mismatches.append(f"{kind}: headers {headers} are none of the captured {sorted(CAPTURED[kind])}")
    assert sorted(set(mismatches)) == []


def test_privileges_are_the_captured_ones(busy_day):
    wrong = {(m["Event"], m["Privilege"]) for m in _simulated(busy_day)
             if "Privilege" in m and m["Privilege"] not in PRIVILEGES[m["Event"]]}
    assert wrong == set()


def test_the_run_covers_what_aiivr_translates(busy_day):
    # Guards the comparison above against passing by emitting little.
    emitted = {_kind(m) for m in _simulated(busy_day)}
    wanted = {
        "Newchannel", "NewCallerid", "Hangup", "DialBegin", "DialEnd", "VarSet", "QueueCallerJoin",
        "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled", "AgentRingNoAnswer", "AgentConnect",
        "AgentComplete", "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberStatus", "QueueMemberPause",
        "QueueMember", "QueueParams", "QueueEntry", "QueueSummary", "QueueStatusComplete", "QueueSummaryComplete",
        "CoreShowChannel", "CoreShowChannelsComplete", "ChanSpyStart", "ChanSpyStop", "MixMonitorStart",
        "MixMonitorStop", "UserEvent:AiivrCsat", "FullyBooted", "OriginateResponse", "BridgeEnter",
    }
    assert wanted <= emitted, wanted - emitted
    # both OriginateResponse shapes, both DialBegin shapes (with and without a calling channel)
    for kind in ("OriginateResponse", "DialBegin"):
        shapes = {tuple(m) for m in _simulated(busy_day) if m["Event"] == kind}
        assert len(shapes) == 2, kind


def test_replies_have_the_captured_headers(busy_day):
    compared = 0
    for reply in busy_day.replies:
        if "Event" in reply or reply.get("Message") not in REPLIES:
            continue
        compared += 1
        assert tuple(reply) in REPLIES[reply["Message"]], reply
    assert compared >= 6  # Login, QueueAdd, Originate, QueueStatus, QueueSummary, Hangup, ...


def test_values_look_like_asterisks():
    sim = Sim(seed=3)
    sim.run(120)
    uniqueid = re.compile(r"^aiivr-sim-\d{10}\.\d+$")
    local = re.compile(r"^Local/[^@]+@(caller|agents|phones|pstn)-[0-9a-f]{8};[12]$")
    for e in sim.events:
        assert re.fullmatch(r"\d{10}\.\d{6}", e["Timestamp"]), e
        for key in ("Uniqueid", "Linkedid", "DestUniqueid"):
            if key in e:
                assert uniqueid.match(e[key]), e
        for key in ("Channel", "DestChannel"):
            if key in e:
                assert local.match(e[key]), e
    stamps = [float(e["Timestamp"]) for e in sim.events]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)  # never two at one instant


def test_the_translator_reads_every_simulated_message_without_an_issue(busy_day):
    translator = Translator(strict=True)
    issues = [event for message in _simulated(busy_day) for event in translator.translate(message)
              if isinstance(event, TranslationIssue)]
    assert issues == []
