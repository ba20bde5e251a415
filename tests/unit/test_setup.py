import pytest
import sqlalchemy as sa
from sqlmodel import select

from aiivr import audit, changes, schema
from aiivr.config import parse
from aiivr.db import Database
from aiivr.errors import DatabaseError
from aiivr.models.audit import AuditEntry
from aiivr.models.queues import PauseReason, Queue
from aiivr.services import setup


def _snapshot(db):
    with db.read() as session:
        return (
            [(r.code, r.label, r.max_minutes) for r in session.exec(select(PauseReason).order_by(PauseReason.code))],
            session.exec(select(sa.func.count()).select_from(AuditEntry)).one(),
            changes.versions(session),
        )


def test_init_seeds_reference_data(db):
    with db.read() as session:
        reasons = {r.code: (r.label, r.max_minutes) for r in session.exec(select(PauseReason))}
    assert reasons == {"lunch": ("Lunch", 60), "bathroom": ("Bathroom", 10), "smoke": ("Smoke", 10),
                       "on_leave": ("On Leave", None), "case_work": ("Case Work", 30),
                       "acw": ("After-call work", None)}
    assert schema.current_revision(db) == schema.head_revision()


def test_init_twice_changes_nothing(db, config):
    before = _snapshot(db)
    result = setup.initialise(db, config, admin_name="admin", admin_password=None)
    assert result.changed is False and result.admin_created is None
    assert _snapshot(db) == before


def test_init_applies_config_pause_reasons_and_queues(db, database_url):
    cfg = parse(f'[database]\nurl = "{database_url}"\n[pause_reasons.lunch]\nmax_minutes = 45\n'
                '[pause_reasons.training]\nlabel = "Training"\n[queues.support]\nservice_level_seconds = 30\n', env={})
    result = setup.initialise(db, cfg)
    assert sorted(result.seeded) == ["pause_reason:lunch", "pause_reason:training", "queue:support"]
    with db.read() as session:
        assert session.get(PauseReason, "lunch").max_minutes == 45
        assert session.get(PauseReason, "training").label == "Training"
        assert session.exec(select(Queue).where(Queue.name == "support")).one().service_level_seconds == 30


def test_uninitialised_database_is_refused_with_a_hint(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseError, match="not initialised: run `aiivr init`"):
        schema.require_current(db)


def test_database_from_a_newer_version_is_refused(db, config):
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseError, match="created by a newer AIIVR"):
        schema.require_current(db)
    with pytest.raises(DatabaseError, match="created by a newer AIIVR"):
        setup.initialise(db, config)


def test_change_counters_move_once_per_transaction(db):
    with db.read() as session:
        before = changes.versions(session)["calls"]
    with db.write() as session:
        changes.bump(session, "calls")
        changes.bump(session, "calls", "agents")
    with db.read() as session:
        after = changes.versions(session)
    assert after["calls"] == before + 1
    with pytest.raises(ValueError, match="unknown change topic"):
        with db.write() as session:
            changes.bump(session, "weather")


def test_a_failed_transaction_bumps_nothing_and_writes_no_audit(db):
    from aiivr.principal import SYSTEM

    with db.read() as session:
        before = (changes.versions(session)["users"], session.exec(select(sa.func.count()).select_from(AuditEntry)).one())
    with pytest.raises(RuntimeError):
        with db.write() as session:
            changes.bump(session, "users")
            audit.append(session, SYSTEM, "doomed")
            raise RuntimeError("boom")
    with db.read() as session:
        after = (changes.versions(session)["users"], session.exec(select(sa.func.count()).select_from(AuditEntry)).one())
    assert after == before


def test_init_on_an_empty_database_migrates_seeds_and_creates_the_admin(empty_database_url):
    cfg = parse(f'[database]\nurl = "{empty_database_url}"\n', env={})
    db = Database(empty_database_url)
    assert setup.has_admin(db) is False
    result = setup.initialise(db, cfg, admin_name="root", admin_password="root-password")
    assert (result.schema_before, result.schema_after, result.admin_created) == (None, schema.head_revision(), "root")
    assert setup.has_admin(db) is True
    again = setup.initialise(db, cfg)
    assert again.changed is False
    db.dispose()
