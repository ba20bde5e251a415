"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from aiivr.models.agents import AgentStatus, QueueMember
from aiivr.models.audit import AuditEntry, AuditHead
from aiivr.models.auth import AuthToken
from aiivr.models.calls import AgentCall, Call, CallEvent, QueueEntry
from aiivr.models.changes import ChangeCounter
from aiivr.models.outbox import AgentPresence, OutboxCommand
from aiivr.models.pbx import DataGap, PbxState
from aiivr.models.queries import Query, QueryCall, QueryHistory
from aiivr.models.queues import PauseReason, Queue
from aiivr.models.recordings import Alert, Recording, RecordingSkip
from aiivr.models.reports import KpiDaily, KpiDay, KpiDirty, KpiMonth, KpiMonthly, KpiState  # noqa: F401 - issue 7
from aiivr.models.users import Role, User, UserQueue

__all__ = [
    "AgentCall", "AgentStatus", "AuditEntry", "AuditHead", "AuthToken", "Call", "CallEvent", "ChangeCounter",
    "DataGap", "PauseReason", "PbxState", "Query", "QueryCall", "QueryHistory", "Queue", "QueueEntry",
    "QueueMember", "Role", "User", "UserQueue",
]
