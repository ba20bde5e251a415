"""The recorder's handlers for queue members: membership, pauses and device state, which make
an agent's status. Mixed into Recorder."""

from __future__ import annotations

from aiivr import events as ev
from aiivr.recorder.agent_state import BUSY_DEVICE
from aiivr.recorder.expectations import Expectations
from aiivr.recorder.snapshots import Snapshots
from aiivr.recorder.store import Store


class MemberHandlers:
    store: Store
    snapshots: Snapshots
    expected: Expectations

    def _on_member(self, e: ev.MemberState) -> None:
        self.snapshots.upsert_member(e)
        if self.store.is_stale(e.interface, e.ts):
            return
        state = self.store.agent(e.interface, e.member_name)
        state.set_member(e.queue, True)
        who = self.expected.who(e)
        if e.paused is not None:
            state.set_paused(e.queue, e.paused, e.paused_reason, by=who)
        if e.device_state is not None:
            # Busy outside a queue call (in_call false) means the agent dialled out or
            # took a direct call: on_call from the device state (docs/call-model.md).
            state.device_busy = (e.device_state in BUSY_DEVICE and not e.in_call
                                 and not state.ringing and state.call_uniqueid is None)
        self.store.sync_status(state, e.ts, set_by=who)

    def _on_member_removed(self, e: ev.MemberRemoved) -> None:
        self.snapshots.delete_member(e.queue, e.interface)
        if self.store.is_stale(e.interface, e.ts):
            return
        state = self.store.agent(e.interface, e.member_name)
        state.set_member(e.queue, False)
        self.store.sync_status(state, e.ts, set_by=self.expected.who(e))
