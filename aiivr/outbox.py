"""The command outbox: write a command, let `aiivr serve` claim it, record its outcome,
wait for it.

Life of a command: pending -> sent -> done | failed, or pending -> expired. A command is
claimed (pending -> sent) only before its expires_at; one found pending after that is
marked expired and never sent, so nothing reaches Asterisk late. Nothing is ever re-sent:
a command left `sent` by a serve that died is marked failed on the next start (Asterisk may
or may not have acted on it; sending it again could do it twice).

Data functions take the session as a keyword argument and the clock as `now`, so a
caller decides the transaction and a test decides the time.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from sqlmodel import Session, select

from aiivr.db import Database, utcnow
from aiivr.errors import PbxError
from aiivr.models.outbox import DONE, EXPIRED, FAILED, PENDING, SENT, OutboxCommand

# How long a command may wait to be sent. Long enough to ride out a reconnect of serve,
# short enough that a pause nobody saw happen does not land minutes later.
DEFAULT_TTL_SECONDS = 30
# How long the CLI waits for Asterisk's confirmation of a state change.
WAIT_SECONDS = 10.0
# A phone AIIVR rings (monitor, dial) may ring this long before Asterisk gives up
# (Originate Timeout); the CLI waits that long on top.
RING_SECONDS = 30
POLL_SECONDS = 0.05

Confirm = Callable[[Session, OutboxCommand], bool]


@dataclass(frozen=True)
class CommandView:
    id: int
    action: str
    actor: str
    target: str
    status: str
    result: str
    created_at: str
    expires_at: str
    finished_at: str | None
    confirmed: bool
    outcome: dict[str, Any]


def view(command: OutboxCommand, *, confirmed: bool = False) -> CommandView:
    return CommandView(
        id=command.id, action=command.action, actor=command.actor, target=command.target,
        status=command.status, result=command.result,
        created_at=command.created_at.isoformat(timespec="milliseconds"),
        expires_at=command.expires_at.isoformat(timespec="milliseconds"),
        finished_at=command.finished_at.isoformat(timespec="milliseconds") if command.finished_at else None,
        confirmed=confirmed, outcome=json.loads(command.outcome or "{}"),
    )


def payload_of(command: OutboxCommand) -> dict[str, Any]:
    return json.loads(command.payload or "{}")


def outcome_of(command: OutboxCommand) -> dict[str, Any]:
    return json.loads(command.outcome or "{}")


# ---------------------------------------------------------------------------- writing

def enqueue(session: Session, *, actor: str, action: str, target: str, payload: dict[str, Any],
            now: dt.datetime | None = None, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> OutboxCommand:
    """Add a pending command inside the caller's transaction (with its audit entry)."""
    if ttl_seconds <= 0:
        raise ValueError("a command's time to live must be positive")
    now = now or utcnow()
    command = OutboxCommand(action=action, actor=actor, target=target,
                            payload=json.dumps(payload, sort_keys=True, default=str), status=PENDING,
                            created_at=now, expires_at=now + dt.timedelta(seconds=ttl_seconds))
    session.add(command)
    session.flush()
    return command


# ---------------------------------------------------------------------------- serve's side

_ANY_PENDING = sa.select(OutboxCommand.id).where(OutboxCommand.status == PENDING).limit(1)


def has_pending(reader: Session | sa.Connection) -> bool:
    """The cheap question serve asks 20 times a second (a read, no write lock); serve asks it
    on a plain connection (Database.read_connection), which costs about half a session."""
    return reader.execute(_ANY_PENDING).first() is not None


def claim(session: Session, *, now: dt.datetime, connected: bool, limit: int = 100) -> list[OutboxCommand]:
    """Expire pending commands past their time to live; when connected, mark the others
    sent and return them, oldest first, for the caller to send now."""
    query = (select(OutboxCommand).where(OutboxCommand.status == PENDING).order_by(OutboxCommand.id)
             .limit(limit).with_for_update(skip_locked=True))
    claimed = []
    for command in session.exec(query).all():
        if command.expires_at <= now:
            ttl = (command.expires_at - command.created_at).total_seconds()
            _finish(command, EXPIRED, f"expired: not sent within its time to live of {ttl:g} s", now)
        elif connected:
            command.status, command.sent_at = SENT, now
            claimed.append(command)
        else:
            continue
        session.add(command)
    return claimed


def finish(session: Session, command_id: int, status: str, result: str, *, now: dt.datetime,
           outcome: dict[str, Any] | None = None) -> OutboxCommand:
    command = session.get(OutboxCommand, command_id)
    if command is None:
        raise LookupError(f"no outbox command {command_id}")
    _finish(command, status, result, now, outcome)
    session.add(command)
    return command


def _finish(command: OutboxCommand, status: str, result: str, now: dt.datetime,
            outcome: dict[str, Any] | None = None) -> None:
    command.status, command.result, command.finished_at = status, result, now
    if outcome is not None:
        command.outcome = json.dumps(outcome, sort_keys=True, default=str)


def requeue(session: Session, command_id: int) -> None:
    """Back to pending: its first action never left serve (the AMI session went away
    between claim and send). claim() sends it again only within its time to live."""
    command = session.get(OutboxCommand, command_id)
    if command is not None and command.status == SENT:
        command.status, command.sent_at = PENDING, None
        session.add(command)


def fail_interrupted(session: Session, *, now: dt.datetime) -> int:
    """Commands a previous serve sent but never heard back about: failed, never re-sent."""
    rows = session.exec(select(OutboxCommand).where(OutboxCommand.status == SENT)).all()
    for command in rows:
        _finish(command, FAILED, "serve stopped before Asterisk answered; not sent again", now)
        session.add(command)
    return len(rows)


# ---------------------------------------------------------------------------- the asker's side

def withdraw(db: Database, command_id: int, *, why: str, now: dt.datetime | None = None) -> bool:
    """Expire a command nobody has sent yet; False when serve claimed it first."""
    with db.write() as session:
        command = session.get(OutboxCommand, command_id)
        if command is None or command.status != PENDING:
            return False
        _finish(command, EXPIRED, f"withdrawn: {why}", now or utcnow())
        session.add(command)
        return True


def wait(db: Database, command_id: int, *, confirm: Confirm, what: str, timeout: float = WAIT_SECONDS,
         poll: float = POLL_SECONDS, sleep: Callable[[float], None] = time.sleep,
         clock: Callable[[], float] = time.monotonic) -> CommandView:
    """Until Asterisk answered and its confirming event is in the database.

    Raises PbxError (exit 4) with Asterisk's reason when it refused, when the command
    expired, or when nothing came within `timeout`; a command still pending then is
    withdrawn, so an exit 4 never turns into an action later.
    """
    deadline = clock() + timeout
    while True:
        with db.read() as session:
            command = session.get(OutboxCommand, command_id)
            if command is None:
                raise LookupError(f"no outbox command {command_id}")
            if command.status == FAILED:
                raise PbxError(f"{what}: Asterisk refused: {command.result}")
            if command.status == EXPIRED:
                raise PbxError(f"{what}: aiivr serve did not send it in time ({command.result})")
            if command.status == DONE and confirm(session, command):
                return view(command, confirmed=True)
            status = command.status
        if clock() >= deadline:
            break
        sleep(poll)
    if status == PENDING and withdraw(db, command_id, why=f"nobody sent it within {timeout:g} s"):
        raise PbxError(f"{what}: aiivr serve did not pick it up within {timeout:g} s (is `aiivr serve` "
                       "running and connected?); withdrawn, it will not run later")
    if status == DONE:
        raise PbxError(f"{what}: Asterisk accepted it but its confirming event did not arrive within {timeout:g} s")
    raise PbxError(f"{what}: Asterisk did not answer within {timeout:g} s (command {command_id} was sent)")


def get(db: Database, command_id: int) -> CommandView:
    with db.read() as session:
        command = session.get(OutboxCommand, command_id)
        if command is None:
            raise LookupError(f"no outbox command {command_id}")
        return view(command)
