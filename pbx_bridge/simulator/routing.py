"""Which members a waiting caller rings, per queue strategy (app_queue's rules, simplified).

Only members that can take a call are offered: not paused in this queue, not busy with a
ring or a call anywhere (ringinuse = no), and past the wrap-up time since their last call in
any queue (shared_lastcall = yes). Among those, the lowest penalty wins: a penalty-1
(overflow) member rings only when no penalty-0 member can.
"""

from __future__ import annotations

from pbx_bridge.simulator.model import Member, Queue


def can_take_call(member: Member, now: float, wrapuptime: float) -> bool:
    agent = member.agent
    return not member.paused and agent.busy is None and now >= agent.last_call_end + wrapuptime


def choose(queue: Queue, available: list[Member]) -> list[Member]:
    """The members to ring for one caller, from those that can take a call."""
    if not available:
        return []
    lowest = min(m.penalty for m in available)
    tier = [m for m in available if m.penalty == lowest]
    if queue.strategy == "ringall":
        return tier
    if queue.strategy == "leastrecent":
        return [min(tier, key=lambda m: m.agent.last_call_end)]  # ties: the earlier member
    # rrmemory: the next member after the one rung last, in the order they joined.
    order = list(queue.members)
    start = order.index(queue.rr_last) + 1 if queue.rr_last in queue.members else 0
    candidates = {m.agent.interface: m for m in tier}
    for step in range(len(order)):
        interface = order[(start + step) % len(order)]
        if interface in candidates:
            queue.rr_last = interface
            return [candidates[interface]]
    return []
