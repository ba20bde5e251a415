"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from aiivr.models.audit import AuditEntry, AuditHead
from aiivr.models.auth import AuthToken
from aiivr.models.changes import ChangeCounter
from aiivr.models.queues import PauseReason, Queue
from aiivr.models.users import Role, User, UserQueue

__all__ = [
    "AuditEntry", "AuditHead", "AuthToken", "ChangeCounter", "PauseReason", "Queue", "Role",
    "User", "UserQueue",
]
