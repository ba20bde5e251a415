"""A representative set of real service calls, refused and allowed by role."""

import pytest
from sqlmodel import select

from aiivr.errors import PermissionDenied
from aiivr.models.audit import AuditEntry
from aiivr.models.users import User
from aiivr.services import audit_log, auth, users


def _audit_tail(db):
    with db.read() as session:
        return session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()


def _user_names(db):
    with db.read() as session:
        return sorted(session.exec(select(User.name)).all())


@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_non_admin_cannot_add_users_and_nothing_changes(people, who):
    actor = getattr(people, who)
    before = _user_names(people.db)
    with pytest.raises(PermissionDenied, match="user.manage needs an admin"):
        users.add_user(people.ctx(actor), name="mallory", role="admin", password="mallory-password")
    assert _user_names(people.db) == before
    tail = _audit_tail(people.db)
    assert (tail.actor, tail.action, tail.target, tail.outcome) == (actor.name, "user.manage", "user:mallory", "denied")


def test_admin_adds_users_and_it_is_audited(people):
    view = users.add_user(people.ctx(people.admin), name="carol", role="agent", password="carol-password",
                          interface="Local/1003@agents/n", queues=["support", "sales"])
    assert (view.name, view.role, view.queues) == ("carol", "agent", ["sales", "support"])
    tail = _audit_tail(people.db)
    assert (tail.actor, tail.action, tail.target, tail.outcome) == ("admin", "user.add", "user:carol", "ok")


@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_only_admins_manage_tokens_and_read_the_audit_log(people, who):
    ctx = people.ctx(getattr(people, who))
    with pytest.raises(PermissionDenied):
        auth.create_token(ctx, "alice")
    with pytest.raises(PermissionDenied):
        auth.list_tokens(ctx)
    with pytest.raises(PermissionDenied):
        audit_log.list_entries(ctx)
    with pytest.raises(PermissionDenied):
        users.list_users(ctx)


def test_an_agent_may_change_its_own_password_but_not_anothers(people):
    ctx = people.ctx(people.agent)
    users.change_password(ctx, "alice", new_password="alice-new-password", current_password="alice-password")
    token, _ = auth.login(people.db, "alice", "alice-new-password")
    assert token.startswith("aiivr_")
    with pytest.raises(PermissionDenied):
        users.change_password(ctx, "bob", new_password="bob-hacked-password")
    _, principal = auth.login(people.db, "bob", "bob-password")  # bob's password unchanged
    assert principal.name == "bob"


def test_own_password_change_needs_the_current_one(people):
    with pytest.raises(PermissionDenied, match="current password is wrong"):
        users.change_password(people.ctx(people.agent), "alice", new_password="alice-new-password",
                              current_password="not-it-at-all")
