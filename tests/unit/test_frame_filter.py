"""The pre-parse frame filter never drops a frame the translator would use."""

import json
from pathlib import Path

import pytest

from bench.ami_replay_server import encode_frame
from pbx_bridge.translator import Translator, wants_frame

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPTURES = sorted(FIXTURES.glob("*.jsonl"))


def _frame(message: dict) -> str:
    body = {k: v for k, v in message.items() if not k.startswith("_")}
    return encode_frame(body).decode()[:-4]  # the protocol hands over frames without the terminator


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.stem for c in CAPTURES])
def test_every_frame_that_means_something_passes(capture):
    translate = Translator().translate
    passed = skipped = 0
    for line in capture.read_text().splitlines():
        message = json.loads(line)
        frame = _frame(message)
        if wants_frame(frame):
            passed += 1
        else:
            skipped += 1
            assert translate(message) == (), f"a skipped frame meant something: {message.get('Event')}"
    assert passed > 0


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
])
def test_frame_filter_cases(frame, wanted):
    assert wants_frame(frame) is wanted
