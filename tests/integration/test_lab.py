"""The Asterisk lab is real and matches what the product expects of it.

Run as root after .ci/install-lab.sh:  .venv/bin/python -m pytest tests/integration/test_lab.py
"""

from __future__ import annotations

import json
import re
import socket
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.lab import app as lab_cli
from pbx_bridge import lab as lab_manager
from pbx_bridge import lab_calls
from pbx_bridge.lab_ami import AmiError
from pbx_bridge.lab_config import CONF_DIR, varset_complement

pytestmark = pytest.mark.lab
ALICE = lab_calls.agent_interface("1001")


def test_manager_conf_varset_filter_is_the_generated_complement():
    line = next(line for line in (CONF_DIR / "manager.conf").read_text().splitlines()
                if line.startswith("eventfilter(action(exclude),name(VarSet)"))
    assert line.split(" = ", 1)[1] == varset_complement()
    rx = re.compile(varset_complement())
    assert not rx.search("MIXMONITOR_FILENAME") and not rx.search("QUEUESTATUS")
    assert all(rx.search(name) for name in ("QUEUESTATUSX", "MIXMONITOR", "QUEUE", "BRIDGEPEER", "M", "Q"))


def test_ami_greets_and_accepts_only_the_right_secret(lab):
    client = lab.ami(login=False)
    assert client.banner.startswith("Asterisk Call Manager/")
    with pytest.raises(AmiError, match="refused"):
        client.login(lab.username, lab.secret + "-wrong")
    ok = lab.ami()
    assert ok.action("Ping")["Response"] == "Success"


def test_generated_config_points_at_this_lab(lab):
    config = tomllib.loads(lab.config_path.read_text())
    assert config["ami"] == {"host": "127.0.0.1", "port": lab.port, "username": "aiivr", "secret": lab.secret,
                             "queue_log_path": str(lab.queue_log_path)}
    assert config["recordings"]["spool_dir"] == str(lab.spool_dir)
    assert config["recordings"]["path_map"] == {"/var/spool/asterisk/recordings": str(lab.spool_dir)}
    assert config["monitor"] == {"originate_channel": "Local/{extension}@phones/n", "context": "spy"}
    assert lab.queue_log_path.is_file() and lab.spool_dir.is_dir()


def test_queue_show_lists_both_queues_without_static_members(lab):
    out = lab.cli("queue show")
    assert re.search(r"^support has \d+ calls .* in 'rrmemory' strategy .*within 20s$", out, re.M), out
    assert re.search(r"^sales has \d+ calls .* in 'ringall' strategy .*within 20s$", out, re.M), out
    assert "(static)" not in out


def test_answered_call_by_a_dynamic_member(clean_lab):
    lab = clean_lab
    ami = lab.ami()
    added = ami.action("QueueAdd", Queue="support", Interface=ALICE, MemberName="alice")
    assert added["Response"] == "Success", added
    ami.wait_for("QueueMemberAdded", Queue="support", MemberName="alice", Membership="dynamic")

    linkedid = lab.originate_customer("support", talk=1, ring=0.5, csat=5, wait=30)
    connect = ami.wait_for("AgentConnect", Linkedid=linkedid)
    complete = ami.wait_for("AgentComplete", Linkedid=linkedid)
    survey = ami.wait_for("UserEvent", UserEvent="AiivrCsat", Linkedid=linkedid)
    assert (connect["Queue"], connect["MemberName"], connect["Interface"]) == ("support", "alice", ALICE)
    assert connect["DestChannel"].startswith("Local/1001@agents-") and connect["DestChannel"].endswith(";1")
    assert complete["Reason"] == "agent" and int(complete["TalkTime"]) >= 1
    assert (survey["Score"], survey["Queue"]) == ("5", "support")
    ami.wait_for("Hangup", Uniqueid=linkedid)
    lab.wait_idle()

    # the recording: named by the VarSet the filter lets through, written where path_map says
    filename = ami.wait_for("VarSet", Variable="MIXMONITOR_FILENAME", Linkedid=linkedid)["Value"]
    local = lab.spool_dir / Path(filename).name
    assert filename.startswith("/var/spool/asterisk/recordings/support-") and local.stat().st_size > 8000
    ami.wait_for("MixMonitorStop", Linkedid=linkedid)

    caller = connect["Uniqueid"]
    events = [line.split("|")[4] for line in lab.queue_log() if line.split("|")[1] == caller]
    assert events == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
    assert any(line.endswith("|support|alice|ADDMEMBER|") for line in lab.queue_log())

    # manager.conf's filters: no dialplan step noise, VarSet only for the two kept names
    names = {m.get("Event") for m in ami.messages}
    assert not names & {"Newexten", "TestEvent"}
    assert {m["Variable"] for m in ami.events("VarSet")} <= {"MIXMONITOR_FILENAME", "QUEUESTATUS"}


def test_timeout_knob_ends_the_wait_with_queuestatus_timeout(clean_lab):
    ami = clean_lab.ami()
    linkedid = clean_lab.originate_customer("sales", timeout=2, wait=30)
    status = ami.wait_for("VarSet", Variable="QUEUESTATUS", Linkedid=linkedid, timeout=10)
    assert status["Value"] == "TIMEOUT"
    ami.wait_for("Hangup", Uniqueid=linkedid)
    assert [line.split("|")[4] for line in clean_lab.queue_log()] == ["ENTERQUEUE", "EXITWITHTIMEOUT"]


def test_noanswer_knob_rings_until_the_customer_abandons(clean_lab):
    ami = clean_lab.ami()
    ami.action("QueueAdd", Queue="support", Interface=ALICE, MemberName="alice")
    linkedid = clean_lab.originate_customer("support", noanswer="1001", wait=2)
    ami.wait_for("AgentCalled", Linkedid=linkedid, MemberName="alice")
    abandon = ami.wait_for("QueueCallerAbandon", Linkedid=linkedid)
    assert abandon["Queue"] == "support"
    assert not ami.events("AgentConnect")
    ami.wait_for("Hangup", Uniqueid=linkedid)
    assert [line.split("|")[4] for line in clean_lab.queue_log()][-3:] == ["ENTERQUEUE", "RINGCANCELED", "ABANDON"]


def test_up_refuses_when_the_port_is_taken(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(lab_manager.LabError, match=f"already answers on 127.0.0.1:{port}"):
            lab_manager.up(port=port, root=tmp_path / "never-built")
    assert not (tmp_path / "never-built").exists()  # refused before building anything


def test_up_on_a_running_lab(lab):
    assert lab_manager.up(port=lab.port, root=lab.root) == lab.config_path  # same port: nothing to do
    with pytest.raises(lab_manager.LabError, match="already runs"):
        lab_manager.up(port=lab.port + 1, root=lab.root)


def test_cli_status_json_and_one_line_errors(lab):
    runner = CliRunner()
    result = runner.invoke(lab_cli, ["status", "--json", "--root", str(lab.root)])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert status["running"] is True and status["port"] == lab.port and status["built"] is True
    assert status["banner"].startswith("Asterisk Call Manager/")

    result = runner.invoke(lab_cli, ["up", "--port", str(lab.port + 1), "--root", str(lab.root)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: the lab in ")


def test_restart_drops_ami_and_forgets_members(lab):
    ami = lab.ami()
    ami.action("QueueAdd", Queue="sales", Interface=ALICE, MemberName="alice")
    lab.restart()
    with pytest.raises(AmiError, match="connection closed"):
        ami.wait_for("NeverSent", timeout=5)
    after = lab.ami()
    members = [m for m in after.collect("QueueStatus") if m.get("Event") == "QueueMember"]
    assert members == []  # persistentmembers = no: AIIVR re-applies memberships itself
    assert after.wait_for("FullyBooted")["Status"] == "Fully Booted"
