"""Playing a recording on the user's phone: the outbox command a person's process writes
(its audit entry in the same transaction) and the Originate `aiivr serve` makes of it."""

import dataclasses
import datetime as dt
import json
import time

import pytest
from sqlmodel import select

from aiivr.db import utcnow
from aiivr.errors import BadInput, PermissionDenied
from aiivr.models.audit import AuditEntry
from aiivr.models.outbox import OutboxCommand
from aiivr.models.users import Role
from aiivr.principal import Ctx
from aiivr.services import recordings
from aiivr.vault_intake import Intake
from pbx_bridge import ami_actions
from pbx_bridge.vault_component import phone_playback_steps
from tests.unit.vault_helpers import recorded_call, stored_rows, vault_config

PBX_VAULT = "/var/lib/aiivr-vault"


@pytest.fixture
def setup(db, people, database_url, tmp_path):
    """alice's stored recording; the vault inside the PBX's root, mapped like the spool."""
    cfg = vault_config(database_url, tmp_path)
    call_id, _, _ = recorded_call(db, cfg, agent=people.agent, name="a.wav", ended_at=utcnow() - dt.timedelta(minutes=5))
    Intake(db, cfg, clock=lambda: time.time() + 30).run_once()
    cfg = dataclasses.replace(cfg, recordings=dataclasses.replace(
        cfg.recordings, path_map={**cfg.recordings.path_map, PBX_VAULT: cfg.recordings.dir}))
    return cfg, call_id


def test_it_needs_the_users_extension(db, people, setup):
    cfg, call_id = setup
    with pytest.raises(BadInput, match="alice has no phone extension"):
        recordings.play_on_phone(Ctx(db=db, config=cfg, actor=people.agent), call_id)
    with db.read() as session:
        assert session.exec(select(OutboxCommand)).all() == []


def test_an_agent_cannot_send_another_agents_recording_to_its_phone(db, people, setup):
    cfg, call_id = setup
    dave = people.add("dave", Role.agent, extension="1004")
    with pytest.raises(PermissionDenied, match=f"call {call_id} is not yours"):
        recordings.play_on_phone(Ctx(db=db, config=cfg, actor=dave), call_id)


def test_it_queues_a_playback_of_the_vault_file_as_the_pbx_names_it_and_audits_it(db, people, setup):
    cfg, call_id = setup
    carol = people.add("carol", Role.supervisor, extension="1003")
    command = recordings.play_on_phone(Ctx(db=db, config=cfg, actor=carol), call_id)
    (row,) = stored_rows(db)
    with db.read() as session:
        queued = session.get(OutboxCommand, command.id)
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "recording.play")).one()
    payload = json.loads(queued.payload)
    assert (queued.action, queued.target, queued.status) == ("recording.play", f"call:{call_id}", "pending")
    assert payload["channel"] == "Local/1003@phones/n" and payload["application"] == "Playback"
    assert payload["data"] == f"{PBX_VAULT}/{row.vault_path.removesuffix('.wav')}"  # Playback adds .wav
    detail = json.loads(entry.detail)
    assert (entry.actor, detail["where"], detail["command"], detail["sha256"]) == ("carol", "phone", command.id, row.sha256)

    (step,) = ami_actions.steps_for("recording.play", payload)  # what serve's executor sends
    assert step.action == {
        "Action": "Originate", "Channel": "Local/1003@phones/n", "Application": "Playback", "Data": payload["data"],
        "CallerID": f'"Recording of call {call_id}" <1003>', "Timeout": "30000", "Async": "true",
        "Variable": ["AIIVR_ORIGIN=recording"]}
    assert phone_playback_steps(payload) == [step]
