import datetime as dt

import pytest
import sqlalchemy as sa
from sqlmodel import select

from aiivr.errors import BadInput, Conflict, NotAuthenticated, NotFound
from aiivr.models.audit import AuditEntry
from aiivr.models.auth import AuthToken
from aiivr.models.users import User
from aiivr.services import auth, users
from aiivr.services.auth import LOGIN_FAILED


def test_passwords_are_stored_as_argon2_hashes(people):
    with people.db.read() as session:
        stored = session.exec(select(User.password_hash).where(User.name == "alice")).one()
    assert stored.startswith("$argon2id$") and "alice-password" not in stored


def test_duplicate_user_and_interface_are_refused(people):
    ctx = people.ctx(people.admin)
    with pytest.raises(Conflict, match="already exists"):
        users.add_user(ctx, name="alice", role="agent", password="another-password")
    with pytest.raises(Conflict, match="interface 'Local/1001@agents/n' already belongs"):
        users.add_user(ctx, name="zed", role="agent", password="zed-password1", interface="Local/1001@agents/n")


@pytest.mark.parametrize("role", ["wizard", "", "Root"])
def test_unknown_role_is_refused(people, role):
    with pytest.raises(BadInput, match="unknown role"):
        users.add_user(people.ctx(people.admin), name="zed", role=role, password="zed-password1")


def test_bad_names_and_short_passwords_are_refused(people):
    ctx = people.ctx(people.admin)
    with pytest.raises(BadInput, match="bad user name"):
        users.add_user(ctx, name="Zed Smith", role="agent", password="zed-password1")
    with pytest.raises(BadInput, match="password too short"):
        users.add_user(ctx, name="zed", role="agent", password="short")


def test_wrong_password_and_unknown_user_give_the_same_message_and_are_audited(people):
    for name, password in [("alice", "wrong-password"), ("nobody", "alice-password")]:
        with pytest.raises(NotAuthenticated) as error:
            auth.login(people.db, name, password)
        assert str(error.value) == LOGIN_FAILED
        with people.db.read() as session:
            tail = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert (tail.action, tail.target, tail.outcome) == ("login", f"user:{name}", "denied")


def test_login_token_authenticates_and_only_its_hash_is_stored(people):
    token, principal = auth.login(people.db, "alice", "alice-password")
    assert auth.authenticate(people.db, token) == principal
    with people.db.read() as session:
        hashes = session.exec(select(AuthToken.token_hash)).all()
    assert token not in hashes and auth.token_hash(token) in hashes


def test_expired_and_revoked_tokens_are_refused(people):
    ctx = people.ctx(people.admin)
    token, view = auth.create_token(ctx, "bob", expires="1h")
    assert auth.authenticate(people.db, token).name == "bob"
    with people.db.engine.begin() as conn:
        conn.execute(sa.update(AuthToken).where(AuthToken.id == view.id)
                     .values(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)))
    with pytest.raises(NotAuthenticated, match="expired"):
        auth.authenticate(people.db, token)
    token2, view2 = auth.create_token(ctx, "bob", expires="30d")
    auth.revoke_token(ctx, view2.id)
    with pytest.raises(NotAuthenticated, match="revoked"):
        auth.authenticate(people.db, token2)
    with pytest.raises(NotAuthenticated, match="unknown"):
        auth.authenticate(people.db, "aiivr_made-up")


def test_disabling_a_user_stops_its_sessions_and_logins(people):
    token, _ = auth.login(people.db, "bob", "bob-password")
    users.set_active(people.ctx(people.admin), "bob", False)
    with pytest.raises(NotAuthenticated):
        auth.authenticate(people.db, token)
    with pytest.raises(NotAuthenticated, match="login failed"):
        auth.login(people.db, "bob", "bob-password")
    users.set_active(people.ctx(people.admin), "bob", True)
    assert auth.login(people.db, "bob", "bob-password")[1].name == "bob"


def test_token_list_shows_no_secret_and_revoke_unknown_is_not_found(people):
    ctx = people.ctx(people.admin)
    token, _ = auth.create_token(ctx, "alice", expires="7d")
    listed = auth.list_tokens(ctx)
    assert [t.user for t in listed] == ["alice"] and token not in repr(listed)
    with pytest.raises(NotFound):
        auth.revoke_token(ctx, 9999)
    with pytest.raises(BadInput, match="duration"):
        auth.create_token(ctx, "alice", expires="forever")


def test_logout_revokes_the_session(people):
    token, _ = auth.login(people.db, "alice", "alice-password")
    assert auth.logout(people.db, token) is True
    with pytest.raises(NotAuthenticated, match="revoked"):
        auth.authenticate(people.db, token)
