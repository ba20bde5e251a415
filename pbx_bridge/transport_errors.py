"""What AmiTransport.send() raises instead of a reply.

The command outbox (the only thing that retries) needs to tell "never reached Asterisk, safe to
retry" from "may have run": ActionTimeout.sent and the type of the error say which.
"""

from __future__ import annotations


class TransportError(Exception):
    """Base of every error AmiTransport raises for an action."""

    def __init__(self, action: str, detail: str):
        super().__init__(f"AMI {action}: {detail}")
        self.action = action


class ActionTimeout(TransportError):
    """No complete reply within the timeout.

    sent=False: the AMI session was not ready in time, so the action never left this process.
    sent=True: Asterisk got it and may have acted on it; a late reply is dropped, never delivered.
    """

    def __init__(self, action: str, timeout: float, *, sent: bool):
        detail = (
            f"no reply within {timeout:g}s"
            if sent
            else f"not sent: the AMI connection was not ready within {timeout:g}s"
        )
        super().__init__(action, detail)
        self.timeout = timeout
        self.sent = sent


class ConnectionLost(TransportError):
    """The session ended while the action waited for its reply. It is never re-sent."""

    def __init__(self, action: str, reason: str):
        super().__init__(action, f"connection lost before the reply ({reason}); not re-sent")
        self.reason = reason


class TransportClosed(TransportError):
    """send() on a transport that is not started or already stopped."""

    def __init__(self, action: str, detail: str = "the transport is not running"):
        super().__init__(action, detail)
