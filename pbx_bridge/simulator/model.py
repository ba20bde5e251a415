"""The things the simulated centre is made of: channels, agents, queue members, queues.

Plain mutable objects; the world changes them and the event builders read them. Names follow
the lab's dialplan (config/asterisk/extensions.conf), so what the simulator says looks like
what the lab's Asterisk says: customers are `Local/<queue>@caller-XXXXXXXX;1/;2`, agents are
dynamic members `Local/<ext>@agents/n` whose bridged channel is `Local/<ext>@agents-XXXXXXXX;1`,
phones (supervisors listening, agents dialling out) are `Local/<ext>@phones-XXXXXXXX;1/;2`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Asterisk channel states as AMI shows them (ChannelState / ChannelStateDesc).
DOWN, RING, RINGING, UP = 0, 4, 5, 6
STATE_DESC = {DOWN: "Down", RING: "Ring", RINGING: "Ringing", UP: "Up"}
UNKNOWN = "<unknown>"

# Queue member device states (QueueMemberStatus.Status). Local-channel agents only ever show
# these two: in use while ringing too (docs/lab.md).
NOT_INUSE, INUSE = 1, 2

STRATEGIES = ("ringall", "rrmemory", "leastrecent")


@dataclass(slots=True, eq=False)
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    created: float  # simulated second
    state: int = DOWN
    priority: int = 1
    cid_num: str = UNKNOWN
    cid_name: str = UNKNOWN
    conn_num: str = UNKNOWN
    conn_name: str = UNKNOWN
    application: str = ""
    app_data: str = ""
    bridge: str = ""
    # The flow this channel belongs to; it decides what an AMI Hangup of this channel means.
    owner: object = None


@dataclass(slots=True, eq=False)
class Agent:
    """A person at a phone: one interface, member of several queues, one call at a time."""

    extension: str
    name: str  # the member name, = the AIIVR user name
    full_name: str
    interface: str
    members: dict[str, "Member"] = field(default_factory=dict)  # queue name -> membership
    busy: object = None  # the ring, queue call or outbound call occupying the agent
    last_call_end: float = -1e9  # simulated second; wrapuptime counts from here (shared_lastcall)
    last_call_epoch: int = 0
    on_break: str | None = None  # the reason of a break the person itself took

    @property
    def free(self) -> bool:
        return self.busy is None


@dataclass(slots=True, eq=False)
class Member:
    queue: "Queue"
    agent: Agent
    penalty: int = 0
    paused: bool = False
    paused_reason: str = ""
    last_pause: int = 0  # epoch seconds
    login_time: int = 0
    calls_taken: int = 0
    in_call: bool = False

    @property
    def status(self) -> int:
        return INUSE if self.agent.busy is not None else NOT_INUSE


@dataclass(slots=True, eq=False)
class Queue:
    name: str
    strategy: str
    members: dict[str, Member] = field(default_factory=dict)  # interface -> member, in join order
    waiting: list = field(default_factory=list)  # QueueCall, in position order
    rr_last: str | None = None  # rrmemory: the interface rung last
    # What QueueParams / QueueSummary report.
    completed: int = 0
    abandoned: int = 0
    completed_in_sl: int = 0
    holdtime: float = 0.0  # Asterisk's running average: (old * 3 + new) / 4
    talktime: float = 0.0
    service_level: int = 20

    def position_of(self, call) -> int:
        return self.waiting.index(call) + 1
