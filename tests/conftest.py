"""Shared fixtures: a migrated database on SQLite and on a real PostgreSQL server.

The PostgreSQL tier runs when AIIVR_TEST_PG_URL names a server (`.ci/run` starts one);
in CI (CI=true) a missing server is a failure, never a skip.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from aiivr import config as config_mod
from aiivr.db import Database
from aiivr.models.users import Role
from aiivr.principal import Ctx, Principal
from aiivr.services import setup, users

PG_URL = os.environ.get("AIIVR_TEST_PG_URL", "")
ADMIN_PASSWORD = "admin-password-1"
_counter = itertools.count()


def _backends():
    return ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test reads or writes the real ~/.config or ~/.local/share."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    for var in ("AIIVR_CONFIG", "AIIVR_TOKEN", "AIIVR_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)


_templates: dict[str, str] = {}


def _initialise(url: str) -> None:
    cfg = config_mod.parse(f'[database]\nurl = "{url}"\n', env={})
    database = Database(url)
    setup.initialise(database, cfg, admin_name="admin", admin_password=ADMIN_PASSWORD)
    database.dispose()


def _pg_admin():
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def make_database_url(backend: str, tmp_path: Path, *, initialised: bool = True) -> str:
    """A fresh database. Initialised ones are copied from a template migrated once per
    run, so hundreds of tests do not each pay for the migrations."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / f'aiivr-{next(_counter)}.db'}"
        if initialised:
            if "sqlite" not in _templates:
                template = Path(tempfile.mkdtemp(prefix="aiivr-template-")) / "template.db"
                _initialise(f"sqlite:///{template}")
                _templates["sqlite"] = str(template)
            shutil.copyfile(_templates["sqlite"], url.removeprefix("sqlite:///"))
        return url
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("AIIVR_TEST_PG_URL is not set: CI must run the PostgreSQL tier")
        pytest.skip("no PostgreSQL server (set AIIVR_TEST_PG_URL; .ci/start-postgres.sh starts one)")
    base = PG_URL.rsplit("/", 1)[0]
    if initialised and "postgres" not in _templates:
        name = f"aiivr_template_{uuid.uuid4().hex[:8]}"
        engine = _pg_admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        _initialise(f"{base}/{name}")
        _templates["postgres"] = name
    name = f"aiivr_test_{uuid.uuid4().hex[:12]}"
    engine = _pg_admin()
    with engine.connect() as conn:
        template = f' TEMPLATE "{_templates["postgres"]}"' if initialised else ""
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{template}')
    engine.dispose()
    return f"{base}/{name}"


def drop_database_url(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    name = url.rsplit("/", 1)[1]
    engine = _pg_admin()
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture(params=_backends())
def database_url(request, tmp_path):
    url = make_database_url(request.param, tmp_path)
    yield url
    drop_database_url(url)


@pytest.fixture(params=_backends())
def empty_database_url(request, tmp_path):
    """A database with no schema at all (for init and migration tests)."""
    url = make_database_url(request.param, tmp_path, initialised=False)
    yield url
    drop_database_url(url)


@pytest.fixture
def config(database_url):
    return config_mod.parse(f'[site]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{database_url}"\n', env={})


@pytest.fixture
def db(config):
    database = Database(config.database.url)
    yield database
    database.dispose()


class People:
    """Ready-made principals for each role, backed by real user rows."""

    def __init__(self, db: Database, config) -> None:
        self.db, self.config = db, config
        self.admin = self._principal("admin")
        self.supervisor = self.add("sue", Role.supervisor)
        self.agent = self.add("alice", Role.agent, interface="Local/1001@agents/n", queues=["support"])
        self.agent2 = self.add("bob", Role.agent, interface="Local/1002@agents/n", queues=["sales"])

    def _principal(self, name: str) -> Principal:
        from sqlmodel import select

        from aiivr.models.users import User

        with self.db.read() as session:
            user = session.exec(select(User).where(User.name == name)).one()
            return Principal(name=user.name, role=Role(user.role), user_id=user.id)

    def add(self, name: str, role: Role, **kwargs) -> Principal:
        users.add_user(self.ctx(self.admin), name=name, role=role.value, password=f"{name}-password", **kwargs)
        return self._principal(name)

    def ctx(self, principal: Principal) -> Ctx:
        return Ctx(db=self.db, config=self.config, actor=principal)

    def by_role(self, role: Role) -> Principal:
        return {Role.agent: self.agent, Role.supervisor: self.supervisor, Role.admin: self.admin}[role]


@pytest.fixture
def people(db, config):
    return People(db, config)


@pytest.fixture(scope="module", params=_backends())
def module_db(request, tmp_path_factory):
    """One initialised database shared by a module's tests (for many cheap checks)."""
    url = make_database_url(request.param, tmp_path_factory.mktemp("module-db"))
    cfg = config_mod.parse(f'[site]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{url}"\n', env={})
    database = Database(url)
    yield database, cfg
    database.dispose()
    drop_database_url(url)
