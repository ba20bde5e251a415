"""The pre-parse frame filter never drops a frame the translator would use."""

import json
from pathlib import Path

import pytest

from bench.ami_replay_server import encode_frame
from pbx_bridge.direction import DirectionRules
from pbx_bridge.translator import Translator, wants_frame

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPTURES = sorted(FIXTURES.glob("*.jsonl"))


def _frame(message: dict) -> str:
    body = {k: v for k, v in message.items() if not k.startswith("_")}
    return encode_frame(body).decode()[:-4]  # the protocol hands over frames without the terminator


# The lab's queues dial their agents from the caller's context, "caller": with it as an outbound
# context the capture's dials mean something, and the filter must let them through.
DIALLING_RULES = DirectionRules(outbound_contexts=frozenset({"caller", "outbound"}))


@pytest.mark.parametrize("rules", [None, DIALLING_RULES], ids=["default rules", "dialling rules"])
@pytest.mark.parametrize("capture", CAPTURES, ids=[c.stem for c in CAPTURES])
def test_every_frame_that_means_something_passes(capture, rules):
    translator = Translator(rules)
    passed = skipped = 0
    for line in capture.read_text().splitlines():
        message = json.loads(line)
        frame = _frame(message)
        if translator.wants(frame):
            passed += 1
        else:
            skipped += 1
            assert translator.translate(message) == (), f"a skipped frame meant something: {message.get('Event')}"
    assert passed > 0


def test_the_filter_follows_the_translators_outbound_contexts():
    capture = FIXTURES / "asterisk22-sample-events.jsonl"
    dials = [m for m in map(json.loads, capture.read_text().splitlines()) if m.get("Event") in ("DialBegin", "DialEnd")]
    from_caller = [m for m in dials if m.get("Context") == "caller"]
    assert len(from_caller) == 12 and len(dials) > 100  # the rest are Originates' dials (no caller side)
    assert not any(Translator().wants(_frame(m)) for m in dials)  # none from an outbound context
    assert [m for m in dials if Translator(DIALLING_RULES).wants(_frame(m))] == from_caller


def test_most_of_the_reference_traffic_is_skipped_unparsed():
    capture = FIXTURES / "asterisk22-sample-events.jsonl"
    frames = [_frame(json.loads(line)) for line in capture.read_text().splitlines()]
    skipped = sum(1 for f in frames if not wants_frame(f))
    assert skipped / len(frames) > 0.5


@pytest.mark.parametrize("frame, wanted", [
    ("Response: Success\r\nActionID: 1\r\nMessage: ok", True),
    ("Event: Newexten\r\nPrivilege: dialplan,all\r\nChannel: x", False),
    ("Event: Newexten\r\nActionID: 7\r\nChannel: x", True),  # belongs to an action
    ("Event: VarSet\r\nChannel: x\r\nVariable: QUEUESTATUS\r\nValue: TIMEOUT", True),
    ("Event: VarSet\r\nChannel: x\r\nValue: /tmp/a.wav\r\nVariable: MIXMONITOR_FILENAME", True),
    ("Event: VarSet\r\nChannel: x\r\nVariable: QUEUESTATUSX\r\nValue: 1", False),
    ("Event: VarSet\r\nChannel: x\r\nVariable: BRIDGEPEER\r\nValue: y", False),
    ("Event: FullyBooted\r\nUptime: 0", True),
    ("Event: Shutdown\r\nShutdown: Cleanly", True),
    ("Event: AgentConnect\r\nQueue: support", True),
    ("Event: DialBegin\r\nChannel: a\r\nContext: outbound\r\nDestContext: x", True),
    ("Event: DialBegin\r\nChannel: a\r\nContext: queues\r\nDestContext: outbound", False),
    ("Event: DialEnd\r\nContext: outbound\r\nDialStatus: ANSWER", True),
    ("Event: DialEnd\r\nDialStatus: ANSWER", False),  # no Context: nothing to classify
    ("Event: NewCallerid\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\nCallerIDNum: 5550001", True),
    ("Event: NewCallerid\r\nUniqueid: 1.2\r\nLinkedid: 1.1\r\nCallerIDNum: 5550001", False),
    # Anything the translator would report (unusable or repeated ids) goes on to it.
    ("Event: NewCallerid\r\nUniqueid: 1.2\r\nCallerIDNum: 5550001", True),
    ("Event: NewCallerid\r\nUniqueid: <unknown>\r\nLinkedid: 1.1", True),
    ("Event: NewCallerid\r\nUniqueid: 1.2\r\nLinkedid: 1.1\r\nLinkedid: 1.2", True),
])
def test_frame_filter_cases(frame, wanted):
    assert wants_frame(frame) is wanted
