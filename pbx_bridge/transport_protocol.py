"""panoramisk's AMIProtocol with the read path and the close path replaced.

Kept from panoramisk: send() (Action serialisation and the `responses` table of pending actions)
and Action.add_message (when a reply, or a list of replies, is complete).

Replaced, and why:
- data_received: UTF-8-safe framing and a fast plain-dict parser (see transport_frames); events
  go straight to the EventSink instead of through Manager.dispatch, so no fnmatch pattern is run
  per event at all (the cheapest form of "one catch-all callback"), and an exception in the
  application's handler is logged without costing the rest of the read or the connection.
- close: panoramisk moves pending actions to Manager.awaiting_actions and re-sends them after the
  next FullyBooted. A pause or a barge firing minutes late is a bug, so here every pending action
  fails with ConnectionLost instead; only the command outbox retries.
- a late reply to an action the caller gave up on is dropped, not dispatched as an event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from pbx_bridge.transport_errors import ConnectionLost
from pbx_bridge.transport_events import EventSink
from pbx_bridge.transport_frames import AmiMessage, FrameBuffer, FrameTooLarge, parse_frame

logger = logging.getLogger("pbx_bridge.transport")

BANNER_PREFIX = "Asterisk Call Manager/"
# How many given-up ActionIDs to remember so their late replies can be recognised and dropped.
FORGOTTEN_IDS_KEPT = 256


class SessionShutdown(Exception):
    """Asterisk announced it is shutting down (Event: Shutdown)."""


class _Reply(Message):
    """panoramisk's Message (its reply heuristics need one) that keeps the plain dict we parsed,
    which is what send() returns: exact header case, no synthetic `content` key."""

    def __init__(self, plain: AmiMessage):
        super().__init__(plain)
        self.plain = plain


def reply_as_plain(result: Message | list[Message]) -> AmiMessage | list[AmiMessage]:
    if isinstance(result, list):
        return [_plain(item) for item in result]
    return _plain(result)


def _plain(message: Message) -> AmiMessage:
    plain = getattr(message, "plain", None)
    if plain is not None:
        return plain
    return {key: value for key, value in message.items() if key != "content"}


def action_name(action: Action | dict) -> str:
    for key, value in action.items():
        if key.lower() == "action":
            return str(value)
    return "?"


class AmiProtocol(AMIProtocol):
    def __init__(self, sink: EventSink, *, on_fully_booted: Callable[[], None],
                 wants: Callable[[str], bool] | None = None):
        self._sink = sink
        # Skips, before parsing, frames the consumer has said it will never use. It must
        # let through every frame that starts with "Response" or carries an ActionID.
        self._wants = wants
        self._on_fully_booted = on_fully_booted
        self._frames = FrameBuffer()
        self._forgotten: dict[str, None] = {}  # insertion-ordered set, oldest first
        self.close_reason = "closed"
        # AMIProtocol sets these in connection_made; set them here too so close() is safe earlier.
        self.transport = None
        self.closed = False
        self.responses = {}
        self.factory = None
        self.version = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.log = logger

    # ---------------------------------------------------------------- reading

    def data_received(self, data: bytes) -> None:
        try:
            frames = self._frames.feed(data)
        except FrameTooLarge as error:
            logger.error("AMI framing lost: %s; dropping the connection", error)
            self.connection_lost(error)
            return
        if not frames:
            return
        if self.version is None and frames[0].startswith(BANNER_PREFIX):
            self.version = frames[0][len(BANNER_PREFIX) :].split("\r\n", 1)[0].strip()
            logger.info("AMI protocol version %s", self.version)

        sink = self._sink
        on_event = sink.on_event
        delivered = 0
        wants = self._wants
        for frame in frames:
            if wants is not None and not wants(frame):
                sink.counters.skipped_frames += 1
                continue
            message = parse_frame(frame)
            action_id = message.get("ActionID")
            if action_id is not None and self._route_reply(action_id, message):
                continue
            name = message.get("Event")
            if name is None:
                sink.counters.dropped_frames += 1
                continue
            delivered += 1
            try:
                result = on_event(message)
            except Exception:
                sink.handler_failed(message)
            else:
                if result is not None:
                    sink.spawn(result, message)
            if name == "FullyBooted":
                self._on_fully_booted()
            elif name == "Shutdown":
                # The socket closes next anyway; failing pending actions now is quicker and
                # stops new actions going to an Asterisk that is on its way down.
                self.connection_lost(SessionShutdown(f"Asterisk is shutting down ({message.get('Shutdown', '')})"))
        sink.counters.events_received += delivered

    def _route_reply(self, action_id, message: AmiMessage) -> bool:
        """True when the message belongs to an action (pending or given up) and was consumed."""
        if not isinstance(action_id, str):  # a repeated ActionID header: not ours
            return False
        action = self.responses.get(action_id)
        if action is None:
            return action_id in self._forgotten
        # vars(), not getattr: panoramisk's actions answer '' for any attribute they lack
        # (its own Login, Ping...), and '' would be called.
        on_reply = vars(action).get("on_reply")
        if on_reply is not None:
            try:
                on_reply(message)
            except Exception:  # noqa: BLE001 - like an event handler's: logged, the read goes on
                logger.exception("the reply hook of %s failed on a message", action_name(action))
        try:
            complete = action.add_message(_Reply(message))
        except Exception as error:  # panoramisk's heuristics can trip on odd replies
            logger.exception("reply to %s could not be matched; failing the action", action_name(action))
            if not action.future.done():
                action.future.set_exception(error)
            complete = True
        if complete:
            self._release(action)
        return True

    # ---------------------------------------------------------------- pending actions

    def _release(self, action: Action) -> None:
        self.responses.pop(action.id, None)
        if action.action_id:
            self.responses.pop(action.action_id, None)

    def abandon(self, action: Action) -> None:
        """The caller gave up waiting (timeout, cancellation): forget the action, drop its late reply."""
        self._release(action)
        if action.action_id:
            self._forgotten[action.action_id] = None
            if len(self._forgotten) > FORGOTTEN_IDS_KEPT:
                del self._forgotten[next(iter(self._forgotten))]

    # ---------------------------------------------------------------- closing

    def connection_lost(self, exc) -> None:
        if self.closed:
            return
        self.close(_describe(exc))
        if self.factory is not None:
            self.factory.connection_lost(exc)

    def close(self, reason: str | None = None) -> None:
        if reason is not None and not self.closed:
            self.close_reason = reason
        pending = {id(action): action for action in self.responses.values()}.values()
        self.responses.clear()
        for action in pending:
            if not action.future.done():
                action.future.set_exception(ConnectionLost(action_name(action), self.close_reason))
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()


def _describe(exc) -> str:
    if exc is None:
        return "closed by Asterisk"
    if isinstance(exc, BaseException):
        return str(exc) or type(exc).__name__
    return str(exc)
