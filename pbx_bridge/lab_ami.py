"""A small blocking AMI client for the lab's tooling: test fixtures and traffic captures.

Not the product's transport (that is panoramisk-based and lives elsewhere in pbx_bridge):
this one keeps every message it receives, in arrival order, as a plain dict, which is what a
test or a capture wants. One reader thread; the caller's thread waits on a condition.

Message shape (the same as the captures in tests/fixtures/lab-*.jsonl): headers as keys,
a header repeated in one message becomes a list, plus `_rx` (time.time() at receipt) and
`_kind`: "response" for anything that carries an ActionID (responses, and the list events
and OriginateResponse that answer an action), else "event".
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from typing import Any, Callable, Iterable

Message = dict[str, Any]


class AmiError(Exception):
    """AMI refused, closed the connection, or did not answer in time."""


def parse(block: str) -> Message:
    msg: Message = {}
    for line in block.split("\r\n"):
        key, sep, value = line.partition(":")
        if not sep:
            continue  # Command output lines without a colon are not headers
        key, value = key.strip(), value.strip()
        if key in msg:
            msg[key] = (msg[key] if isinstance(msg[key], list) else [msg[key]]) + [value]
        else:
            msg[key] = value
    return msg


def matches(msg: Message, **headers: str) -> bool:
    """True when every given header has that value (a list header: when any item has it)."""
    for key, want in headers.items():
        got = msg.get(key)
        if got != want and not (isinstance(got, list) and want in got):
            return False
    return True


class RawAmi:
    def __init__(self, host: str, port: int, *, timeout: float = 10.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.messages: list[Message] = []
        self.banner = ""
        self._sock: socket.socket | None = None
        self._cond = threading.Condition()
        self._closed = False
        self._ids = itertools.count(1)
        self._reader: threading.Thread | None = None

    # --- connection ---
    def connect(self) -> str:
        self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        buf = b""
        while b"\r\n" not in buf:
            chunk = self._sock.recv(1024)
            if not chunk:
                raise AmiError(f"{self.host}:{self.port} closed the connection before its banner")
            buf += chunk
        line, _, rest = buf.partition(b"\r\n")
        self.banner = line.decode()
        self._sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, args=(rest,), daemon=True, name="raw-ami")
        self._reader.start()
        return self.banner

    def login(self, username: str, secret: str) -> Message:
        reply = self.action("Login", Username=username, Secret=secret, Events="on")
        if reply.get("Response") != "Success":
            raise AmiError(f"AMI login as {username} refused: {reply.get('Message')}")
        return reply

    def close(self) -> None:
        if self._sock is not None and not self._closed:
            try:
                self._sock.sendall(b"Action: Logoff\r\n\r\n")
            except OSError:
                pass
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
        if self._reader is not None:
            self._reader.join(timeout=2)

    def __enter__(self) -> "RawAmi":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, buf: bytes) -> None:
        assert self._sock is not None
        try:
            while True:
                while b"\r\n\r\n" in buf:
                    block, _, buf = buf.partition(b"\r\n\r\n")
                    msg = parse(block.decode(errors="replace"))
                    if not msg:
                        continue
                    msg["_rx"] = time.time()
                    msg["_kind"] = "response" if ("Response" in msg or "ActionID" in msg) else "event"
                    with self._cond:
                        self.messages.append(msg)
                        self._cond.notify_all()
                chunk = self._sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
        except OSError:
            pass
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # --- actions ---
    def send(self, action: str, **headers: str | int | Iterable[str]) -> str:
        """Send an action; returns its ActionID. A list/tuple value repeats the header."""
        if self._sock is None or self._closed:
            raise AmiError("AMI connection is closed")
        action_id = headers.pop("ActionID", None) or f"lab-{next(self._ids)}"  # type: ignore[assignment]
        lines = [f"Action: {action}", f"ActionID: {action_id}"]
        for key, value in headers.items():
            for item in (value if isinstance(value, (list, tuple)) else [value]):
                lines.append(f"{key}: {item}")
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return str(action_id)

    def action(self, action: str, *, timeout: float | None = None, **headers: Any) -> Message:
        """Send an action and return its Response message."""
        start = self.mark()
        action_id = self.send(action, **headers)
        return self.wait_for(lambda m: m.get("ActionID") == action_id and "Response" in m,
                             since=start, timeout=timeout, what=f"the response to {action}")

    def collect(self, action: str, *, timeout: float | None = None, **headers: Any) -> list[Message]:
        """Send a list action (QueueStatus, CoreShowChannels...) and return its list events."""
        start = self.mark()
        action_id = self.send(action, **headers)
        end = self.wait_for(lambda m: m.get("ActionID") == action_id
                            and (m.get("EventList") == "Complete" or m.get("Response") == "Error"),
                            since=start, timeout=timeout, what=f"the end of the {action} list")
        if end.get("Response") == "Error":
            raise AmiError(f"{action} refused: {end.get('Message')}")
        with self._cond:
            return [m for m in self.messages[start:] if m.get("ActionID") == action_id
                    and "Event" in m and m.get("EventList") != "Complete"]

    # --- waiting ---
    def mark(self) -> int:
        """A position in the message list, to wait only for what arrives after it."""
        with self._cond:
            return len(self.messages)

    def wait_for(self, pred: Callable[[Message], bool] | str | None = None, *, since: int = 0,
                 timeout: float | None = None, what: str | None = None, **headers: str) -> Message:
        """The first message from position `since` on that matches; waits up to `timeout`.

        `pred` may be an event name; keyword headers must match too (see matches()).
        """
        if isinstance(pred, str):
            name = pred
            what = what or f"{name} {headers or ''}".strip()
            pred = lambda m: m.get("Event") == name  # noqa: E731
        check = pred or (lambda m: True)
        limit = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._cond:
            pos = since
            while True:
                while pos < len(self.messages):
                    msg = self.messages[pos]
                    pos += 1
                    if check(msg) and matches(msg, **headers):
                        return msg
                left = limit - time.monotonic()
                if left <= 0 or self._closed:
                    state = "connection closed" if self._closed else "timed out"
                    raise AmiError(f"{state} waiting for {what or f'a message {headers}'}")
                self._cond.wait(left)

    def events(self, name: str | None = None, *, since: int = 0, **headers: str) -> list[Message]:
        with self._cond:
            return [m for m in self.messages[since:] if (name is None or m.get("Event") == name)
                    and matches(m, **headers)]
