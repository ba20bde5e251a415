"""The list actions' items (QueueStatus, QueueSummary, CoreShowChannels), shaped like
Asterisk 22's: no Privilege, Timestamp or SystemName, the ActionID on every item (the
transport matches them to the action by it), and a `...Complete` item with the count.

CoreShowChannel is the one item no capture holds (the captures' CoreShowChannels ran with no
live channel); its headers are Asterisk 22's: the channel block, BridgeId, Application,
ApplicationData, Duration (manager_channels.c), which is what the translator reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbx_bridge.simulator.events import Event, channel_block, member_values

if TYPE_CHECKING:
    from pbx_bridge.simulator.world import World

_QUEUE_MEMBER_FIELDS = ("Queue", "Name", "Location", "StateInterface", "Membership", "Penalty", "CallsTaken",
                        "LastCall", "LastPause", "LoginTime", "InCall", "Status", "Paused", "PausedReason")


def _perf(hits: int, total: int) -> str:
    return f"{(100.0 * hits / total) if total else 0.0:.1f}"


def queue_status(world: "World", action_id: str, queue: str = "", member: str = "") -> list[Event]:
    items: list[Event] = []
    now = world.now
    for q in world.queues.values():
        if queue and q.name != queue:
            continue
        items.append({"Event": "QueueParams", "Queue": q.name, "Max": "0", "Strategy": q.strategy,
                      "Calls": str(len(q.waiting)), "Holdtime": str(int(round(q.holdtime))),
                      "TalkTime": str(int(round(q.talktime))), "Completed": str(q.completed),
                      "Abandoned": str(q.abandoned), "ServiceLevel": str(q.service_level),
                      "ServicelevelPerf": _perf(q.completed_in_sl, q.completed),
                      "ServicelevelPerf2": _perf(q.completed_in_sl, q.completed + q.abandoned),
                      "Weight": "0", "ActionID": action_id})
        for m in q.members.values():
            if member and member not in (m.agent.interface, m.agent.name):
                continue
            item = {"Event": "QueueMember"}
            item.update(zip(_QUEUE_MEMBER_FIELDS, member_values(m)))
            item.update(Wrapuptime="0", ActionID=action_id)
            items.append(item)
        for position, call in enumerate(q.waiting, start=1):
            two = call.two
            items.append({"Event": "QueueEntry", "Queue": q.name, "Position": str(position), "Channel": two.name,
                          "Uniqueid": two.uniqueid, "CallerIDNum": two.cid_num, "CallerIDName": two.cid_name,
                          "ConnectedLineNum": two.conn_num, "ConnectedLineName": two.conn_name,
                          "Wait": str(int(now - call.joined)), "Priority": "0", "ActionID": action_id})
    return items


def queue_summary(world: "World", action_id: str, queue: str = "") -> list[Event]:
    items: list[Event] = []
    now = world.now
    for q in world.queues.values():
        if queue and q.name != queue:
            continue
        available = sum(1 for m in q.members.values() if not m.paused and m.agent.busy is None)
        longest = int(now - q.waiting[0].joined) if q.waiting else 0
        items.append({"Event": "QueueSummary", "Queue": q.name, "LoggedIn": str(len(q.members)),
                      "Available": str(available), "Callers": str(len(q.waiting)),
                      "HoldTime": str(int(round(q.holdtime))), "TalkTime": str(int(round(q.talktime))),
                      "LongestHoldTime": str(longest), "ActionID": action_id})
    return items


def core_show_channels(world: "World", action_id: str) -> list[Event]:
    items: list[Event] = []
    now = world.now
    for ch in world.channels.values():
        seconds = int(now - ch.created)
        item = {"Event": "CoreShowChannel", "ActionID": action_id}
        item.update(channel_block(ch))
        item.update(BridgeId=ch.bridge, Application=ch.application, ApplicationData=ch.app_data,
                    Duration=f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}")
        items.append(item)
    return items


def complete(name: str, action_id: str, count: int) -> Event:
    return {"Event": name, "ActionID": action_id, "EventList": "Complete", "ListItems": str(count)}
