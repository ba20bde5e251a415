"""The AMI actions the simulator answers, with Asterisk 22's replies and error messages.

`handle()` returns the replies for the client that sent the action, in order; the events the
action caused go to every client through the world's sink, after the replies (a QueueAdd's
"Added interface to queue" comes before its QueueMemberAdded, as in the captures). Header
names are matched case-insensitively, as Asterisk does. Actions the simulator does not model
are refused with a clear Error reply rather than a pretend Success.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pbx_bridge.simulator import lists
from pbx_bridge.simulator.events import Event, fully_booted
from pbx_bridge.simulator.originate import originate

if TYPE_CHECKING:
    from pbx_bridge.simulator.world import World

AMI_VERSION = "11.0.0"  # what Asterisk 22 announces: "Asterisk Call Manager/11.0.0"
ASTERISK_VERSION = "22.10.1 (AIIVR simulator)"
_TRUE = {"yes", "true", "y", "t", "1", "on"}  # Asterisk's ast_true()
_OPEN_ACTIONS = {"login", "logoff", "challenge", "ping"}


class AmiSession:
    """One client's state: logged in or not, events wanted or not."""

    def __init__(self) -> None:
        self.logged_in = False
        self.events = True
        self.closing = False


def _reply(response: str, action_id: str | None, message: str | None = None, **extra: str) -> Event:
    reply: Event = {"Response": response}
    if action_id is not None:
        reply["ActionID"] = action_id
    if message is not None:
        reply["Message"] = message
    reply.update(extra)
    return reply


def _list_start(action_id: str | None, message: str) -> Event:
    reply: Event = {"Response": "Success"}
    if action_id is not None:
        reply["ActionID"] = action_id
    reply.update(EventList="start", Message=message)
    return reply


class ActionHandler:
    def __init__(self, world: "World", username: str, secret: str, *,
                 wall: Callable[[], float] = time.monotonic) -> None:
        self.world = world
        self.username = username
        self._secret = secret
        self._wall = wall
        self._booted = wall()
        self.handled = 0
        self._table: dict[str, Callable[[AmiSession, dict, str | None], list[Event]]] = {
            "login": self._login, "logoff": self._logoff, "ping": self._ping, "events": self._events,
            "queuestatus": self._queue_status, "queuesummary": self._queue_summary,
            "coreshowchannels": self._core_show_channels, "coresettings": self._core_settings,
            "corestatus": self._core_status, "queueadd": self._queue_add, "queueremove": self._queue_remove,
            "queuepause": self._queue_pause, "queuepenalty": self._queue_penalty,
            "originate": self._originate, "hangup": self._hangup,
        }

    def handle(self, session: AmiSession, message: dict) -> list[Event]:
        headers = {str(k).lower(): v for k, v in message.items()}
        name = str(headers.get("action", "")).lower()
        action_id = headers.get("actionid")
        action_id = str(action_id) if action_id is not None else None
        self.handled += 1
        if not name:
            return [_reply("Error", action_id, "Missing action in request")]
        if not session.logged_in and name not in _OPEN_ACTIONS:
            return [_reply("Error", action_id, "Permission denied")]
        handler = self._table.get(name)
        if handler is None:
            return [_reply("Error", action_id, "Invalid/unknown command")]
        return handler(session, headers, action_id)

    # ---------------------------------------------------------------- session

    def _login(self, session, h, aid):
        if str(h.get("username", "")) != self.username or str(h.get("secret", "")) != self._secret:
            return [_reply("Error", aid, "Authentication failed")]
        session.logged_in = True
        session.events = str(h.get("events", "on")).lower() not in ("off", "no", "false", "0")
        uptime = int(self._wall() - self._booted)
        return [_reply("Success", aid, "Authentication accepted"), fully_booted(uptime, uptime)]

    def _logoff(self, session, h, aid):
        session.closing = True
        return [_reply("Goodbye", aid, "Thanks for all the fish.")]

    def _ping(self, session, h, aid):
        return [_reply("Success", aid, None, Ping="Pong", Timestamp=f"{self.world.clock.epoch:.6f}")]

    def _events(self, session, h, aid):
        session.events = str(h.get("eventmask", "on")).lower() not in ("off", "no", "false", "0")
        return [_reply("Success", aid, None, Events="On" if session.events else "Off")]

    def _core_settings(self, session, h, aid):
        return [_reply("Success", aid, None, AMIversion=AMI_VERSION, AsteriskVersion=ASTERISK_VERSION,
                       SystemName=self.world.ami.system, CoreMaxCalls="0", CoreMaxLoadAvg="0.000000",
                       CoreRunUser="", CoreRunGroup="", CoreMaxFilehandles="0", CoreRealTimeEnabled="No",
                       CoreCDRenabled="No", CoreHTTPenabled="No", SoundsSearchCustomDir="No")]

    def _core_status(self, session, h, aid):
        stamp = time.gmtime(self.world.clock.start_epoch)
        return [_reply("Success", aid, None, CoreStartupDate=time.strftime("%Y-%m-%d", stamp),
                       CoreStartupTime=time.strftime("%H:%M:%S", stamp),
                       CoreReloadDate=time.strftime("%Y-%m-%d", stamp),
                       CoreReloadTime=time.strftime("%H:%M:%S", stamp),
                       CoreCurrentCalls=str(len(self.world.open_calls)),
                       CoreProcessedCalls=str(self.world.stats.offered))]

    # ---------------------------------------------------------------- lists

    def _queue_status(self, session, h, aid):
        items = lists.queue_status(self.world, aid or "", str(h.get("queue", "")), str(h.get("member", "")))
        return [_list_start(aid, "Queue status will follow"), *items,
                lists.complete("QueueStatusComplete", aid or "", len(items))]

    def _queue_summary(self, session, h, aid):
        items = lists.queue_summary(self.world, aid or "", str(h.get("queue", "")))
        return [_list_start(aid, "Queue summary will follow"), *items,
                lists.complete("QueueSummaryComplete", aid or "", len(items))]

    def _core_show_channels(self, session, h, aid):
        items = lists.core_show_channels(self.world, aid or "")
        return [_list_start(aid, "Channels will follow"), *items,
                lists.complete("CoreShowChannelsComplete", aid or "", len(items))]

    # ---------------------------------------------------------------- queue members

    def _queue_add(self, session, h, aid):
        queue, interface = str(h.get("queue", "")), str(h.get("interface", ""))
        if not queue:
            return [_reply("Error", aid, "'Queue' not specified.")]
        if not interface:
            return [_reply("Error", aid, "'Interface' not specified.")]
        penalty = _int(h.get("penalty"), 0)
        error = self.world.add_member(queue, interface, member_name=str(h.get("membername", "")),
                                      penalty=max(penalty, 0), paused=_true(h.get("paused")),
                                      reason=str(h.get("reason", "")))
        return [_reply("Error", aid, error) if error else _reply("Success", aid, "Added interface to queue")]

    def _queue_remove(self, session, h, aid):
        queue, interface = str(h.get("queue", "")), str(h.get("interface", ""))
        if not queue or not interface:
            return [_reply("Error", aid, "Need 'Queue' and 'Interface' parameters.")]
        error = self.world.remove_member(queue, interface)
        return [_reply("Error", aid, error) if error else _reply("Success", aid, "Removed interface from queue")]

    def _queue_pause(self, session, h, aid):
        interface, paused = str(h.get("interface", "")), h.get("paused")
        if not interface or paused is None:
            return [_reply("Error", aid, "Need 'Interface' and 'Paused' parameters.")]
        pause = _true(paused)
        error = self.world.pause(interface, str(h.get("queue", "")) or None, pause, str(h.get("reason", "")))
        if error:
            return [_reply("Error", aid, error)]
        return [_reply("Success", aid, "Interface paused successfully" if pause else "Interface unpaused successfully")]

    def _queue_penalty(self, session, h, aid):
        interface, penalty = str(h.get("interface", "")), h.get("penalty")
        if not interface or penalty is None:
            return [_reply("Error", aid, "'Interface' and 'Penalty' parameters are required.")]
        error = self.world.set_penalty(interface, str(h.get("queue", "")) or None, _int(penalty, -1))
        return [_reply("Error", aid, error) if error else _reply("Success", aid, "Interface penalty set successfully")]

    # ---------------------------------------------------------------- calls

    def _originate(self, session, h, aid):
        headers = dict(h)
        headers["actionid"] = aid or ""
        error = originate(self.world, headers)
        return [_reply("Error", aid, error) if error else _reply("Success", aid, "Originate successfully queued")]

    def _hangup(self, session, h, aid):
        name = str(h.get("channel", ""))
        if not name:
            return [_reply("Error", aid, "No channel specified")]
        ch = self.world.channels.get(name)
        if ch is None or ch.owner is None:
            return [_reply("Error", aid, "No such channel")]
        ch.owner.hangup_requested(ch)
        return [_reply("Success", aid, "Channel Hungup")]


def _true(value) -> bool:
    return str(value or "").strip().lower() in _TRUE


def _int(value, default: int) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default
