"""`serve --check` and the live agent/queue views through the CLI."""

import json
import socket

from aiivr.db import Database
from aiivr.recorder import Recorder
from tests.conftest import ADMIN_PASSWORD
from tests.unit.recorder_helpers import events_of


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_check_says_ami_is_unreachable_and_exits_4(aiivr, tmp_path):
    # The fixture's config ends with its [ami] table: add an address where nothing listens.
    with open(aiivr.config_path, "a") as handle:
        handle.write(f'host = "127.0.0.1"\nport = {_closed_port()}\nusername = "aiivr"\n')
    result = aiivr("serve", "--check")
    assert result.code == 4
    report = json.loads(result.out)
    assert report["database"] == "ok" and report["ami"].startswith("no AMI session with 127.0.0.1:")
    assert "not ready" in result.err and "Traceback" not in result.err


def test_serve_without_ami_credentials_is_a_usage_error(aiivr):
    result = aiivr("serve")
    assert result.code == 2 and "[ami] username" in result.err


def test_agent_and_queue_views_in_json(aiivr, database_url, config):
    aiivr.login("admin", ADMIN_PASSWORD)
    added = aiivr("user", "add", "alice", "--role", "agent", "--interface", "Local/1001@agents/n",
                  "--queues", "support,sales", "--password-stdin", stdin="alice-password\n")
    assert added.code == 0, added.err
    db = Database(database_url)
    recorder = Recorder(db, config)
    recorder.apply(events_of("two-queues"))
    recorder.close()
    db.dispose()
    agents = json.loads(aiivr("agent", "list", "--json").out)
    assert agents["next"] is None
    assert [(a["name"], a["status"], a["interface"]) for a in agents["items"]] == [("alice", "offline", "Local/1001@agents/n")]
    unmapped = json.loads(aiivr("agent", "list", "--unmapped", "--json").out)["items"]
    assert unmapped == []  # bob and carol left their queues at the end of the capture
    queues = {q["name"]: q for q in json.loads(aiivr("queue", "list", "--json").out)["items"]}
    assert queues["support"]["waiting"] == 0
    shown = json.loads(aiivr("queue", "show", "sales", "--json").out)
    assert shown["name"] == "sales" and shown["callers"] == [] and shown["members"] == []
    missing = aiivr("queue", "show", "nosuch")
    assert missing.code == 1 and "no queue named 'nosuch'" in missing.err
