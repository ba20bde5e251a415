"""Who is acting, and the context every service function receives."""

from __future__ import annotations

from dataclasses import dataclass

from aiivr.config import Config
from aiivr.db import Database
from aiivr.models.users import Role


@dataclass(frozen=True)
class Principal:
    """An authenticated actor. user_id is None for the system's own accounts."""

    name: str
    role: Role
    user_id: int | None = None


# `aiivr serve` acting on its own (after-call work, resync) and `aiivr init` bootstrapping:
# whoever can run these can write the database and is beyond every check anyway.
SYSTEM = Principal(name="system", role=Role.admin)
BOOTSTRAP = Principal(name="bootstrap", role=Role.admin)


@dataclass(frozen=True)
class Ctx:
    """What a service needs: the database, the configuration and the actor."""

    db: Database
    config: Config
    actor: Principal
