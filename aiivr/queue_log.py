"""Asterisk's queue_log: reading it line by line, and what each queue entry became.

A line is `epoch|callid|queue|agent|EVENT|data1|data2|...` (Asterisk's documented
format; callid is the caller channel's Uniqueid, agent the member name or NONE).
Used to backfill what `serve` missed, to import a site's history, and by the tests
to hold our records to Asterisk's own account of the same calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, NamedTuple

ENTRY_EVENTS = {"ENTERQUEUE", "CONNECT", "COMPLETEAGENT", "COMPLETECALLER", "ABANDON", "EXITWITHTIMEOUT",
                "EXITEMPTY", "EXITWITHKEY", "RINGNOANSWER", "RINGCANCELED", "TRANSFER", "BLINDTRANSFER",
                "ATTENDEDTRANSFER", "SYSCOMPAT", "CONNECTNEXT"}
MEMBER_EVENTS = {"ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL", "AGENTLOGIN",
                 "AGENTLOGOFF", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "PENALTY", "RINGINUSE"}
KNOWN_EVENTS = ENTRY_EVENTS | MEMBER_EVENTS | {"QUEUESTART", "CONFIGRELOAD", "INFO", "DID", "ENTERQUEUEEXTRA"}


class QueueLogError(ValueError):
    """A malformed line; the message says what is wrong with it."""


@dataclass(frozen=True, slots=True)
class QueueLogLine:
    number: int  # line number in the file, from 1
    epoch: float
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    def datum(self, index: int) -> str:
        return self.data[index] if index < len(self.data) else ""


def parse_line(text: str, number: int = 0) -> QueueLogLine:
    parts = text.rstrip("\r\n").split("|")
    if len(parts) < 5:
        raise QueueLogError(f"line {number}: expected at least 5 fields separated by |, got {len(parts)}")
    try:
        epoch = float(parts[0])
    except ValueError:
        raise QueueLogError(f"line {number}: time {parts[0]!r} is not a number of seconds") from None
    if epoch <= 0:
        raise QueueLogError(f"line {number}: time {parts[0]!r} is not a positive epoch")
    event = parts[4].strip().upper()
    if not event or not event.replace("_", "").isalnum():
        raise QueueLogError(f"line {number}: event {parts[4]!r} is not an event name")
    return QueueLogLine(number=number, epoch=epoch, callid=parts[1], queue=parts[2], agent=parts[3],
                        event=event, data=tuple(parts[5:]))


def read_lines(lines: Iterable[str]) -> Iterator[QueueLogLine | QueueLogError]:
    """Every line parsed, or the error for it: a bad line never stops the file."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            yield parse_line(text, number)
        except QueueLogError as error:
            yield error


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


class Ring(NamedTuple):
    """A RINGNOANSWER: the queue rang this member for its whole timeout."""

    agent: str
    at: float
    ring_ms: int | None


@dataclass
class EntrySummary:
    """What queue_log says became of one queue entry (callid, queue)."""

    callid: str
    queue: str
    entered: float
    caller_num: str = ""
    outcome: str = "open"  # answered | abandoned | timed_out | exit_empty | exit_key | open
    wait_seconds: int | None = None
    talk_seconds: int | None = None
    agent: str | None = None
    ended: float | None = None
    completed_by: str | None = None
    ring_no_answer: list[Ring] = field(default_factory=list)


def summarise(lines: Iterable[QueueLogLine]) -> dict[tuple[str, str], EntrySummary]:
    """Fold queue_log lines into one summary per (callid, queue), in file order."""
    entries: dict[tuple[str, str], EntrySummary] = {}
    for line in lines:
        key = (line.callid, line.queue)
        if line.event == "ENTERQUEUE":
            entries[key] = EntrySummary(callid=line.callid, queue=line.queue, entered=line.epoch,
                                        caller_num=line.datum(1))
            continue
        entry = entries.get(key)
        if entry is None:
            continue
        if line.event == "CONNECT":
            entry.outcome, entry.agent, entry.wait_seconds = "answered", line.agent, _int(line.datum(0))
        elif line.event in ("COMPLETEAGENT", "COMPLETECALLER"):
            entry.talk_seconds, entry.ended = _int(line.datum(1)), line.epoch
            entry.completed_by = "agent" if line.event == "COMPLETEAGENT" else "caller"
        elif line.event in ("BLINDTRANSFER", "ATTENDEDTRANSFER", "TRANSFER"):
            # All three put the talk time fourth: BLINDTRANSFER|exten|context|hold|talk|pos,
            # ATTENDEDTRANSFER|method|data|hold|talk|pos, TRANSFER|exten|context|hold|talk.
            entry.talk_seconds, entry.ended, entry.completed_by = _int(line.datum(3)), line.epoch, "transfer"
        elif line.event == "ABANDON":
            entry.outcome, entry.wait_seconds, entry.ended = "abandoned", _int(line.datum(2)), line.epoch
        elif line.event == "EXITWITHTIMEOUT":
            entry.outcome, entry.wait_seconds, entry.ended = "timed_out", _int(line.datum(2)), line.epoch
        elif line.event == "EXITEMPTY":
            entry.outcome, entry.wait_seconds, entry.ended = "exit_leaveempty", _int(line.datum(2)), line.epoch
        elif line.event == "EXITWITHKEY":
            entry.outcome, entry.wait_seconds, entry.ended = "exit_key", _int(line.datum(3)), line.epoch
        elif line.event == "RINGNOANSWER":
            entry.ring_no_answer.append(Ring(line.agent, line.epoch, _int(line.datum(0))))
    return entries
