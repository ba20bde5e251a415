"""serve's resync after a login, with a stand-in AMI transport answering in Asterisk 22's shapes
(the lab tests run the same against the real PBX): the lists carry no SystemName, the live
events do, and both must name the same calls and queue entries."""

from __future__ import annotations

import time

from sqlmodel import select

from aiivr.models import Call, QueueEntry
from pbx_bridge.service import BridgeService

SYSTEM = "aiivr-lab"
LINKEDID, CALLER = "aiivr-lab-1795673118.0", "aiivr-lab-1795673118.1"


def channel_block(uniqueid: str, channel: str, linkedid: str = LINKEDID, **more) -> dict:
    return {"Channel": channel, "CallerIDNum": "5550001", "CallerIDName": "Customer", "Context": "caller",
            "Exten": "support", "Uniqueid": uniqueid, "Linkedid": linkedid, **more}


def live(event: str, ts: float, **headers) -> dict:
    return {"Event": event, "Timestamp": f"{ts:.6f}", "SystemName": SYSTEM, **headers}


class Asterisk:
    """Answers serve's login actions the way Asterisk 22 does; list items have no SystemName.

    Like the real transport it hands each message of a reply to `on_reply` as it is read.
    `after[action]`: live events read right after that action's reply, in the same chunk, so
    they reach `deliver` (serve's event handler) before the awaiting task resumes.
    """

    def __init__(self, *, core_settings: dict | None = None) -> None:
        self.sent: list[str] = []
        self.core_settings = core_settings or {"Response": "Success", "SystemName": SYSTEM, "AMIversion": "11.0.0"}
        self.channels = [(LINKEDID, "Local/support@caller-00000000;1", LINKEDID),
                         (CALLER, "Local/support@caller-00000000;2", LINKEDID)]
        self.after: dict[str, list[dict]] = {}
        self.deliver = None

    async def send(self, action, timeout=None, on_reply=None):
        reply = self._reply(action)
        for message in (reply if isinstance(reply, list) else [reply]):
            if on_reply is not None:
                on_reply(message)
        for event in self.after.get(action["Action"], []):
            self.deliver(event)
        return reply

    def _reply(self, action):
        name = action["Action"]
        self.sent.append(name)
        ok = {"Response": "Success", "EventList": "start", "ActionID": name}
        if name == "CoreSettings":
            return {**self.core_settings, "ActionID": name}
        if name == "QueueStatus":
            return [ok, {"Event": "QueueEntry", "Queue": "support", "Position": "1", "Wait": "3",
                         "ActionID": name, **channel_block(CALLER, "Local/support@caller-00000000;2")},
                    {"Event": "QueueStatusComplete", "EventList": "Complete", "ListItems": "1", "ActionID": name}]
        if name == "CoreShowChannels":
            items = [{"Event": "CoreShowChannel", "ActionID": name, "ChannelStateDesc": "Up", "Duration": "00:00:03",
                      **channel_block(uid, channel, linkedid)} for uid, channel, linkedid in self.channels]
            return [ok, *items, {"Event": "CoreShowChannelsComplete", "EventList": "Complete",
                                 "ListItems": str(len(items)), "ActionID": name}]
        raise AssertionError(f"unexpected action {name}")

    async def stop(self) -> None:
        pass


def resync_during_a_call(db, config, transport: Asterisk) -> BridgeService:
    service = BridgeService(config, db, components=[])
    service.transport = transport
    service.writer.start()
    now = time.time()
    # The call began while the login's resync was on its way (a loaded machine).
    service._on_message(live("Newchannel", now - 3, **channel_block(LINKEDID, "Local/support@caller-00000000;1")))
    service._on_message(live("Newchannel", now - 3, **channel_block(CALLER, "Local/support@caller-00000000;2")))
    service._on_message(live("QueueCallerJoin", now - 3, Queue="support", Position="1", Count="1",
                             **channel_block(CALLER, "Local/support@caller-00000000;2")))
    assert service.writer.flush(10)
    return service


async def resync(service: BridgeService, db) -> tuple[list[Call], list[QueueEntry]]:
    """serve's login resync, run to the end and stopped: what the recorder wrote."""
    try:
        await service._on_connected()
        assert service.writer.flush(10)
    finally:
        await service.stop()
    return recorded(db)


def recorded(db) -> tuple[list[Call], list[QueueEntry]]:
    with db.read() as session:
        return list(session.exec(select(Call))), list(session.exec(select(QueueEntry)))


async def test_a_call_live_at_the_resync_stays_one_call_with_one_entry(db, config):
    transport = Asterisk()
    service = resync_during_a_call(db, config, transport)
    calls, entries = await resync(service, db)
    # Without the PBX's SystemName the lists would make ("", linkedid) a second call (and a
    # second entry), and end the real one as "ended while away" although it is still live.
    assert [(c.system, c.linkedid, c.ended_at) for c in calls] == [(SYSTEM, LINKEDID, None)]
    assert [(e.system, e.uniqueid, e.queue, e.ended_at) for e in entries] == [(SYSTEM, CALLER, "support", None)]
    assert service.system == SYSTEM
    assert transport.sent == ["CoreSettings", "QueueStatus", "CoreShowChannels"]


async def test_without_core_settings_the_system_name_last_heard_is_used(db, config):
    transport = Asterisk(core_settings={"Response": "Error", "Message": "Permission denied"})
    service = resync_during_a_call(db, config, transport)
    calls, entries = await resync(service, db)
    assert [(c.system, c.ended_at) for c in calls] == [(SYSTEM, None)]
    assert [e.system for e in entries] == [SYSTEM]


async def test_events_read_just_after_a_resync_list_are_applied_after_it(db, config):
    """Asterisk builds each list at one moment; what happens later comes after the list in the
    stream. A caller who joined after the QueueStatus list, and a call that began after the
    CoreShowChannels list, were ended as "away" when the lists were applied behind them."""
    transport = Asterisk()
    service = resync_during_a_call(db, config, transport)
    transport.deliver = service._on_message
    now = time.time()
    joined, joined_caller = "aiivr-lab-1795673200.0", "aiivr-lab-1795673200.1"
    later = "aiivr-lab-1795673300.0"
    joined_channels = [(joined, "Local/sales@caller-00000001;1", joined),
                       (joined_caller, "Local/sales@caller-00000001;2", joined)]
    transport.channels += joined_channels  # begun before the CoreShowChannels list was built
    transport.after = {
        "QueueStatus": [*(live("Newchannel", now, **channel_block(uid, channel, linkedid))
                          for uid, channel, linkedid in joined_channels),
                        live("QueueCallerJoin", now, Queue="sales", Position="1", Count="1",
                             **channel_block(joined_caller, "Local/sales@caller-00000001;2", joined))],
        "CoreShowChannels": [live("Newchannel", now, **channel_block(later, "Local/1001@phones-00000002;1", later))],
    }
    calls, entries = await resync(service, db)
    assert sorted((c.linkedid, c.ended_at, c.end_cause) for c in calls) == [
        (LINKEDID, None, ""), (joined, None, ""), (later, None, "")]
    assert sorted((e.uniqueid, e.queue, e.outcome, e.ended_at) for e in entries) == [
        (CALLER, "support", "open", None), (joined_caller, "sales", "open", None)]
