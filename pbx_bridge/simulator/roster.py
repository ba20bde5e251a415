"""Who works in the simulated centre: queues, agents with their queues, supervisors.

The same roster seeds AIIVR's users in the demo (user name = member name, interface =
`Local/<ext>@agents/n`, extension = the phone), so every member the simulator reports maps
to a user, exactly as an admin would set it up with `aiivr user add --interface`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pbx_bridge.simulator.model import STRATEGIES

QUEUE_NAMES = ("support", "sales", "billing", "tech", "retention", "claims", "orders", "returns")
FIRST_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
               "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yvonne")
LAST_NAMES = ("Archer", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones")
SUPERVISORS = (("sue", "Sue Supervisor"), ("sam", "Sam Supervisor"), ("sky", "Sky Supervisor"))
FIRST_EXTENSION = 1001
FIRST_SUPERVISOR_EXTENSION = 9001
MAX_AGENTS = 8999 - FIRST_EXTENSION  # agent extensions are four digits, below the supervisors'


def agent_interface(extension: str) -> str:
    return f"Local/{extension}@agents/n"


@dataclass(frozen=True)
class AgentSpec:
    name: str
    full_name: str
    extension: str
    queues: tuple[tuple[str, int], ...]  # (queue, penalty): penalty 0 = main skill, 1 = overflow

    @property
    def interface(self) -> str:
        return agent_interface(self.extension)


@dataclass(frozen=True)
class PersonSpec:
    name: str
    full_name: str
    extension: str


@dataclass(frozen=True)
class Roster:
    queues: tuple[tuple[str, str], ...]  # (name, strategy)
    agents: tuple[AgentSpec, ...]
    supervisors: tuple[PersonSpec, ...]

    @property
    def queue_names(self) -> list[str]:
        return [name for name, _ in self.queues]


def queue_name(index: int) -> str:
    return QUEUE_NAMES[index] if index < len(QUEUE_NAMES) else f"q{index + 1:03d}"


def agent_name(index: int) -> tuple[str, str]:
    """(user name, full name): the familiar names first, then agent0021, agent0022..."""
    if index < len(FIRST_NAMES):
        first = FIRST_NAMES[index]
        return first, f"{first.title()} {LAST_NAMES[index % len(LAST_NAMES)]}"
    return f"agent{index + 1:04d}", f"Agent {index + 1}"


def build_roster(agents: int = 8, queues: int = 2) -> Roster:
    """Queues take the strategies in turn (rrmemory, ringall, leastrecent). Each agent has a
    main queue (penalty 0), spread evenly; two in three also take overflow from the next
    queue (penalty 1: rung only when that queue's main agents are all busy)."""
    if not 1 <= queues <= 999:
        raise ValueError(f"queues must be 1-999, not {queues}")
    if not 1 <= agents <= MAX_AGENTS:
        raise ValueError(f"agents must be 1-{MAX_AGENTS}, not {agents}")
    order = ("rrmemory", "ringall", "leastrecent")
    assert set(order) == set(STRATEGIES)
    queue_list = tuple((queue_name(i), order[i % 3]) for i in range(queues))
    specs = []
    for i in range(agents):
        main = queue_list[i % queues][0]
        member_of = [(main, 0)]
        if queues > 1 and i % 3 != 2:
            member_of.append((queue_list[(i + 1) % queues][0], 1))
        name, full = agent_name(i)
        specs.append(AgentSpec(name=name, full_name=full, extension=str(FIRST_EXTENSION + i),
                               queues=tuple(member_of)))
    supervisors = tuple(PersonSpec(name, full, str(FIRST_SUPERVISOR_EXTENSION + i))
                        for i, (name, full) in enumerate(SUPERVISORS[: max(1, min(3, agents // 8 + 1))]))
    return Roster(queues=queue_list, agents=tuple(specs), supervisors=supervisors)
