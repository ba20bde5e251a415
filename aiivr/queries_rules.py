"""What a customer query may be and become: statuses, priorities, the moves between them.

MOVES is the one transition table. aiivr.services.queries enforces it; screens read it
(e.g. to offer only the allowed next states) and never restate it. docs/queries.md
explains the decisions behind it.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from aiivr.errors import BadInput, Conflict
from aiivr.timerange import parse_bound

OPEN, IN_PROGRESS, ESCALATED, RESOLVED, CLOSED = "open", "in_progress", "escalated", "resolved", "closed"
STATUSES = (OPEN, IN_PROGRESS, ESCALATED, RESOLVED, CLOSED)
DONE = (RESOLVED, CLOSED)  # never overdue
PRIORITIES = ("low", "normal", "high", "urgent")

# The ways a status changes: `query update` / `query close` (UPDATE), `query escalate`
# (which needs a reason), `query assign` (a supervisor), and the recorder when the
# customer calls back about a resolved query (CALLBACK).
UPDATE, ESCALATE, ASSIGN, CALLBACK = "update", "escalate", "assign", "callback"

# from          {to: the ways that may make the move}
MOVES: dict[str, dict[str, tuple[str, ...]]] = {
    OPEN:        {IN_PROGRESS: (UPDATE,), ESCALATED: (ESCALATE,), RESOLVED: (UPDATE,), CLOSED: (UPDATE,)},
    IN_PROGRESS: {RESOLVED: (UPDATE,), ESCALATED: (ESCALATE,), CLOSED: (UPDATE,)},
    ESCALATED:   {IN_PROGRESS: (ASSIGN,)},                      # leaves the pool when a supervisor assigns it
    RESOLVED:    {CLOSED: (UPDATE,), IN_PROGRESS: (UPDATE, CALLBACK)},  # reopened
    CLOSED:      {},                                            # final
}

_HOW = {
    UPDATE: "`aiivr query update {id} --status {new}`",
    ESCALATE: "`aiivr query escalate {id} --reason TEXT`",
    ASSIGN: "a supervisor's `aiivr query assign {id} --to USER`",
    CALLBACK: "the customer calling back",
}


def next_states(status: str) -> tuple[str, ...]:
    return tuple(MOVES[status])


def check_move(query_id: int, old: str, new: str, *, via: str) -> None:
    """Refuse a move the table does not allow, naming the allowed next states."""
    allowed = MOVES[old]
    if new not in allowed:
        reason = f"{old} is final" if not allowed else "allowed: " + ", ".join(allowed)
        raise Conflict(f"cannot move query {query_id} from {old} to {new}: {reason}")
    if via not in allowed[new]:
        ways = " or ".join(_HOW[way].format(id=query_id, new=new) for way in allowed[new])
        raise Conflict(f"query {query_id} moves from {old} to {new} only by {ways}")


def check_changeable(query_id: int, status: str) -> None:
    if not MOVES[status]:
        raise Conflict(f"query {query_id} is {status}: {status} is final")


def is_overdue(status: str, due_at: dt.datetime | None, now: dt.datetime) -> bool:
    # services.queries.list_queries filters on the same rule in SQL.
    return due_at is not None and due_at < now and status not in DONE


def parse_status(text: str) -> str:
    return _one_of(text, STATUSES, "status")


def parse_priority(text: str) -> str:
    return _one_of(text, PRIORITIES, "priority")


def _one_of(text: str, choices: tuple[str, ...], what: str) -> str:
    value = text.strip().lower()
    if value not in choices:
        raise BadInput(f"unknown {what} {text!r}: use {', '.join(choices[:-1])} or {choices[-1]}")
    return value


_AHEAD = re.compile(r"^(\d{1,5})([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_due(text: str, tz: ZoneInfo, *, now: dt.datetime) -> dt.datetime:
    """`30m`, `2h`, `1d` from now, or an ISO date-time read in the site zone unless it has an
    offset; a date alone (or `today`) means the end of that local day."""
    match = _AHEAD.match(text.strip().lower())
    if match:
        return now + dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        return parse_bound(text, tz, now=now, is_end=True)
    except BadInput:
        raise BadInput(
            f"cannot read {text!r} as a due time: use 30m, 2h or 1d from now, an ISO date-time "
            "(2026-11-30T17:00) or a date (2026-11-30, meaning the end of that day)"
        ) from None


def check_due(due: dt.datetime, now: dt.datetime, tz: ZoneInfo) -> None:
    if due <= now:
        raise BadInput(f"the due time {due.astimezone(tz).isoformat(timespec='minutes')} is not in the future")
