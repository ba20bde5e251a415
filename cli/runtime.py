"""What every command shares: the config, the database and who is acting.

Loaded lazily so `--help`, `config check` and usage errors never touch the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from aiivr import config as config_mod
from aiivr import credentials, schema
from aiivr.config import Config
from aiivr.db import Database
from aiivr.errors import NotAuthenticated
from aiivr.principal import Ctx, Principal
from aiivr.services import auth


@dataclass
class Runtime:
    config_path: str | None = None
    debug: bool = False
    fmt: str | None = None  # the global --format/--json, if given
    _config: Config | None = field(default=None, repr=False)
    _db: Database | None = field(default=None, repr=False)

    def config(self) -> Config:
        if self._config is None:
            self._config = config_mod.load(self.config_path)
        return self._config

    def database(self, *, check_schema: bool = True) -> Database:
        if self._db is None:
            cfg = self.config()
            self._db = Database(cfg.database.url, busy_timeout_ms=cfg.database.busy_timeout_ms)
        if check_schema:
            schema.require_current(self._db)
        return self._db

    def token(self) -> str | None:
        return os.environ.get("AIIVR_TOKEN") or credentials.load(self.config().database.url)

    def principal(self) -> Principal:
        db = self.database()
        token = self.token()
        if not token:
            raise NotAuthenticated("not logged in: run `aiivr login NAME` (or set AIIVR_TOKEN)")
        return auth.authenticate(db, token)

    def ctx(self) -> Ctx:
        """The authenticated context every core service call needs."""
        return Ctx(db=self.database(), config=self.config(), actor=self.principal())

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


_current = Runtime()


def current() -> Runtime:
    """The runtime of the command being run (set up by the global options)."""
    return _current


def reset() -> Runtime:
    global _current
    _current = Runtime()
    return _current
