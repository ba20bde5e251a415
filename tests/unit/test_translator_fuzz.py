"""Property tests: whatever the AMI connection delivers, translation never raises and never loses a
well-formed event.

The translator runs strict here, so a handler that raises fails the test instead of being turned
into a TranslationIssue by the safety net: robustness must come from the handlers themselves.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiivr.events import DomainEvent, TranslationIssue
from pbx_bridge.ami_fields import MAX_TEXT
from pbx_bridge.replay import read_capture
from pbx_bridge.translator import HANDLED_EVENTS, NO_EVENTS, Translator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ALL_MESSAGES = list(read_capture(FIXTURES / "asterisk22-sample-events.jsonl"))
# The project lab's captures add real kinds the reference lacks (transfer, CSAT, exit status...).
LAB_MESSAGES = [m for path in sorted(FIXTURES.glob("lab-*.jsonl")) for m in read_capture(path)]
TRANSLATOR = Translator(strict=True)
translate = TRANSLATOR.translate


def _well_formed() -> list[dict[str, object]]:
    """One real message of each kind we translate, plus the kinds the capture lacks, built on real
    channel blocks (the same shapes the test_translator*.py files assert exactly)."""
    chosen: dict[object, dict[str, object]] = {}
    for message in ALL_MESSAGES + LAB_MESSAGES:
        key = message.get("Event")
        if key == "VarSet":
            key = ("VarSet", message.get("Variable"))
        if translate(message) and key not in chosen:
            chosen[key] = message
    caller = chosen["AgentConnect"]
    block = {k: v for k, v in caller.items() if not k.startswith(("Dest", "Queue", "Interface", "Member", "HoldTime",
                                                                  "RingTime", "Event"))}
    extra = [
        {**block, "Event": "Hold", "MusicClass": "default"},
        {**block, "Event": "Unhold"},
        {**block, "Event": "VarSet", "Variable": "QUEUESTATUS", "Value": "TIMEOUT"},
        {**block, "Event": "VarSet", "Variable": "AIIVR_ORIGIN", "Value": "outbound"},
        {**block, "Event": "UserEvent", "UserEvent": "AiivrCsat", "Score": "5"},
        {**block, "Event": "CoreShowChannel", "Duration": "00:00:09", "ActionID": "a1"},
        {"Event": "BlindTransfer", "Timestamp": "1795670150.5", "Result": "Success", "TransfererUniqueid": "u1", "TransfererLinkedid": "l1",
         "TransfereeUniqueid": "u2", "TransfereeLinkedid": "l1", "Context": "agents", "Extension": "1003"},
        {"Event": "AttendedTransfer", "Timestamp": "1795670151.5", "Result": "Success", "OrigTransfererUniqueid": "u1",
         "OrigTransfererLinkedid": "l1", "SecondTransfererLinkedid": "l2", "TransferTargetUniqueid": "u3"},
    ]
    return list(chosen.values()) + extra


WELL_FORMED = _well_formed()
HEADER_NAMES = sorted({key for message in ALL_MESSAGES + LAB_MESSAGES for key in message} | {"Score", "Duration"})

huge_text = st.integers(min_value=MAX_TEXT, max_value=300_000).map(lambda n: "9" * n)
odd_text = st.sampled_from(["", " ", "<unknown>", "<null>", "nan", "inf", "-1", "1e400", "１２", "²", "0x10", "1_0",
                            "00:00", "::", "12:xx:00", "\x00", "Success", "acw", "TIMEOUT"])
header_value = st.one_of(
    st.text(max_size=40),
    odd_text,
    huge_text,
    st.lists(st.one_of(st.text(max_size=10), odd_text, st.integers()), max_size=4),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.binary(max_size=10),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)
event_name = st.one_of(st.sampled_from(sorted(HANDLED_EVENTS)), st.text(max_size=20), header_value)
random_message = st.builds(
    lambda event, headers: {**headers, "Event": event},
    event_name,
    st.dictionaries(st.one_of(st.sampled_from(HEADER_NAMES), st.text(max_size=12)), header_value, max_size=25),
)
well_formed_message = st.sampled_from(WELL_FORMED)

fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_sane(events: object) -> None:
    assert isinstance(events, tuple)
    for event in events:
        assert isinstance(event, DomainEvent)
        for field in dataclasses.fields(event):
            value = getattr(event, field.name)
            if isinstance(value, str):
                assert len(value) <= MAX_TEXT, field.name
        if isinstance(event, TranslationIssue):
            assert event.reason and event.source_event is not None


@fuzz
@given(random_message)
def test_random_messages_never_raise(message: dict[str, object]) -> None:
    assert_sane(translate(message))


@fuzz
@given(well_formed_message, st.data())
def test_missing_headers_drop_or_degrade_never_raise(message: dict[str, object], data: st.DataObject) -> None:
    keys = [key for key in message if key != "Event"]
    removed = data.draw(st.sets(st.sampled_from(keys), max_size=len(keys)) if keys else st.just(set()))
    events = translate({k: v for k, v in message.items() if k not in removed})
    assert_sane(events)


@fuzz
@given(well_formed_message, st.data())
def test_wrong_types_and_huge_values_never_raise(message: dict[str, object], data: st.DataObject) -> None:
    keys = [key for key in message if key != "Event"]
    spoiled = data.draw(st.dictionaries(st.sampled_from(keys), header_value, min_size=1, max_size=6))
    assert_sane(translate({**message, **spoiled}))


@fuzz
@given(well_formed_message, st.data())
def test_a_repeated_header_with_the_same_value_changes_nothing(message: dict[str, object], data: st.DataObject) -> None:
    # The dispatch keys must be single; "_" keys are the capture's notes, not AMI headers.
    keys = [key for key in message if key not in ("Event", "Variable") and not key.startswith("_")]
    key = data.draw(st.sampled_from(keys))
    repeated = {**message, key: [message[key], message[key]]}
    assert translate(repeated) == translate(message)


@fuzz
@given(st.lists(st.one_of(well_formed_message, random_message), min_size=1, max_size=60))
def test_every_well_formed_event_survives_a_mixed_stream(stream: list[dict[str, object]]) -> None:
    """Garbage before, between and after real messages: each real message still gives exactly the
    events it gives alone, and none of them is an issue."""
    alone = {id(message): Translator(strict=True).translate(message) for message in WELL_FORMED}
    mixed = Translator(strict=True)
    for message in stream:
        events = mixed.translate(message)
        assert_sane(events)
        if id(message) in alone:
            assert events == alone[id(message)]
            assert events and not any(isinstance(e, TranslationIssue) for e in events)


@settings(max_examples=30, deadline=None)
@given(st.permutations(ALL_MESSAGES[:700]))
def test_order_does_not_matter(shuffled: list[dict[str, object]]) -> None:
    """The translator keeps no state: any order of the same messages gives the same events."""
    expected = sorted(map(repr, (e for m in ALL_MESSAGES[:700] for e in translate(m))))
    assert sorted(map(repr, (e for m in shuffled for e in translate(m)))) == expected


@settings(max_examples=50, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.text()), st.binary(), st.tuples(st.text())))
def test_things_that_are_not_messages_mean_nothing(thing: object) -> None:
    assert translate(thing) is NO_EVENTS  # type: ignore[arg-type]
