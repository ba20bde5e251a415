"""The one permission matrix: which role may do what. Every service checks it.

Roles are ordered agent < supervisor < admin; an action names the lowest role that
may do it, so an admin may do all a supervisor may. NOBODY marks what no role may do
(altering a recording). "own" actions are what an agent may do to its own things;
the matching "all" action is what lets a supervisor do it to anyone's.
"""

from __future__ import annotations

from aiivr.models.users import Role

NOBODY = None
A, S, ADMIN = Role.agent, Role.supervisor, Role.admin

MATRIX: dict[str, Role | None] = {
    # action                 lowest role   # what it covers
    "user.manage":           ADMIN,        # user add / disable / enable, others' passwords
    "user.list":             ADMIN,
    "token.manage":          ADMIN,        # token create / list / revoke
    "audit.read":            ADMIN,        # audit list / verify
    "agent.view_own":        A,            # agent show (itself)
    "agent.view_all":        S,            # agent list / show anyone
    "agent.state_own":       A,            # login / logout / ready / pause / unpause itself
    "agent.state_all":       S,            # the same for anyone (status override)
    "agent.move":            S,            # move between queues, penalties
    "queue.view_own":        A,            # queue list / show of its own queues
    "queue.view_all":        S,
    "monitor.spy":           S,            # listen / whisper / barge / stop
    "call.view_own":         A,            # calls it took, missed or made
    "call.view_all":         S,
    "call.dial":             A,            # dial / callback from its own phone
    "call.resolve":          A,            # mark a call resolved (FCR)
    "recording.play_own":    A,            # play / export its own calls' recordings
    "recording.play_all":    S,
    "recording.verify":      ADMIN,
    "recording.alter":       NOBODY,       # delete or rewrite audio or hash: never
    "query.work_own":        A,            # list / show / add / update / escalate / close its own
    "query.work_all":        S,            # anyone's, and the escalation pool
    "query.assign":          S,
    "report.kpi_own":        A,            # its own KPIs and team averages
    "report.kpi_all":        S,
    "report.run":            S,
    "queue_log.export":      S,
    "queue_log.import":      ADMIN,
    "alert.view":            S,
    "board.view":            S,
    "tui.use":               A,
}

ROLE_NAMES = {A: "an agent", S: "a supervisor", ADMIN: "an admin"}


def allowed(role: Role, action: str) -> bool:
    if action not in MATRIX:
        raise KeyError(f"unknown action {action!r}: add it to aiivr.permissions.MATRIX")
    lowest = MATRIX[action]
    return lowest is not None and role >= lowest


def refusal(role: Role, action: str) -> str:
    """The one line a refused person reads."""
    lowest = MATRIX[action]
    if lowest is None:
        return f"permission denied: no role may {action.replace('.', ' ').replace('_', ' ')}"
    return f"permission denied: {action} needs {ROLE_NAMES[lowest]} (you are {ROLE_NAMES[role]})"
