"""What status an agent is in, from what Asterisk said about its interface.

Pure and small on purpose: the recorder feeds it facts (membership, pauses, ringing,
calls, device state) and asks for the status; docs/call-model.md states the rules.
Precedence: offline (in no queue), then on a queue call, ringing, busy device (a call
of its own, e.g. dialling out), wrap_up/paused, online.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiivr.events import AFTER_CALL_WORK_REASON, DeviceState

BUSY_DEVICE = {DeviceState.INUSE, DeviceState.BUSY, DeviceState.ONHOLD, DeviceState.RINGINUSE}


@dataclass
class InterfaceState:
    interface: str
    member_name: str = ""
    queues: set[str] = field(default_factory=set)
    paused: dict[str, str] = field(default_factory=dict)  # queue -> reason ("" when none given)
    ringing: set[str] = field(default_factory=set)  # caller uniqueids being offered to this agent
    call_uniqueid: str | None = None  # the caller leg of the queue call the agent is on
    call_linkedid: str | None = None
    agent_channel: str | None = None  # the agent's bridged channel (for ChanSpy)
    device_busy: bool = False
    # Who asked for the latest pause: a pause taken during a call shows only when the call
    # ends, and that status row still names who asked for it.
    paused_by: str = "pbx"

    def status(self) -> tuple[str, str | None]:
        """(status, pause reason or None)."""
        if not self.queues:
            return "offline", None
        if self.call_uniqueid is not None:
            return "on_call", None
        if self.ringing:
            # A Local-channel agent's device shows "in use" while it rings: ringing wins.
            return "ringing", None
        if self.device_busy:
            return "on_call", None
        if self.paused and self.queues <= self.paused.keys():
            # Paused everywhere it is a member: AIIVR pauses all queues at once. A pause in
            # one queue only (made on the PBX by hand) still leaves it taking calls.
            reason = _one_reason(self.paused)
            return ("wrap_up" if reason == AFTER_CALL_WORK_REASON else "paused"), reason or None
        return "online", None

    def set_member(self, queue: str, present: bool) -> None:
        if present:
            self.queues.add(queue)
        else:
            self.queues.discard(queue)
            self.paused.pop(queue, None)

    def set_paused(self, queue: str, paused: bool, reason: str, *, by: str = "pbx") -> None:
        if paused:
            self.paused[queue] = reason
            self.paused_by = by
        else:
            self.paused.pop(queue, None)


def _one_reason(paused: dict[str, str]) -> str:
    # AIIVR pauses an agent in all its queues with one reason; if queues disagree (a pause
    # made on the PBX by hand), after-call work wins, then any named reason.
    reasons = set(paused.values())
    if AFTER_CALL_WORK_REASON in reasons:
        return AFTER_CALL_WORK_REASON
    named = sorted(r for r in reasons if r)
    return named[0] if named else ""
