"""Driving the simulated centre in tests without a socket: a World plus the action handler the
server uses, and readers that check rules against the AMI event stream alone (what AIIVR sees),
not against the simulator's own bookkeeping."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pbx_bridge.simulator.actions import ActionHandler, AmiSession
from pbx_bridge.simulator.roster import AgentSpec, PersonSpec, Roster, build_roster
from pbx_bridge.simulator.traffic import Profile, demo_profile
from pbx_bridge.simulator.world import World

START = 1_800_000_000.0  # a fixed start, so two runs can be compared event by event


class Sim:
    """A World with a logged-in AMI session: act() is an AMI action, run() lets time pass."""

    def __init__(self, *, agents: int = 8, queues: int = 2, seed: int = 7, profile: Profile | None = None,
                 arrivals: bool = True, self_wrapup: bool = True, roster: Roster | None = None,
                 **world_options) -> None:
        self.world = World(roster or build_roster(agents, queues), profile or demo_profile(agents), seed=seed,
                           start_epoch=START, arrivals=arrivals, self_wrapup=self_wrapup, keep_finished=True,
                           **world_options)
        self.handler = ActionHandler(self.world, "aiivr", "secret")
        self.session = AmiSession()
        self.replies: list[dict] = []
        assert self.act(Action="Login", Username="aiivr", Secret="secret")[0]["Response"] == "Success"

    @property
    def events(self) -> list[dict]:
        return self.world.events

    def act(self, **headers) -> list[dict]:
        headers.setdefault("ActionID", f"test-{self.handler.handled + 1}")  # as every real client does
        replies = self.handler.handle(self.session, headers)
        self.replies.extend(replies)
        return replies

    def run(self, until: float) -> None:
        self.world.run_until(until)

    def named(self, name: str, **match) -> list[dict]:
        return [e for e in self.events if e["Event"] == name and all(e.get(k) == v for k, v in match.items())]


def roster(queues: dict[str, str], members: dict[str, list[str]]) -> Roster:
    """A hand-made centre: queues {name: strategy}, members {person: [queue, ...]}; people are
    alice=1001, bob=1002, carol=1003... in the order given."""
    agents = tuple(AgentSpec(name, name.title(), str(1001 + i), tuple((q, 0) for q in qs))
                   for i, (name, qs) in enumerate(members.items()))
    return Roster(queues=tuple(queues.items()), agents=agents, supervisors=(PersonSpec("sue", "Sue", "9001"),))


def customer(sim: "Sim", queue: str = "support", *, stay: float = 120, **knobs) -> str:
    """The lab's customer: Originate Local/<queue>@caller/n, Wait <stay>; returns its ActionID."""
    action_id = f"customer-{sim.handler.handled + 1}"
    variables = [f"{k}={v}" for k, v in knobs.items()]
    sim.act(Action="Originate", Channel=f"Local/{queue}@caller/n", Application="Wait", Data=str(stay),
            Variable=variables, Async="true", ActionID=action_id)
    return action_id


def quiet(**changes) -> Profile:
    """No traffic of its own and no breaks: only what the test asks for happens."""
    return Profile(arrivals_per_second=0.0, breaks_per_hour=0.0, initial_break_fraction=0.0,
                   opening_callers_per_agent=0.0, no_answer_probability=0.0, **changes)


@dataclass
class StreamCheck:
    """Rules checked by reading the AMI stream in order, the way a consumer would."""

    violations: list[str] = field(default_factory=list)
    agent_calls: int = 0
    pauses: int = 0

    def run(self, events: list[dict]) -> "StreamCheck":
        paused: dict[tuple[str, str], bool] = {}
        occupied: dict[str, str] = {}  # interface -> the agent channel's Uniqueid, until it hangs up
        occupant_of: dict[str, str] = {}  # that Uniqueid -> interface
        phone_of: dict[str, str] = {}  # a phone channel's Uniqueid -> its extension
        phones_busy: dict[str, int] = defaultdict(int)  # extension -> live phone channels
        for e in events:
            name = e["Event"]
            if name in ("QueueMemberAdded", "QueueMemberPause", "QueueMemberStatus", "QueueMemberRemoved"):
                key = (e["Queue"], e["Interface"])
                paused[key] = name != "QueueMemberRemoved" and e["Paused"] == "1"
                if name == "QueueMemberPause" and e["Paused"] == "1":
                    self.pauses += 1
            elif name == "AgentCalled":
                self.agent_calls += 1
                interface, queue = e["Interface"], e["Queue"]
                if paused.get((queue, interface)):
                    self.violations.append(f"{e['Timestamp']}: paused {interface} offered a call in {queue}")
                if interface in occupied:
                    self.violations.append(f"{e['Timestamp']}: {interface} offered a second call")
                extension = interface.split("/", 1)[1].split("@", 1)[0]
                if phones_busy[extension]:
                    self.violations.append(f"{e['Timestamp']}: {interface} offered a call while on its phone")
                occupied[interface] = e["DestUniqueid"]
                occupant_of[e["DestUniqueid"]] = interface
            elif name == "Newchannel" and e["Context"] == "phones":
                phone_of[e["Uniqueid"]] = e["Exten"]
                phones_busy[e["Exten"]] += 1
            elif name == "Hangup":
                interface = occupant_of.pop(e["Uniqueid"], None)
                if interface is not None:
                    occupied.pop(interface, None)
                extension = phone_of.pop(e["Uniqueid"], None)
                if extension is not None:
                    phones_busy[extension] -= 1
        return self


def outcomes_from_stream(events: list[dict]) -> dict[str, str]:
    """Each caller's queue entry outcome, from the events alone (docs/call-model.md's rules):
    answered = AgentConnect; timed out = QueueCallerAbandon then QUEUESTATUS=TIMEOUT;
    abandoned = QueueCallerAbandon without it."""
    joined: dict[str, str] = {}
    for e in events:
        name = e["Event"]
        uid = e.get("Uniqueid")
        if name == "QueueCallerJoin":
            joined[uid] = "open"
        elif name == "AgentConnect" and joined.get(uid) == "open":
            joined[uid] = "answered"
        elif name == "QueueCallerAbandon" and joined.get(uid) == "open":
            joined[uid] = "abandoned"
        elif name == "VarSet" and e.get("Variable") == "QUEUESTATUS" and e.get("Value") == "TIMEOUT":
            if joined.get(uid) == "abandoned":
                joined[uid] = "timed_out"
    return joined
