"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from aiivr.models.agents import AgentStatus, QueueMember
from aiivr.models.audit import AuditEntry, AuditHead
from aiivr.models.auth import AuthToken
from aiivr.models.calls import Call, CallEvent, QueueEntry
from aiivr.models.changes import ChangeCounter
from aiivr.models.pbx import DataGap, PbxState
from aiivr.models.queries import Query, QueryCall, QueryHistory
from aiivr.models.queues import PauseReason, Queue
from aiivr.models.users import Role, User, UserQueue

__all__ = [
    "AgentStatus", "AuditEntry", "AuditHead", "AuthToken", "Call", "CallEvent", "ChangeCounter",
    "DataGap", "PauseReason", "PbxState", "Query", "QueryCall", "QueryHistory", "Queue", "QueueEntry",
    "QueueMember", "Role", "User", "UserQueue",
]
