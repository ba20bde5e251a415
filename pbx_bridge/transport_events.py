"""Handing AMI events to the application: guarded, counted, and never at the connection's expense.

One EventSink lives as long as its AmiTransport and is shared by all of its sessions, so the
counters survive reconnects.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields

logger = logging.getLogger("pbx_bridge.transport")


@dataclass
class TransportCounters:
    """Running totals for health reporting. Plain ints, mutated in place."""

    events_received: int = 0  # events handed to on_event
    reconnects: int = 0  # sessions that became ready after the first one
    disconnects: int = 0  # ready sessions that ended
    failed_attempts: int = 0  # connection attempts that never became ready
    action_timeouts: int = 0  # send() calls that raised ActionTimeout
    ping_failures: int = 0  # pings unanswered or answered wrongly (each one drops the session)
    handler_errors: int = 0  # exceptions raised by on_event (or by the task it returned)
    dropped_frames: int = 0  # frames that were neither an event nor a reply to a pending action
    skipped_frames: int = 0  # events the consumer said it never uses (not parsed, not delivered)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class ErrorLogLimiter:
    """Lets a few tracebacks per window through: a handler bug hit by every VarSet would
    otherwise write tens of thousands of tracebacks a second and become the outage."""

    def __init__(self, per_window: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._window_start = clock()
        self._logged = 0
        self._suppressed = 0

    def allow(self) -> bool:
        now = self._clock()
        if now - self._window_start >= self.window:
            if self._suppressed:
                logger.warning("%d more on_event errors in the last %gs were not logged", self._suppressed, self.window)
            self._window_start, self._logged, self._suppressed = now, 0, 0
        if self._logged < self.per_window:
            self._logged += 1
            return True
        self._suppressed += 1
        return False


class EventSink:
    """The application's on_event plus what the protocol needs around it."""

    __slots__ = ("on_event", "counters", "_error_log", "_tasks")

    def __init__(self, on_event: Callable[[dict], Awaitable[None] | None], counters: TransportCounters):
        self.on_event = on_event
        self.counters = counters
        self._error_log = ErrorLogLimiter()
        self._tasks: set[asyncio.Task] = set()

    def handler_failed(self, message: dict) -> None:
        """Called from inside an `except` block around on_event."""
        self.counters.handler_errors += 1
        if self._error_log.allow():
            logger.exception(
                "on_event raised for %s (Uniqueid %s); the event is skipped, the connection kept",
                message.get("Event"),
                message.get("Uniqueid", "-"),
            )

    def spawn(self, result: object, message: dict) -> None:
        """on_event returned something. An awaitable is run as a task whose exception is logged
        instead of lost; anything else (say, the translator's tuple of events) is ignored."""
        if not inspect.isawaitable(result):
            return
        task = asyncio.ensure_future(result)
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._task_done(done, message))

    def _task_done(self, task: asyncio.Future, message: dict) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        self.counters.handler_errors += 1
        if self._error_log.allow():
            logger.error(
                "on_event task raised for %s (Uniqueid %s)",
                message.get("Event"),
                message.get("Uniqueid", "-"),
                exc_info=error,
            )

    def cancel_tasks(self) -> list[asyncio.Future]:
        """Cancel the handlers' tasks still running; returns them, for the caller to await."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks
