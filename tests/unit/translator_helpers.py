"""Shared by the test_translator*.py files: the reference and lab captures, and their readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiivr.events import ChannelEvent
from pbx_bridge.replay import read_capture, replay, replay_file
from pbx_bridge.translator import Translator

# The reference capture (tests/fixtures/asterisk22-sample-events.jsonl) is the reference lab's probe
# run: a scripted scenario (answered calls, an on-demand recording, listen/whisper/barge, a
# ring-no-answer then an abandon, pause with a reason, a dynamic member) followed by two load runs.
# Events the capture lacks (hold, transfers, timeout exit, CSAT, origin tag) are built from its
# real messages with only the fields that event adds.
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPTURE = FIXTURES / "asterisk22-sample-events.jsonl"
SYSTEM = "ccops-lab"
ACTION = "action/94774859-d8d9-4867-a640-53b9d0beb3a4/1/"

# The scenario's calls, by Linkedid (the call) and the caller's Uniqueid (its queue entry).
ANSWERED_SUPPORT = "ccops-lab-1795670143.0"  # Alice answers, is spied on, talks 14 s
ANSWERED_SALES = "ccops-lab-1795670150.10"  # Bob answers, talks 2 s
ABANDONED = "ccops-lab-1795670153.14"  # Bob does not answer, Alice rings, the caller hangs up
ABANDONED_CALLER = "ccops-lab-1795670153.15"


@pytest.fixture(scope="module")
def messages() -> list[dict[str, object]]:
    return list(read_capture(CAPTURE))


@pytest.fixture(scope="module")
def scenario() -> list:
    return replay_file(CAPTURE, Translator(strict=True), segment="scenario")


def strict() -> Translator:
    return Translator(strict=True)


def of_call(events: list, linkedid: str, *types: type) -> list:
    return [e for e in events if isinstance(e, ChannelEvent) and e.linkedid == linkedid and isinstance(e, types)]


def first(messages: list[dict[str, object]], event: str, **match: str) -> dict[str, object]:
    """A copy of the first captured message of that Event whose headers match."""
    for message in messages:
        if message.get("Event") == event and all(message.get(k) == v for k, v in match.items()):
            return dict(message)
    raise LookupError(event, match)


# --------------------------------------------------------------------------------------------
# The project's own lab (config/asterisk, tests/fixtures/capture_lab.py): one scenario per
# capture, each on a fresh Asterisk, as the product's AMI user sees it (manager.conf filters on).
#
# These captures get re-recorded, and every run has new Uniqueids and times. So the values a
# scenario fixes (queues, members, statuses, reasons, scores, contexts, positions, channel names)
# are literal in the tests, and ids, times and measured durations are read from the raw AMI
# message the event must come from, header by header, as docs/call-model.md maps them.

LAB = "aiivr-lab"


def lab(name: str) -> tuple[list[dict[str, object]], list]:
    messages = list(read_capture(FIXTURES / f"lab-{name}.jsonl"))
    return messages, list(replay(messages, Translator(strict=True)))


def raw(messages: list[dict[str, object]], event: str, **match: object) -> list[dict[str, object]]:
    return [m for m in messages if m.get("Event") == event and all(m.get(k) == v for k, v in match.items())]


def stamp(message: dict[str, object]) -> float:
    return float(message["Timestamp"])  # type: ignore[arg-type]


def number(message: dict[str, object], header: str) -> int:
    return int(message[header])  # type: ignore[call-overload]


def of_types(events: list, *types: type) -> list:
    return [e for e in events if isinstance(e, types)]


def without_callers_channel(message: dict[str, object]) -> dict[str, object]:
    """An agent event as Asterisk 22 sends it once the caller's channel is gone: the Dest
    (agent) block, the queue and the member, no caller block (Channel, Uniqueid, Linkedid...)."""
    caller_keys = {key[len("Dest"):] for key in message if key.startswith("Dest")}
    return {key: value for key, value in message.items() if key not in caller_keys}
