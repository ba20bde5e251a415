"""`aiivr init`: create or migrate the schema, seed reference data, first admin.

Safe to run again: a second run with the same config changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from aiivr import audit, changes, schema
from aiivr.config import Config
from aiivr.db import Database
from aiivr.models.audit import AuditHead
from aiivr.models.queues import PauseReason, Queue
from aiivr.models.users import Role, User
from aiivr.passwords import hash_password
from aiivr.principal import BOOTSTRAP
from aiivr.services.users import check_name

# code: (label, max minutes or None). `acw` is the automatic after-call-work pause.
DEFAULT_PAUSE_REASONS: dict[str, tuple[str, int | None]] = {
    "lunch": ("Lunch", 60),
    "bathroom": ("Bathroom", 10),
    "smoke": ("Smoke", 10),
    "on_leave": ("On Leave", None),
    "case_work": ("Case Work", 30),
    "acw": ("After-call work", None),
}


@dataclass
class InitResult:
    schema_before: str | None
    schema_after: str
    admin_created: str | None = None
    seeded: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.schema_before != self.schema_after or bool(self.admin_created) or bool(self.seeded)


def has_admin(db: Database) -> bool:
    if schema.current_revision(db) is None:
        return False
    with db.read() as session:
        return session.exec(select(User).where(User.role == Role.admin.value)).first() is not None


def initialise(db: Database, config: Config, *, admin_name: str = "admin",
               admin_password: str | None = None) -> InitResult:
    before, after = schema.upgrade(db)
    result = InitResult(schema_before=before, schema_after=after)
    with db.write() as session:
        changes.seed(session)
        if session.get(AuditHead, 1) is None:
            session.add(AuditHead(id=1))
            session.flush()
        result.seeded += _sync_pause_reasons(session, config)
        result.seeded += _sync_queues(session, config)
        if result.seeded:
            audit.append(session, BOOTSTRAP, "init.seed", detail={"changed": result.seeded})
            changes.bump(session, "queues", "agents")
        if session.exec(select(User).where(User.role == Role.admin.value)).first() is None:
            if admin_password is None:
                raise ValueError("a first admin is needed: pass admin_password")
            check_name(admin_name)
            session.add(User(name=admin_name, role=Role.admin.value, full_name="Administrator",
                             password_hash=hash_password(admin_password)))
            audit.append(session, BOOTSTRAP, "user.add", target=f"user:{admin_name}",
                         detail={"role": "admin", "first_admin": True})
            changes.bump(session, "users")
            result.admin_created = admin_name
    return result


def _sync_pause_reasons(session: Session, config: Config) -> list[str]:
    wanted = dict(DEFAULT_PAUSE_REASONS)
    for code, entry in config.pause_reasons.items():
        default_label = wanted.get(code, (code.replace("_", " ").title(), None))[0]
        wanted[code] = (entry.label or default_label, entry.max_minutes)
    changed = []
    for code, (label, max_minutes) in wanted.items():
        row = session.get(PauseReason, code)
        if row is None:
            session.add(PauseReason(code=code, label=label, max_minutes=max_minutes))
            changed.append(f"pause_reason:{code}")
        elif (row.label, row.max_minutes) != (label, max_minutes):
            row.label, row.max_minutes = label, max_minutes
            session.add(row)
            changed.append(f"pause_reason:{code}")
    return changed


def _sync_queues(session: Session, config: Config) -> list[str]:
    changed = []
    for name, settings in config.queues.items():
        row = session.exec(select(Queue).where(Queue.name == name)).first()
        values = (settings.service_level_seconds, settings.short_abandon_seconds)
        if row is None:
            session.add(Queue(name=name, service_level_seconds=values[0], short_abandon_seconds=values[1]))
            changed.append(f"queue:{name}")
        elif (row.service_level_seconds, row.short_abandon_seconds) != values:
            row.service_level_seconds, row.short_abandon_seconds = values
            session.add(row)
            changed.append(f"queue:{name}")
    return changed
