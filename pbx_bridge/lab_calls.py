"""Originate headers for the flows of the sample dialplan (config/asterisk/extensions.conf).

Pure functions: each returns the headers of one AMI Originate (Async), to send with any AMI
client. They are the dialplan's knobs in code form, shared by the test fixture and the
capture script so that both drive the lab the same way.
"""

from __future__ import annotations

SPY_MODES = ("listen", "whisper", "barge")


def _knob(name: str, value: object) -> list[str]:
    return [] if value is None else [f"{name}={value}"]


def customer(queue: str, *, talk: float | None = None, ring: float | None = None, wait: float = 60,
             csat: int | None = None, noanswer: str | None = None, timeout: float | None = None,
             callerid: str = "5550001", name: str = "Customer",
             talk_per_agent: dict[str, float] | None = None) -> dict[str, object]:
    """A customer calling `queue`: stays on the line `wait` s (hangs up earlier = abandon).

    talk/ring: what the answering agent does; csat: the survey score (None = no survey);
    noanswer: "1" for every agent or "1001&1003"; timeout: the queue's limit for this caller;
    talk_per_agent: {"1002": 2} overrides talk for one agent extension.
    """
    variables = (_knob("TALK", talk) + _knob("RING", ring) + _knob("CSAT", csat)
                 + _knob("NOANSWER", noanswer) + _knob("TIMEOUT", timeout))
    for ext, secs in (talk_per_agent or {}).items():
        variables.append(f"__TALK_{ext}={secs}")  # __: inherited by the agent channels
    headers: dict[str, object] = {
        "Channel": f"Local/{queue}@caller/n", "Application": "Wait", "Data": str(wait),
        "CallerID": f'"{name}" <{callerid}>', "Async": "true",
    }
    if variables:
        headers["Variable"] = variables
    return headers


def spy(phone: str, mode: str, agent_channel: str) -> dict[str, object]:
    """Ring the supervisor's phone `phone` (it answers at once), then ChanSpy on the agent.

    agent_channel: the agent's bridged channel, AgentConnect's DestChannel
    (Local/1001@agents-00000001;1).
    """
    if mode not in SPY_MODES:
        raise ValueError(f"spy mode must be one of {', '.join(SPY_MODES)}, not {mode!r}")
    return {"Channel": f"Local/{phone}@phones/n", "Context": "spy", "Exten": mode, "Priority": "1",
            "CallerID": f'"Supervisor" <{phone}>', "Variable": [f"SPY={agent_channel}"], "Async": "true"}


def outbound(phone: str, number: str, *, talk: float | None = None, ring: float | None = None,
             name: str = "Agent") -> dict[str, object]:
    """Ring the agent's phone `phone` (it answers at once), then dial `number` from it."""
    headers: dict[str, object] = {
        "Channel": f"Local/{phone}@phones/n", "Context": "outbound", "Exten": number, "Priority": "1",
        "CallerID": f'"{name}" <{phone}>', "Async": "true",
    }
    variables = _knob("TALK", talk) + _knob("RING", ring)
    if variables:
        headers["Variable"] = variables
    return headers


def agent_interface(extension: str) -> str:
    """The queue member interface of an agent extension (QueueAdd Interface=...)."""
    return f"Local/{extension}@agents/n"
