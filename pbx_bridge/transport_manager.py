"""panoramisk's Manager reduced to one AMI session at a time.

AmiTransport decides when to connect, checks liveness and backs off; the Manager keeps doing what
it is good at: the TCP connect, the Login action and its on_login callback, send_action.
Everything of panoramisk's own connection policy is switched off here, each for a reason:
- its reconnect (a fixed delay, scheduled from connection_made and connection_lost): the
  transport reconnects with capped exponential backoff and jitter instead;
- its pinger (sends Ping every 10 s and never reads the answer, so a half-open connection goes
  unnoticed): the transport pings and checks `Response: Success` + `Ping: Pong`;
- its re-send of pending actions after the next FullyBooted (awaiting_actions): never wanted.
"""

from __future__ import annotations

import logging

from panoramisk import Manager

logger = logging.getLogger("pbx_bridge.transport")


class LoginRefused(Exception):
    """Asterisk answered Login with something other than Success."""


class SessionManager(Manager):
    def __init__(self, **config):
        super().__init__(log=logger, **config)
        # panoramisk registers FullyBooted -> send_awaiting_actions, i.e. the re-send we forbid.
        # With it gone no pattern is registered at all: events never reach Manager.dispatch.
        self.callbacks.clear()
        self.patterns.clear()

    def connection_made(self, f) -> None:
        if f.cancelled() or f.exception() is not None:
            # AmiTransport awaits the same connect task and handles the failure (backoff).
            return
        super().connection_made(f)
        if self.protocol.closed:  # the peer hung up before we even got to Login
            self.connection_lost(ConnectionResetError("closed before login"))

    def login(self, future) -> bool:
        # panoramisk's version calls future.result() unguarded, which raises inside a loop
        # callback when the session ended before Asterisk answered the Login.
        self.authenticated_future = None
        if future.cancelled() or future.exception() is not None:
            self.authenticated = False
            return False
        reply = future.result()
        self.authenticated = bool(reply.success)
        if self.authenticated:
            self.on_login(self)
        else:
            reason = reply.message or reply.response or "no reason given"
            logger.error("AMI login as %r refused: %s", self.config.get("username"), reason)
            self.protocol.connection_lost(LoginRefused(f"login refused: {reason}"))
        return self.authenticated

    def ping(self) -> None:
        """panoramisk's unchecked ping, switched off: AmiTransport pings and reads the answer."""

    async def send_awaiting_actions(self, *_) -> None:
        """Never re-send: pending actions failed with ConnectionLost when their session ended."""
        self.awaiting_actions.clear()

    def connection_lost(self, exc) -> None:
        # No reconnect from here; tell the transport synchronously so nothing can be sent on a
        # dead session in between.
        self._connected = False
        self.authenticated = False
        if self.pinger is not None:
            self.pinger.cancel()
            self.pinger = None
        self.on_disconnect(self, exc)

    def close_session(self, reason: str) -> None:
        """Tear the current session down on our side (failed ping, boot timeout, stop)."""
        if self.pinger is not None:
            self.pinger.cancel()
            self.pinger = None
        if self.protocol is not None:
            self.protocol.close(reason)
