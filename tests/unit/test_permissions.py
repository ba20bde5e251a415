"""Every (role, action) pair of the matrix, both ways, through the service layer.

EXPECTED is written from docs/cli.md's role table, independently of
aiivr.permissions.MATRIX, so a change to either that breaks the contract fails here.
"""

import pytest
from sqlmodel import select

from aiivr import audit, permissions
from aiivr.errors import PermissionDenied
from aiivr.models.audit import AuditEntry
from aiivr.models.users import Role
from aiivr.principal import Ctx, Principal

A, S, ADM = "agent", "supervisor", "admin"
EXPECTED = {
    "user.manage": {ADM}, "user.list": {ADM}, "token.manage": {ADM}, "audit.read": {ADM},
    "agent.view_own": {A, S, ADM}, "agent.view_all": {S, ADM},
    "agent.state_own": {A, S, ADM}, "agent.state_all": {S, ADM}, "agent.move": {S, ADM},
    "queue.view_own": {A, S, ADM}, "queue.view_all": {S, ADM},
    "monitor.spy": {S, ADM},
    "call.view_own": {A, S, ADM}, "call.view_all": {S, ADM}, "call.dial": {A, S, ADM},
    "call.resolve": {A, S, ADM},
    "recording.play_own": {A, S, ADM}, "recording.play_all": {S, ADM}, "recording.verify": {ADM},
    "recording.alter": set(),
    "query.work_own": {A, S, ADM}, "query.work_all": {S, ADM}, "query.assign": {S, ADM},
    "report.kpi_own": {A, S, ADM}, "report.kpi_all": {S, ADM}, "report.run": {S, ADM},
    "queue_log.export": {S, ADM}, "queue_log.import": {ADM},
    "alert.view": {S, ADM}, "board.view": {S, ADM}, "tui.use": {A, S, ADM},
}
PAIRS = [(role, action) for action in EXPECTED for role in Role]


def test_matrix_covers_exactly_the_contracts_actions():
    assert set(permissions.MATRIX) == set(EXPECTED)


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError, match="unknown action"):
        permissions.allowed(Role.admin, "user.mangle")


@pytest.mark.parametrize("role, action", PAIRS, ids=[f"{r.value}-{a}" for r, a in PAIRS])
def test_every_pair_through_the_service_layer(module_db, role, action):
    db, config = module_db
    ctx = Ctx(db=db, config=config, actor=Principal(name=f"x-{role.value}", role=role))
    with db.read() as session:
        before = session.exec(select(AuditEntry)).all()
    if role.value in EXPECTED[action]:
        audit.authorize(ctx, action, target="t")
        with db.read() as session:
            assert len(session.exec(select(AuditEntry)).all()) == len(before)
    else:
        with pytest.raises(PermissionDenied) as error:
            audit.authorize(ctx, action, target="t")
        assert str(error.value).startswith("permission denied:") and "\n" not in str(error.value)
        with db.read() as session:
            last = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert (last.actor, last.action, last.target, last.outcome) == (f"x-{role.value}", action, "t", "denied")
