"""AmiTransport: the AMI connection of `aiivr serve`, and everything about keeping it healthy.

A thin layer over panoramisk 1.4. Per session: connect, Login (panoramisk's on_login), wait for
FullyBooted, then ping every `ping_interval` and check the answer. Any failure ends the session;
the next one starts after a capped, jittered exponential backoff.

Guarantees the rest of the bridge relies on:
- nothing is sent before the session is logged in and FullyBooted (send() waits, within its
  timeout);
- every action has a timeout (ActionTimeout names the action and says whether it was sent);
- nothing is ever re-sent: an action pending when its session ends fails with ConnectionLost;
  retrying is the command outbox's job, which knows each command's time to live;
- on_event gets one plain dict per AMI event (str keys, repeated headers as lists); whatever it
  raises is logged and counted, and the next event is delivered as usual.

The hot path (bytes -> dict -> on_event) is in transport_protocol and transport_frames. Events
never go through panoramisk's register_event/dispatch: that matches every registered pattern
against every event and builds a case-insensitive Message per event, which alone caps it below
the pipeline's 40,000 events/s. Replies still go through panoramisk's Action futures.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from panoramisk.actions import Action

from pbx_bridge.transport_backoff import Backoff
from pbx_bridge.transport_errors import ActionTimeout, ConnectionLost, TransportClosed, TransportError
from pbx_bridge.transport_events import EventSink, TransportCounters
from pbx_bridge.transport_frames import AmiMessage
from pbx_bridge.transport_manager import SessionManager
from pbx_bridge.transport_protocol import AmiProtocol, action_name, reply_as_plain

__all__ = [
    "ActionTimeout",
    "AmiTransport",
    "ConnectionLost",
    "TransportClosed",
    "TransportCounters",
    "TransportError",
]

logger = logging.getLogger("pbx_bridge.transport")

Hook = Callable[..., Awaitable[None] | None]
Reply = AmiMessage | list[AmiMessage]

# Their reply, "Added interface to queue", matches panoramisk's guess for "a list follows", so
# the future would never resolve. Every other action keeps panoramisk's guess, which is right
# for EventList replies and for async Originate ([Response, OriginateResponse]).
_SINGLE_REPLY_ACTIONS = frozenset({"queueadd"})
# Asterisk's default for Originate's Timeout header (ms): how long the call may ring.
_ORIGINATE_RING_MS = 30_000
# How long stop() keeps cancelling the supervisor before it gives up on it (logged).
_STOP_SECONDS = 10.0


class _Session:
    """One connection attempt's milestones, resolved by panoramisk's and the protocol's callbacks."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.logged_in: asyncio.Future[None] = loop.create_future()
        self.booted: asyncio.Future[None] = loop.create_future()
        self.ended: asyncio.Future[str] = loop.create_future()  # result: why
        self.protocol: AmiProtocol | None = None
        self.ready_at: float | None = None

    @staticmethod
    def resolve(future: asyncio.Future, value: Any = None) -> None:
        if not future.done():
            future.set_result(value)


class _SessionFailed(Exception):
    """The session could not be opened or kept; the message says why."""


class AmiTransport:
    """One AMI connection that reconnects by itself. Create it anywhere; start() in the loop.

    on_event(message): called for every AMI event, in order, on the event loop. Keep it quick
        (the translator); it may return an awaitable, which is run as a task. Messages that
        carry the ActionID of an action we sent (list items, OriginateResponse) are that
        action's reply, not events.
    on_connected(): each time a session is logged in and FullyBooted (resync goes here). It may
        be async; it is cancelled if its session ends first.
    on_disconnected(reason): each time a session that was connected ends (not on stop()).
    action_timeout: default for send(), also bounds connect, Login and each Ping.
    ping_interval: seconds between Pings; an unanswered or wrong answer drops the session.
    backoff_initial, backoff_max: reconnect delays double from initial up to max, jittered in
        [d/2, d]; a session that stayed connected for backoff_max resets them.
    boot_timeout: how long after Login to wait for FullyBooted (Asterisk still loading modules).
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        on_event: Callable[[AmiMessage], Awaitable[None] | None],
        on_connected: Callable[[], Awaitable[None] | None] | None = None,
        on_disconnected: Callable[[str], Awaitable[None] | None] | None = None,
        action_timeout: float = 5.0,
        ping_interval: float = 10.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        boot_timeout: float = 30.0,
        wants: Callable[[str], bool] | None = None,
    ):
        self.host = host
        self.port = port
        self.username = username
        self._secret = secret
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self.action_timeout = action_timeout
        self.ping_interval = ping_interval
        self.boot_timeout = boot_timeout
        self._wants = wants  # frame text -> False to skip an event unparsed (see AmiProtocol)
        self.counters = TransportCounters()
        self._sink = EventSink(on_event, self.counters)
        self._backoff = Backoff(backoff_initial, backoff_max)
        self._manager: SessionManager | None = None
        self._supervisor: asyncio.Task | None = None
        self._session: _Session | None = None
        self._ready = False
        self._ready_waiters: set[asyncio.Future[bool]] = set()
        self._stopping = False
        self._stop_requested = asyncio.Event()  # wakes the supervisor's waits at stop()
        self._hook_tasks: set[asyncio.Task] = set()
        self._connected_hook: asyncio.Task | None = None
        self._sessions_ready = 0

    # ------------------------------------------------------------------ public API

    @property
    def connected(self) -> bool:
        """Logged in and FullyBooted: an action sent now goes straight out."""
        return self._ready

    @property
    def ami_version(self) -> str | None:
        """The AMI protocol version from the current session's banner, if any."""
        session = self._session
        return session.protocol.version if session is not None and session.protocol is not None else None

    async def wait_connected(self, timeout: float | None = None) -> bool:
        """True once connected; False on timeout or if the transport stops meanwhile."""
        return await self._wait_ready(timeout)

    async def start(self) -> None:
        """Start connecting in the background; returns at once (see wait_connected)."""
        if self._supervisor is not None or self._stopping:
            raise RuntimeError("AmiTransport.start() called twice, or after stop(); make a new one")
        loop = asyncio.get_running_loop()
        # panoramisk 1.4 must get the running loop explicitly (it would otherwise call
        # get_event_loop(), deprecated outside a running loop).
        self._manager = SessionManager(
            loop=loop,
            host=self.host,
            port=self.port,
            username=self.username,
            secret=self._secret,
            events="on",
            encoding="utf8",
            protocol_factory=self._new_protocol,
            on_login=self._on_login,
            on_disconnect=self._on_disconnect,
        )
        self._supervisor = asyncio.create_task(self._supervise(), name=f"ami-transport {self.host}:{self.port}")

    async def stop(self) -> None:
        """Close the connection for good; pending actions fail with ConnectionLost. Idempotent.

        Never waits on the supervisor alone: it checks the stop flag at every turn, and it is
        cancelled again until it ends, so a cancel lost on the way cannot keep stop() waiting."""
        self._stopping = True
        self._stop_requested.set()
        self._wake_waiters(False)
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            deadline = asyncio.get_running_loop().time() + _STOP_SECONDS
            while not supervisor.done() and asyncio.get_running_loop().time() < deadline:
                supervisor.cancel()
                await asyncio.wait({supervisor}, timeout=0.5)
            if not supervisor.done():
                logger.error("AMI transport supervisor did not stop within %gs; leaving it", _STOP_SECONDS)
            elif not supervisor.cancelled() and supervisor.exception() is not None:
                logger.error("AMI transport supervisor failed", exc_info=supervisor.exception())
        self._ready = False
        if self._manager is not None:
            self._manager.close_session("transport stopped")
        # Hook and handler tasks (a resync, an async on_event) are cancelled and waited for:
        # when stop() returns nothing of the transport runs any more, so a cancelled task's
        # clean-up cannot hand work to a writer its owner stops next. A task that swallows
        # its cancel is given up after _STOP_SECONDS, as the supervisor is.
        tasks = [*self._hook_tasks, *self._sink.cancel_tasks()]
        for task in self._hook_tasks:
            task.cancel()
        tasks = [task for task in tasks if task is not asyncio.current_task()]  # stop() from a hook
        if tasks:
            _, left = await asyncio.wait(tasks, timeout=_STOP_SECONDS)
            if left:
                logger.error("%d AMI transport task(s) did not stop within %gs; leaving them", len(left), _STOP_SECONDS)

    async def send(self, action: Mapping[str, Any], *, timeout: float | None = None,
                   on_reply: Callable[[AmiMessage], None] | None = None) -> Reply:
        """Send one action; return its reply, or its list of replies for list actions.

        on_reply, if given, is called with each message of the reply as it is read, in its
        place among the events (serve's resync needs a list's items where they fall in the
        stream: a call that starts after Asterisk built the list must come after the list).

        Waits for the session to be ready, within the same timeout. Raises ActionTimeout,
        ConnectionLost or TransportClosed (all TransportError); ValueError for a header that
        would break the AMI framing. An error *reply* (Response: Error) is returned, not raised.
        Async Originate returns [Response, OriginateResponse]; its default timeout covers the
        ringing (its Timeout header) on top of action_timeout.
        """
        name = action_name(action)
        _check_headers(name, action)
        if self._manager is None or self._stopping:
            raise TransportClosed(name)
        timeout = self._timeout_for(name, action, timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._ready or self._session is None or self._session.protocol.closed:
            remaining = deadline - loop.time()
            if remaining <= 0 or not await self._wait_ready(remaining):
                if self._stopping:
                    raise TransportClosed(name)
                self.counters.action_timeouts += 1
                raise ActionTimeout(name, timeout, sent=False)
        as_list = False if name.lower() in _SINGLE_REPLY_ACTIONS else None
        try:
            return await self._exchange(self._session.protocol, action, as_list, deadline - loop.time(), timeout,
                                        on_reply)
        except ActionTimeout:
            self.counters.action_timeouts += 1
            raise

    # ------------------------------------------------------------------ sending

    def _timeout_for(self, name: str, action: Mapping[str, Any], timeout: float | None) -> float:
        if timeout is not None:
            return timeout
        if name.lower() == "originate" and str(_header(action, "Async", "")).lower() in ("true", "yes", "1"):
            # OriginateResponse arrives only once the call is answered or given up on.
            try:
                ring_ms = float(_header(action, "Timeout", _ORIGINATE_RING_MS))
            except (TypeError, ValueError):
                ring_ms = _ORIGINATE_RING_MS
            return self.action_timeout + ring_ms / 1000
        return self.action_timeout

    async def _exchange(
        self, protocol: AmiProtocol, action: Mapping[str, Any], as_list: bool | None, wait: float, timeout: float,
        on_reply: Callable[[AmiMessage], None] | None = None,
    ) -> Reply:
        """Write the action on this session and wait for its complete reply."""
        request = Action(dict(action), as_list=as_list)
        request.on_reply = on_reply
        future = protocol.send(request, as_list=as_list)
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns the reply when a cancel
        # lands as it arrives, and the cancelled task runs on (stop() then waited for ever).
        try:
            async with asyncio.timeout(max(wait, 0)):
                result = await future
        except TimeoutError:
            protocol.abandon(request)
            raise ActionTimeout(action_name(action), timeout, sent=True) from None
        except asyncio.CancelledError:
            protocol.abandon(request)
            raise
        return reply_as_plain(result)

    # ------------------------------------------------------------------ readiness

    async def _wait_ready(self, timeout: float | None) -> bool:
        if self._ready:
            return True
        if self._stopping:
            return False
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._ready_waiters.add(waiter)
        try:
            async with asyncio.timeout(timeout):  # not wait_for: see _exchange
                return await waiter
        except TimeoutError:
            return False
        finally:
            self._ready_waiters.discard(waiter)

    def _wake_waiters(self, ready: bool) -> None:
        for waiter in list(self._ready_waiters):
            if not waiter.done():
                waiter.set_result(ready)

    # ------------------------------------------------------------------ panoramisk callbacks

    def _new_protocol(self) -> AmiProtocol:
        session = self._session
        protocol = AmiProtocol(self._sink, on_fully_booted=lambda: _Session.resolve(session.booted), wants=self._wants)
        session.protocol = protocol
        return protocol

    def _on_login(self, manager: SessionManager) -> None:
        session = self._session
        if session is not None and manager.protocol is session.protocol:
            _Session.resolve(session.logged_in)

    def _on_disconnect(self, manager: SessionManager, exc: object) -> None:
        # Synchronous (see SessionManager.connection_lost): from here on send() waits.
        self._ready = False
        session = self._session
        if session is not None:
            reason = manager.protocol.close_reason if manager.protocol is not None else str(exc)
            _Session.resolve(session.ended, reason)

    # ------------------------------------------------------------------ session lifecycle

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            session = self._session = _Session(loop)
            try:
                await self._open(session)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # refused, timed out, login refused, a bug: all mean "retry later"
                self.counters.failed_attempts += 1
                reason = _reason(error)
                logger.warning("AMI %s:%s not usable: %s", self.host, self.port, reason)
                self._close(reason)
            else:
                try:
                    self._became_ready(session)
                    reason = await self._keep_alive(session)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # a bug here must not end reconnecting for good
                    logger.exception("AMI session supervision failed")
                    reason = f"internal error: {error!r}"
                self._close(reason)
                if self._stopping:
                    return
                self._lost(session, reason)
            if self._stopping:
                return
            delay = self._backoff.next_delay()
            logger.info("reconnecting to AMI %s:%s in %.2fs", self.host, self.port, delay)
            try:
                async with asyncio.timeout(delay):
                    await self._stop_requested.wait()  # stop() ends the wait at once
            except TimeoutError:
                pass

    async def _open(self, session: _Session) -> None:
        # Only the TCP connect; panoramisk sends Login from the connect task's done-callback,
        # which runs before this coroutine resumes.
        async with asyncio.timeout(self.action_timeout):  # not wait_for: see _exchange
            await self._manager.connect()
        await self._until(session, session.logged_in, self.action_timeout, "no answer to Login")
        await self._until(session, session.booted, self.boot_timeout, "no FullyBooted after Login")

    @staticmethod
    async def _until(session: _Session, milestone: asyncio.Future, timeout: float, what: str) -> None:
        await asyncio.wait({milestone, session.ended}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if session.ended.done():
            raise _SessionFailed(session.ended.result())
        if not milestone.done():
            raise _SessionFailed(f"{what} within {timeout:g}s")

    async def _keep_alive(self, session: _Session) -> str:
        """Ping until the session fails; return why it ended."""
        while not self._stopping:
            await asyncio.wait({session.ended}, timeout=self.ping_interval)
            if session.ended.done():
                return session.ended.result()
            if self._stopping:
                break
            problem = await self._ping(session)
            if problem is not None:
                if session.ended.done():  # the ping only failed because the session ended
                    return session.ended.result()
                self.counters.ping_failures += 1
                return problem
        return "transport stopped"

    async def _ping(self, session: _Session) -> str | None:
        """None when Asterisk answered `Response: Success` + `Ping: Pong`, else what went wrong."""
        try:
            reply = await self._exchange(
                session.protocol, {"Action": "Ping"}, False, self.action_timeout, self.action_timeout
            )
        except (ActionTimeout, ConnectionLost) as error:
            return f"Ping failed: {error}"
        if not isinstance(reply, dict) or reply.get("Response") != "Success" or reply.get("Ping") != "Pong":
            return f"unexpected Ping answer: {reply!r}"
        return None

    def _became_ready(self, session: _Session) -> None:
        session.ready_at = asyncio.get_running_loop().time()
        if self._sessions_ready:
            self.counters.reconnects += 1
        self._sessions_ready += 1
        self._ready = True
        logger.info("AMI %s:%s connected (AMI %s)", self.host, self.port, session.protocol.version or "?")
        self._connected_hook = self._run_hook(self._on_connected)
        self._wake_waiters(True)

    def _lost(self, session: _Session, reason: str) -> None:
        self.counters.disconnects += 1
        logger.warning("AMI %s:%s disconnected: %s", self.host, self.port, reason)
        if self._connected_hook is not None and not self._connected_hook.done():
            self._connected_hook.cancel()
        self._connected_hook = None
        if asyncio.get_running_loop().time() - session.ready_at >= self._backoff.maximum:
            self._backoff.reset()  # it was a healthy session, not a flapping one
        self._run_hook(self._on_disconnected, reason)

    def _close(self, reason: str) -> None:
        self._ready = False
        if self._manager is not None:
            self._manager.close_session(reason)

    def _run_hook(self, hook: Hook | None, *args: Any) -> asyncio.Task | None:
        if hook is None:
            return None
        try:
            result = hook(*args)
        except Exception:
            logger.exception("AMI transport hook %s raised", getattr(hook, "__name__", hook))
            return None
        if not inspect.isawaitable(result):
            return None
        task = asyncio.ensure_future(result)
        self._hook_tasks.add(task)
        task.add_done_callback(self._hook_done)
        return task

    def _hook_done(self, task: asyncio.Future) -> None:
        self._hook_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("AMI transport hook task raised", exc_info=task.exception())


def _header(action: Mapping[str, Any], key: str, default: Any) -> Any:
    wanted = key.lower()
    for name, value in action.items():
        if name.lower() == wanted:
            return value
    return default


def _check_headers(name: str, action: Mapping[str, Any]) -> None:
    """Refuse line breaks: a pause reason like "lunch\\r\\nAction: Hangup" would be a second action."""
    for key, value in action.items():
        values = value if isinstance(value, (list, tuple)) else (value,)
        for text in (key, *map(str, values)):
            if "\r" in text or "\n" in text:
                raise ValueError(f"AMI {name}: header {key!r} contains a line break")
        if ":" in key or not key.strip():
            raise ValueError(f"AMI {name}: invalid header name {key!r}")


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "connect timed out"
    return str(error) or type(error).__name__
