"""The demo's core helpers on both databases: seeding its people, and a simulated day going
through the product's own translator and recorder into the summary."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import select

from aiivr.errors import Conflict, PermissionDenied
from aiivr.models.audit import AuditEntry
from aiivr.models.users import Role, User, UserQueue
from aiivr.principal import Ctx, Principal
from aiivr.recorder import Recorder
from aiivr.services.demo import DemoUser, seed_users, summarise
from pbx_bridge.demo import demo_users
from pbx_bridge.service import direction_rules
from pbx_bridge.simulator import World, build_roster, demo_profile
from pbx_bridge.translator import Translator
from tests.unit.simulator_helpers import START, outcomes_from_stream

PASSWORD = "demo-password"


def _admin(db, config) -> Ctx:
    with db.read() as session:
        user = session.exec(select(User).where(User.name == "admin")).one()
    return Ctx(db=db, config=config, actor=Principal(user.name, Role.admin, user.id))


def test_seed_users_adds_the_roster_with_its_queues_and_audit(db, config):
    roster = build_roster(agents=4, queues=2)
    assert seed_users(_admin(db, config), demo_users(roster), PASSWORD) == 4 + len(roster.supervisors)
    with db.read() as session:
        alice = session.exec(select(User).where(User.name == "alice")).one()
        memberships = session.exec(select(UserQueue).where(UserQueue.user_id == alice.id)).all()
        added = session.exec(select(AuditEntry).where(AuditEntry.action == "user.add",
                                                      AuditEntry.actor == "admin")).all()
        hashes = {u.password_hash for u in session.exec(select(User).where(User.name != "admin"))}
    assert (alice.role, alice.interface, alice.extension) == ("agent", "Local/1001@agents/n", "1001")
    assert sorted(m.penalty for m in memberships) == [0, 1]  # main queue and overflow
    assert len(added) == 4 + len(roster.supervisors)
    assert len(hashes) == 1  # one shared password, hashed once


def test_seed_users_is_all_or_nothing_and_for_admins_only(db, config):
    admin = _admin(db, config)
    with pytest.raises(Conflict):
        seed_users(admin, [DemoUser("zed", "agent"), DemoUser("zed", "agent")], PASSWORD)
    with db.read() as session:
        assert session.exec(select(User).where(User.name == "zed")).first() is None
    seed_users(admin, [DemoUser("sue", "supervisor")], PASSWORD)
    with db.read() as session:
        sue = session.exec(select(User).where(User.name == "sue")).one()
    with pytest.raises(PermissionDenied):
        seed_users(Ctx(db=db, config=config, actor=Principal("sue", Role.supervisor, sue.id)),
                   [DemoUser("yan", "agent")], PASSWORD)


def test_a_simulated_day_goes_through_the_recorder_into_the_summary(db, config):
    roster = build_roster(agents=8, queues=2)
    seed_users(_admin(db, config), demo_users(roster), PASSWORD)
    world = World(roster, demo_profile(8), seed=7, start_epoch=START, self_wrapup=True)
    world.run_until(300)
    world.stop_arrivals()
    world.run_until(900)  # everyone has gone
    translator = Translator(direction_rules(config), strict=True)
    recorder = Recorder(db, config)
    for start in range(0, len(world.events), 500):
        recorder.apply([d for message in world.events[start:start + 500] for d in translator.translate(message)])
    recorder.close()
    summary = summarise(db)
    expected = Counter(outcomes_from_stream(world.events).values())
    assert summary.queue_outcomes == dict(expected) and expected["answered"] > 50 and expected["abandoned"] > 0
    assert summary.dispositions == {"answered": expected["answered"], "abandoned": expected["abandoned"]}
    assert summary.by_direction == {"inbound": world.stats.offered}
    assert summary.recordings_named == world.stats.offered
    assert summary.csat_scores == world.stats.csat > 0
    assert summary.pauses["acw"] == world.stats.answered  # one wrap-up per answered call
    named = Counter(e["PausedReason"] for e in world.events if e["Event"] == "QueueMemberPause"
                    and e["Paused"] == "1" and e["PausedReason"] != "acw")
    assert set(summary.pauses) - {"acw"} == set(named) and named
    assert summary.agents == 8
