"""Who rings: queue strategies, penalties, pauses and moves that really change routing,
ring-no-answer and the queue's own timeout. Scripted with the lab's customer Originate and
knobs (TALK, RING, NOANSWER, TIMEOUT) on a centre with no traffic of its own."""

from __future__ import annotations

from tests.unit.simulator_helpers import Sim, customer, quiet, roster

ALICE, BOB, CAROL = (f"Local/{n}@agents/n" for n in (1001, 1002, 1003))


def _sim(queues: dict[str, str], members: dict[str, list[str]], **profile) -> Sim:
    return Sim(roster=roster(queues, members), profile=quiet(**profile), self_wrapup=False)


def _rung(sim: Sim, **match) -> list[str]:
    return [e["Interface"] for e in sim.named("AgentCalled", **match)]


def test_rrmemory_takes_the_members_in_turn():
    sim = _sim({"support": "rrmemory"}, {"alice": ["support"], "bob": ["support"], "carol": ["support"]})
    for start in (1, 20, 40, 60):
        customer(sim, TALK=3)
        sim.run(start + 15)
    assert _rung(sim) == [ALICE, BOB, CAROL, ALICE]


def test_ringall_rings_every_free_member_and_the_first_answer_wins():
    sim = _sim({"sales": "ringall"}, {"alice": ["sales"], "bob": ["sales"], "carol": ["sales"]})
    customer(sim, "sales", TALK=3)
    sim.run(10)
    assert sorted(_rung(sim)) == [ALICE, BOB, CAROL]
    connects = sim.named("AgentConnect")
    assert len(connects) == 1
    cancelled = sim.named("DialEnd", DialStatus="CANCEL")
    assert len(cancelled) == 2 and connects[0]["DestChannel"] not in {e["DestChannel"] for e in cancelled}
    assert sim.named("AgentRingNoAnswer") == []  # a ring cut short is not a miss


def test_leastrecent_offers_the_member_idle_longest():
    sim = _sim({"billing": "leastrecent"}, {"alice": ["billing"], "bob": ["billing"], "carol": ["billing"]})
    for start in (1, 20, 40):
        customer(sim, "billing", TALK=3)
        sim.run(start + 15)
    assert _rung(sim) == [ALICE, BOB, CAROL]  # each time the one whose last call is oldest
    customer(sim, "billing", TALK=3)
    sim.run(80)
    assert _rung(sim)[-1] == ALICE


def test_a_paused_member_is_skipped_and_rings_again_once_unpaused():
    sim = _sim({"support": "rrmemory"}, {"alice": ["support"], "bob": ["support"]})
    for who in (ALICE, BOB):
        reply = sim.act(Action="QueuePause", Interface=who, Paused="true", Reason="lunch")
        assert reply[0]["Message"] == "Interface paused successfully"
    customer(sim, TALK=3)
    sim.run(20)
    assert _rung(sim) == []  # nobody to ring: the caller waits
    sim.act(Action="QueuePause", Interface=BOB, Paused="false")
    sim.run(21)
    assert _rung(sim) == [BOB]


def test_a_pause_in_one_queue_only_stops_that_queue_only():
    sim = _sim({"support": "rrmemory", "sales": "rrmemory"}, {"alice": ["support", "sales"]})
    sim.act(Action="QueuePause", Interface=ALICE, Queue="support", Paused="true", Reason="case_work")
    customer(sim, "support", stay=8)
    sim.run(10)
    assert _rung(sim) == []
    customer(sim, "sales", TALK=2)
    sim.run(20)
    assert _rung(sim, Queue="sales") == [ALICE]


def test_moves_change_routing():
    sim = _sim({"support": "rrmemory", "sales": "rrmemory"}, {"alice": ["support"], "bob": ["support"]})
    removed = sim.act(Action="QueueRemove", Queue="support", Interface=ALICE)
    added = sim.act(Action="QueueAdd", Queue="sales", Interface=ALICE, MemberName="alice")
    assert (removed[0]["Message"], added[0]["Message"]) == ("Removed interface from queue", "Added interface to queue")
    for start in (1, 20):
        customer(sim, "support", TALK=2)
        sim.run(start + 15)
    customer(sim, "sales", TALK=2)
    sim.run(60)
    assert _rung(sim, Queue="support") == [BOB, BOB]
    assert _rung(sim, Queue="sales") == [ALICE]


def test_penalty_keeps_a_member_for_overflow():
    sim = _sim({"support": "rrmemory"}, {"alice": ["support"], "bob": ["support"]})
    assert sim.act(Action="QueuePenalty", Interface=ALICE, Penalty="1")[0]["Message"] == \
        "Interface penalty set successfully"
    customer(sim, TALK=30)  # bob takes it and stays busy
    sim.run(5)
    customer(sim, TALK=3)  # only alice is left: the overflow member rings now
    sim.run(15)
    assert _rung(sim) == [BOB, ALICE]
    status = [e for e in sim.named("QueueMemberStatus", Interface=ALICE)]
    assert status and status[-1]["Penalty"] == "1"  # the next status carries the new penalty


def test_ring_no_answer_then_the_next_member():
    sim = _sim({"support": "rrmemory"}, {"alice": ["support"], "bob": ["support"]})
    customer(sim, TALK=2, NOANSWER="1001")
    sim.run(20)
    assert _rung(sim) == [ALICE, BOB]
    missed = sim.named("AgentRingNoAnswer")
    assert [(e["Interface"], e["RingTime"]) for e in missed] == [(ALICE, "5000")]  # milliseconds, as Asterisk
    connect = sim.named("AgentConnect")[0]
    assert connect["Interface"] == BOB and connect["RingTime"] == "1"  # seconds here
    assert float(sim.named("AgentCalled")[1]["Timestamp"]) - float(missed[0]["Timestamp"]) >= 1.0  # retry


def test_the_queues_own_timeout_looks_like_asterisk_22s():
    sim = _sim({"support": "rrmemory"}, {"alice": ["support"]})
    sim.act(Action="QueuePause", Interface=ALICE, Paused="true", Reason="lunch")
    customer(sim, TIMEOUT=4, stay=30)
    sim.run(40)
    names = [e["Event"] for e in sim.events if e.get("Uniqueid") == sim.named("QueueCallerJoin")[0]["Uniqueid"]]
    tail = names[names.index("QueueCallerJoin"):]
    assert tail[:4] == ["QueueCallerJoin", "QueueCallerAbandon", "QueueCallerLeave", "VarSet"]
    assert sim.named("VarSet", Variable="QUEUESTATUS")[0]["Value"] == "TIMEOUT"
    assert sim.named("QueueCallerAbandon")[0]["HoldTime"] == "4"


def test_a_caller_who_hangs_up_while_waiting_abandons():
    sim = _sim({"support": "rrmemory"}, {"alice": ["support"]})
    customer(sim, stay=3, NOANSWER="all")
    sim.run(10)
    abandon = sim.named("QueueCallerAbandon")
    assert len(abandon) == 1 and abandon[0]["HoldTime"] == "3"
    assert sim.named("VarSet", Variable="QUEUESTATUS") == []  # the caller is gone: no status
    to_alice = [e["DialStatus"] for e in sim.named("DialEnd") if e.get("DestChannel", "").startswith("Local/1001")]
    assert to_alice == ["CANCEL"]
