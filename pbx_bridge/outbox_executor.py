"""The outbox executor: the serve component that carries out commands over AMI.

Every POLL_SECONDS it asks the database for pending commands (a cheap indexed read; the
write lock is taken only when there is something to claim), expires those past their
time to live, and, while the AMI session is up, claims the rest and sends them. A
command's AMI actions go out in order; commands for the same target (an agent, a call)
run one after another, others side by side (a monitor Originate may ring for 30 s).
The outcome is written with Asterisk's own words. Nothing is re-sent: a send that fails
fails the command.

Around that loop it also runs serve's own commands (aiivr.agent_rules): after-call
work from new `completed` timeline rows (read every RULES_SECONDS), its maximum, the
optional ring-no-answer pause, and, after an Asterisk restart, the memberships and pauses
AIIVR holds.

Before sending a membership or pause action it tells the recorder who asked
(recorder.expected), so the status row Asterisk's event opens carries set_by = them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiivr import live_state, outbox
from aiivr.agent_rules import AgentRules, reapply
from aiivr.db import utcnow
from aiivr.models.outbox import DONE, FAILED, OutboxCommand
from pbx_bridge import ami_actions
from pbx_bridge.ami_actions import Step, StepResult
from pbx_bridge.transport import ActionTimeout, TransportClosed, TransportError

if TYPE_CHECKING:
    from pbx_bridge.service import BridgeService

log = logging.getLogger("aiivr.outbox")
POLL_SECONDS = 0.05  # measured by bench/outbox_latency.py: write -> AMI well under 300 ms
TIMER_SECONDS = 0.5  # how often the after-call work maximum is checked
# How often the timeline rules read the new rows. Not every poll: in a busy centre each read
# is hundreds of rows and two queries, ~4 ms of the one core serve has, and an after-call
# work pause a quarter second later changes nothing (queues keep wrapuptime >= 2 s).
RULES_SECONDS = 0.25
LINK_SECONDS = 30.0  # how long an outbound call may take to show up in the call log
PLACED = frozenset({"call.dial", "call.callback"})


class _NotSent(Exception):
    """The action never left this process (no AMI session): safe to send later."""


@dataclass(frozen=True)
class Claimed:
    id: int
    action: str
    actor: str
    target: str
    payload: dict[str, Any]


def expected_changes(action: str, payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(interface, kind) of the member events that will confirm a command (see
    aiivr.recorder.expectations.kind_of)."""
    interface = payload.get("interface")
    kinds = {"agent.login": ["added"], "agent.logout": ["removed"], "agent.unpause": ["unpaused"],
             "agent.ready": ["unpaused"], "agent.move": ["added", "removed"]}.get(action, [])
    if action == "agent.pause":
        kinds = [f"paused:{payload['reason']}"]
    return [(interface, kind) for kind in kinds] if interface else []


class OutboxExecutor:
    name = "outbox"

    def __init__(self, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self.sent = 0  # commands carried out (done or failed), for health and benches
        self.failed = 0
        self._service: BridgeService | None = None
        self._rules: AgentRules | None = None
        self._task: asyncio.Task | None = None
        self._running: set[asyncio.Task] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._links: dict[int, float] = {}  # placed-call command id -> give up at (monotonic)
        self._next_timer = 0.0
        self._next_rules = 0.0
        self._wake = asyncio.Event()
        self._stopping = False

    # ---------------------------------------------------------------- component protocol

    async def start(self, service: "BridgeService") -> None:
        self._service = service
        self._rules = AgentRules(service.config)
        await asyncio.to_thread(self._prepare)
        self._task = asyncio.create_task(self._loop(), name="aiivr-outbox")

    async def on_session_ready(self, service: "BridgeService", *, pbx_restarted: bool) -> None:
        if pbx_restarted:
            count = await asyncio.to_thread(self._write, lambda session, now: reapply(session, service.config, now=now))
            log.warning("Asterisk restarted: re-applying memberships and pauses (%d commands)", count)
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True  # the loop also checks this: a cancel alone can be lost (see _loop)
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)
        # Let running commands hear Asterisk's answer for a moment; any still waiting
        # stays `sent` and is failed (never re-sent) at the next start.
        if self._running:
            await asyncio.wait(self._running, timeout=2)
        for task in self._running:
            task.cancel()

    # ---------------------------------------------------------------- the loop

    def _prepare(self) -> None:
        with self._db.write() as session:
            stale = outbox.fail_interrupted(session, now=utcnow())
            self._rules.cursor.start(session)
        if stale:
            log.warning("%d commands were sent by a previous serve that stopped before Asterisk answered: "
                        "marked failed, not sent again", stale)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                claimed = await asyncio.to_thread(self._scan, self._service.transport.connected)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bad poll (database busy...) is logged; the next one retries
                log.exception("outbox poll failed")
                claimed = []
            for command in claimed:
                self._dispatch(command)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns normally when a
            # cancel meets a finished wait (the event set), and the loop would run on.
            try:
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()

    @property
    def _db(self):
        return self._service.db

    def _scan(self, connected: bool) -> list[Claimed]:
        """One poll (in a worker thread): serve's own rules, then claim what is pending.
        Every step reads first; a write transaction begins only when there is something to
        write, so the recorder's writer never waits behind an empty one."""
        rules = self._rules
        events, acting, ending = [], False, False
        polled_at = time.monotonic()
        read_rules, check_maximum = polled_at >= self._next_rules, polled_at >= self._next_timer
        if read_rules or check_maximum:
            with self._db.read() as session:
                if read_rules:
                    self._next_rules = polled_at + RULES_SECONDS
                    events = rules.cursor.read(session)
                    acting = bool(events) and rules.concerns(session, events)
                if check_maximum:
                    self._next_timer = polled_at + TIMER_SECONDS
                    ending = rules.any_due(session, now=utcnow())
        pending = False
        if acting:
            if self._write(lambda session, now: rules.on_events(session, events, now=now)):
                pending = True
        elif events:
            rules.on_events_without_agents(events)
        if ending and self._write(lambda session, now: rules.due(session, now=now)):
            pending = True
        if self._links:
            self._link_placed_calls()
        if not pending:
            # Most polls are only this: a plain connection costs about half an ORM session.
            with self._db.read_connection() as connection:
                pending = outbox.has_pending(connection)
        if not pending:
            return []
        with self._db.write() as session:
            claimed = outbox.claim(session, now=utcnow(), connected=connected)
            return [Claimed(c.id, c.action, c.actor, c.target, outbox.payload_of(c)) for c in claimed]

    def _write(self, make) -> int:
        """Run one of serve's own rules in a write transaction; how many commands it wrote."""
        with self._db.write() as session:
            return len(make(session, utcnow()))

    # ---------------------------------------------------------------- sending

    def _dispatch(self, command: Claimed) -> None:
        lock = self._locks.setdefault(command.target, asyncio.Lock())
        task = asyncio.create_task(self._execute(command, lock), name=f"outbox-{command.id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _execute(self, command: Claimed, lock: asyncio.Lock) -> None:
        try:
            await self._carry_out(command, lock)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a task's exception would vanish; the command stays sent
            log.exception("outbox %s %s: could not record its outcome", command.id, command.action)

    async def _carry_out(self, command: Claimed, lock: asyncio.Lock) -> None:
        async with lock:
            try:
                steps = ami_actions.steps_for(command.action, command.payload)
            except (ValueError, KeyError) as error:
                await asyncio.to_thread(self._finish, command, FAILED, f"cannot build the AMI actions: {error!r}", {})
                return
            recorder = self._service.recorder
            for interface, kind in expected_changes(command.action, command.payload):
                recorder.expected.expect(interface, kind, command.actor)
            ok, texts, outcome = True, [], {}
            for number, step in enumerate(steps, start=1):
                try:
                    result = await self._send(command, step, number)
                except _NotSent as error:
                    if number == 1:  # nothing reached Asterisk: it may go later, within its time to live
                        await asyncio.to_thread(self._requeue, command, str(error))
                        return
                    result = StepResult(False, str(error))
                if result.tolerated and step.then is not None:
                    result = await self._send(command, step.then, number * 100)
                texts.append(f"{step.label}: {result.text}" if step.label else result.text)
                outcome.update(result.outcome)
                ok = ok and result.ok
            self.sent += 1
            self.failed += not ok
            await asyncio.to_thread(self._finish, command, DONE if ok else FAILED, "; ".join(texts), outcome)

    async def _send(self, command: Claimed, step: Step, number: int) -> StepResult:
        action = {**step.action, "ActionID": f"aiivr-outbox-{command.id}-{number}"}
        try:
            reply = await self._service.transport.send(action)
        except (ActionTimeout, TransportClosed) as error:
            if isinstance(error, TransportClosed) or not error.sent:
                raise _NotSent(str(error)) from None
            return StepResult(False, str(error))
        except (TransportError, ValueError) as error:
            return StepResult(False, str(error))
        return ami_actions.interpret(step, reply)

    def _requeue(self, command: Claimed, why: str) -> None:
        with self._db.write() as session:
            outbox.requeue(session, command.id)
        log.info("outbox %s not sent (%s): pending again until its time to live", command.id, why)

    def _finish(self, command: Claimed, status: str, result: str, outcome: dict[str, Any]) -> None:
        with self._db.write() as session:
            now = utcnow()
            row = outbox.finish(session, command.id, status, result, now=now, outcome=outcome)
            if status == DONE:
                live_state.apply_done(session, row, now=now)
        if status == DONE and command.action in PLACED:
            self._links[command.id] = time.monotonic() + LINK_SECONDS
        log.info("outbox %s %s by %s: %s (%s)", command.id, command.action, command.actor, status, result)

    def _link_placed_calls(self) -> None:
        """Name the agent (and the answered call) of outbound calls once they are recorded."""
        for command_id, give_up in list(self._links.items()):
            with self._db.write() as session:
                row = session.get(OutboxCommand, command_id)
                linked = row is None or live_state.link_placed_call(session, row, now=utcnow())
            if linked or time.monotonic() > give_up:
                del self._links[command_id]
                if not linked:
                    log.warning("outbox %s: its call never showed up in the call log; agent not linked", command_id)
