"""Domain commands (outbox rows) -> the AMI actions that carry them out, and what
Asterisk's replies mean.

Pure: a command's payload (written by aiivr.services.live_ops) holds everything needed,
so building the actions needs no database and a unit test checks every header. The
replies' wording is Asterisk 22's (measured in the lab; tests/unit/test_ami_actions.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The channel variable AIIVR sets on every Originate (pbx_bridge.translator reads it back).
ORIGIN_VARIABLE = "AIIVR_ORIGIN"
#: ChanSpy options per monitor mode, as the dialplan's [monitor] context must run them:
#: q quiet (no beep), E leave when the spied channel hangs up, b only a bridged channel
#: (never the ;2 half of a Local agent), w whisper to the agent, B barge (talk to both).
#: ChanSpy events look the same in every mode: the mode is the Originate's exten.
SPY_OPTIONS = {"listen": "qEb", "whisper": "qEbw", "barge": "qEbB"}
# Originate's Timeout header: how long AIIVR lets a person's phone ring (ms).
DEFAULT_RING_MS = 30_000
# Asterisk's OriginateResponse Reason (control frame codes).
ORIGINATE_REASONS = {0: "no such phone or it is unavailable", 1: "hung up", 3: "rang with no answer",
                     4: "answered", 5: "busy", 8: "congested"}


@dataclass(frozen=True)
class Step:
    """One AMI action of a command.

    tolerate: error messages that mean "already as wanted" (adding a member that is
    there), counted as success; then: the follow-up sent only in that case (set the
    penalty of the member that was already there).
    """

    action: dict[str, Any]
    label: str = ""
    tolerate: tuple[str, ...] = ()
    then: "Step | None" = None

    @property
    def name(self) -> str:
        return str(self.action["Action"])


@dataclass(frozen=True)
class StepResult:
    ok: bool
    text: str
    tolerated: bool = False
    outcome: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- builders

def queue_add(queue: str, interface: str, member_name: str, state_interface: str, penalty: int) -> Step:
    return Step({"Action": "QueueAdd", "Queue": queue, "Interface": interface, "MemberName": member_name,
                 "StateInterface": state_interface, "Penalty": str(penalty), "Paused": "false"},
                label=queue, tolerate=("Already there",), then=queue_penalty(queue, interface, penalty))


def queue_remove(queue: str, interface: str) -> Step:
    return Step({"Action": "QueueRemove", "Queue": queue, "Interface": interface}, label=queue,
                tolerate=("Not there",))


def queue_pause(interface: str, paused: bool, reason: str = "") -> Step:
    """No Queue header: Asterisk pauses the member in every queue it is in (one
    QueueMemberPause per queue, queue_log PAUSEALL plus one PAUSE per queue)."""
    action = {"Action": "QueuePause", "Interface": interface, "Paused": "true" if paused else "false"}
    if reason:
        action["Reason"] = reason
    return Step(action)


def queue_penalty(queue: str, interface: str, penalty: int) -> Step:
    return Step({"Action": "QueuePenalty", "Queue": queue, "Interface": interface, "Penalty": str(penalty)},
                label=queue)


def hangup(channel: str) -> Step:
    # The channel may be gone already (the call ended and ChanSpy's E left): nothing to stop.
    return Step({"Action": "Hangup", "Channel": channel}, tolerate=("No such channel",))


def originate(channel: str, context: str, exten: str, *, caller_id: str, origin: str,
              variables: dict[str, str] | None = None, ring_ms: int = DEFAULT_RING_MS) -> Step:
    """Ring `channel` (a person's phone); when answered, run exten@context on it."""
    assigned = {ORIGIN_VARIABLE: origin, **(variables or {})}
    return Step({"Action": "Originate", "Channel": channel, "Context": context, "Exten": exten, "Priority": "1",
                 "CallerID": caller_id, "Timeout": str(ring_ms), "Async": "true",
                 "Variable": [f"{k}={v}" for k, v in assigned.items()]})


def _spy(p: dict[str, Any]) -> list[Step]:
    mode = p["mode"]
    if mode not in SPY_OPTIONS:
        raise ValueError(f"unknown monitor mode {mode!r}")
    # One session per supervisor: switching mode (or agent) ends the running one first.
    steps = [hangup(p["hangup"])] if p.get("hangup") else []
    steps.append(originate(p["channel"], p["context"], mode, caller_id=p["caller_id"], origin="monitor",
                           variables={"SPY": p["spy_channel"]}))
    return steps


def _memberships(p: dict[str, Any]) -> list[Step]:
    return [queue_add(m["queue"], p["interface"], p["member_name"], p["state_interface"], int(m["penalty"]))
            for m in p["queues"]]


def _move(p: dict[str, Any]) -> list[Step]:
    steps = [queue_add(p["to"], p["interface"], p["member_name"], p["state_interface"], int(p["penalty"]))]
    if p.get("from"):
        steps.append(queue_remove(p["from"], p["interface"]))
    return steps


def _dial(p: dict[str, Any]) -> list[Step]:
    return [originate(p["channel"], p["context"], p["number"], caller_id=p["caller_id"], origin=p["origin"])]


BUILDERS = {
    "agent.login": _memberships,
    "agent.logout": lambda p: [queue_remove(q, p["interface"]) for q in p["queues"]],
    "agent.pause": lambda p: [queue_pause(p["interface"], True, p["reason"])],
    "agent.unpause": lambda p: [queue_pause(p["interface"], False)],
    "agent.ready": lambda p: [queue_pause(p["interface"], False)],
    "agent.move": _move,
    "monitor.listen": _spy,
    "monitor.whisper": _spy,
    "monitor.barge": _spy,
    "monitor.stop": lambda p: [hangup(p["hangup"])],
    "call.dial": _dial,
    "call.callback": _dial,
}


def steps_for(action: str, payload: dict[str, Any]) -> list[Step]:
    try:
        build = BUILDERS[action]
    except KeyError:
        raise ValueError(f"no AMI actions for outbox command {action!r}") from None
    return build(payload)


# ---------------------------------------------------------------------------- replies

def interpret(step: Step, reply: Any) -> StepResult:
    """What Asterisk said to one step. An async Originate's reply is [Response,
    OriginateResponse]: queued is not enough, the phone must answer."""
    if isinstance(reply, list):
        first = reply[0] if reply else {}
        if first.get("Response") != "Success":
            return StepResult(False, _message(first))
        final = next((m for m in reply if m.get("Event") == "OriginateResponse"), None)
        if final is None:
            return StepResult(False, "Asterisk queued the call but sent no OriginateResponse")
        channel = str(final.get("Channel", ""))
        if final.get("Response") != "Success":
            code = _int(final.get("Reason"))
            why = ORIGINATE_REASONS.get(code, f"reason {code}") if code is not None else "failed"
            return StepResult(False, f"{channel or step.action.get('Channel')}: {why}")
        return StepResult(True, f"{channel} answered",
                          outcome={"channel": channel, "uniqueid": str(final.get("Uniqueid", ""))})
    message = _message(reply)
    if reply.get("Response") == "Success":
        return StepResult(True, message)
    if any(t.lower() in message.lower() for t in step.tolerate):
        return StepResult(True, message, tolerated=True)
    return StepResult(False, message)


def _message(reply: Any) -> str:
    if not isinstance(reply, dict):
        return f"unexpected reply {reply!r}"
    return str(reply.get("Message") or reply.get("Response") or "no message")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
