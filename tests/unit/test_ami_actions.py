"""Outbox commands -> AMI actions, header by header, and what Asterisk 22's replies mean
(the reply texts are the lab's, recorded by hand in a probe of the real Asterisk)."""

import re

import pytest

from pbx_bridge import ami_actions as aa
from pbx_bridge.lab_config import CONF_DIR

ALICE = {"user_id": 2, "interface": "Local/1001@agents/n", "member_name": "alice",
         "state_interface": "Local/1001@phones/n"}


def actions(action, payload):
    return [step.action for step in aa.steps_for(action, payload)]


def test_login_adds_the_member_to_each_wanted_queue_with_its_penalty():
    steps = aa.steps_for("agent.login", {**ALICE, "queues": [{"queue": "sales", "penalty": 2},
                                                             {"queue": "support", "penalty": 0}]})
    assert [s.action for s in steps] == [
        {"Action": "QueueAdd", "Queue": "sales", "Interface": "Local/1001@agents/n", "MemberName": "alice",
         "StateInterface": "Local/1001@phones/n", "Penalty": "2", "Paused": "false"},
        {"Action": "QueueAdd", "Queue": "support", "Interface": "Local/1001@agents/n", "MemberName": "alice",
         "StateInterface": "Local/1001@phones/n", "Penalty": "0", "Paused": "false"},
    ]
    # a member already there keeps its place and gets the wanted penalty
    assert steps[0].tolerate == ("Already there",)
    assert steps[0].then.action == {"Action": "QueuePenalty", "Queue": "sales", "Interface": "Local/1001@agents/n",
                                    "Penalty": "2"}
    assert [s.label for s in steps] == ["sales", "support"]


def test_logout_removes_it_from_every_queue_and_a_missing_member_is_fine():
    steps = aa.steps_for("agent.logout", {**ALICE, "queues": ["sales", "support"]})
    assert [s.action for s in steps] == [
        {"Action": "QueueRemove", "Queue": "sales", "Interface": "Local/1001@agents/n"},
        {"Action": "QueueRemove", "Queue": "support", "Interface": "Local/1001@agents/n"}]
    assert all(s.tolerate == ("Not there",) for s in steps)


def test_pause_names_no_queue_so_asterisk_pauses_all_of_them_with_the_reason():
    assert actions("agent.pause", {**ALICE, "reason": "lunch"}) == [
        {"Action": "QueuePause", "Interface": "Local/1001@agents/n", "Paused": "true", "Reason": "lunch"}]
    for action in ("agent.unpause", "agent.ready"):
        assert actions(action, ALICE) == [{"Action": "QueuePause", "Interface": "Local/1001@agents/n", "Paused": "false"}]


def test_move_adds_to_the_new_queue_then_removes_from_the_old():
    got = actions("agent.move", {**ALICE, "to": "sales", "from": "support", "penalty": 1})
    assert [(a["Action"], a["Queue"], a.get("Penalty")) for a in got] == [("QueueAdd", "sales", "1"),
                                                                         ("QueueRemove", "support", None)]
    assert [a["Action"] for a in actions("agent.move", {**ALICE, "to": "sales", "from": None, "penalty": 0})] == ["QueueAdd"]


SPY = {"mode": "whisper", "channel": "PJSIP/9001", "context": "supervisor", "caller_id": '"Whisper alice" <9001>',
       "spy_channel": "PJSIP/1001-0000002a", "hangup": None}


def test_spy_rings_the_supervisors_phone_into_the_mode_with_the_full_agent_channel():
    (step,) = aa.steps_for("monitor.whisper", SPY)
    assert step.action == {
        "Action": "Originate", "Channel": "PJSIP/9001", "Context": "supervisor", "Exten": "whisper", "Priority": "1",
        "CallerID": '"Whisper alice" <9001>', "Timeout": "30000", "Async": "true",
        "Variable": ["AIIVR_ORIGIN=monitor", "SPY=PJSIP/1001-0000002a"]}


def test_switching_mode_hangs_up_the_running_session_first():
    hang, spy = aa.steps_for("monitor.barge", {**SPY, "mode": "barge", "hangup": "PJSIP/9001-00000031"})
    assert hang.action == {"Action": "Hangup", "Channel": "PJSIP/9001-00000031"}
    assert hang.tolerate == ("No such channel",)  # the session may have ended with the call
    assert spy.action["Exten"] == "barge"
    assert aa.steps_for("monitor.stop", {"hangup": "PJSIP/9001-00000031"})[0].action == hang.action
    with pytest.raises(ValueError, match="unknown monitor mode"):
        aa.steps_for("monitor.listen", {**SPY, "mode": "shout"})


def test_dial_and_callback_originate_from_the_agents_phone_through_the_outbound_context():
    payload = {"channel": "PJSIP/1001", "context": "from-agents", "number": "+4930123456",
               "caller_id": '"Alice A" <1001>', "origin": "callback"}
    (step,) = aa.steps_for("call.callback", payload)
    assert step.action == {"Action": "Originate", "Channel": "PJSIP/1001", "Context": "from-agents",
                           "Exten": "+4930123456", "Priority": "1", "CallerID": '"Alice A" <1001>',
                           "Timeout": "30000", "Async": "true", "Variable": ["AIIVR_ORIGIN=callback"]}
    assert aa.steps_for("call.dial", {**payload, "origin": "outbound"})[0].action["Variable"] == ["AIIVR_ORIGIN=outbound"]


def test_an_unknown_command_has_no_actions():
    with pytest.raises(ValueError, match="no AMI actions for outbox command 'agent.dance'"):
        aa.steps_for("agent.dance", {})


def test_the_sample_dialplan_spies_with_the_options_each_mode_needs():
    # The modes' ChanSpy options live in the dialplan ([monitor] context): keep them in step.
    text = (CONF_DIR / "extensions.conf").read_text()
    section = text.split("[spy]", 1)[1].split("\n[", 1)[0]
    found = dict(re.findall(r"^exten => (\w+),1,ChanSpy\(\$\{SPY\},(\w+)\)", section, re.M))
    assert found == aa.SPY_OPTIONS
    assert all(o.startswith("q") and "E" in o and "b" in o for o in found.values())
    assert "w" in found["whisper"] and "B" in found["barge"] and not {"w", "B"} & set(found["listen"])


# ---------------------------------------------------------------------------- replies

PAUSE = aa.queue_pause("Local/1001@agents/n", True, "lunch")
ADD = aa.queue_add("support", "Local/1001@agents/n", "alice", "Local/1001@agents/n", 0)


@pytest.mark.parametrize("step, reply, expected", [
    (PAUSE, {"Response": "Success", "Message": "Interface paused successfully"},
     aa.StepResult(True, "Interface paused successfully")),
    (PAUSE, {"Response": "Error", "Message": "Interface not found"}, aa.StepResult(False, "Interface not found")),
    (ADD, {"Response": "Error", "Message": "Unable to add interface: Already there"},
     aa.StepResult(True, "Unable to add interface: Already there", tolerated=True)),
    (ADD, {"Response": "Error", "Message": "Unable to add interface to queue: No such queue"},
     aa.StepResult(False, "Unable to add interface to queue: No such queue")),
    (aa.hangup("Local/9001@phones-00000099;1"), {"Response": "Error", "Message": "No such channel"},
     aa.StepResult(True, "No such channel", tolerated=True)),
])
def test_replies(step, reply, expected):
    assert aa.interpret(step, reply) == expected


ORIGINATE = aa.originate("Local/1001@phones/n", "outbound", "5551234", caller_id="x", origin="outbound")


def test_an_originate_counts_only_once_the_phone_answered():
    answered = [{"Response": "Success", "Message": "Originate successfully queued"},
                {"Event": "OriginateResponse", "Response": "Success", "Channel": "Local/1001@phones-00000000;1",
                 "Reason": "4", "Uniqueid": "aiivr-lab-1795676240.0"}]
    assert aa.interpret(ORIGINATE, answered) == aa.StepResult(
        True, "Local/1001@phones-00000000;1 answered",
        outcome={"channel": "Local/1001@phones-00000000;1", "uniqueid": "aiivr-lab-1795676240.0"})
    no_answer = [answered[0], {"Event": "OriginateResponse", "Response": "Failure", "Channel": "PJSIP/1001",
                               "Reason": "3", "Uniqueid": "<unknown>"}]
    assert aa.interpret(ORIGINATE, no_answer) == aa.StepResult(False, "PJSIP/1001: rang with no answer")
    busy = [answered[0], {**no_answer[1], "Reason": "5"}]
    assert aa.interpret(ORIGINATE, busy).text == "PJSIP/1001: busy"
    # refused outright: panoramisk resolves with the single Response
    refused = {"Response": "Error", "Message": "Extension does not exist."}
    assert aa.interpret(ORIGINATE, refused) == aa.StepResult(False, "Extension does not exist.")
