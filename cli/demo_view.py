"""What `aiivr demo` draws: the banner, the live view (until the supervisor board exists) and
the closing summary. Rendering only: the figures come from core services."""

from __future__ import annotations

import datetime as dt

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from aiivr.principal import Ctx
from aiivr.services import agents, queues
from aiivr.services.demo import DemoSummary

MAX_AGENT_ROWS = 24  # a 1,000-agent demo shows the first ones and a count of the rest


def banner(info, simulated: str) -> str:
    config = info.config_path
    agent_names = info.agents if len(info.agents) <= 4 else [info.agents[0], "…", info.agents[-1]]
    return "\n".join([
        f"AIIVR demo: {simulated} (seed {info.seed}, {len(info.agents)} agents in {len(info.queues)} queues: "
        f"{', '.join(info.queues[:6])}{'…' if len(info.queues) > 6 else ''})",
        f"  folder    {info.root}   (kept afterwards; delete it when done)",
        f"  config    {config}",
        f"  database  {info.database_url}",
        f"  serve log {info.log_path}",
        f"  logins    {info.admin} (admin), {', '.join(info.supervisors)} (supervisor), "
        f"{' '.join(agent_names)} (agent); password {info.password}",
        "In another terminal, while it runs:",
        f"  aiivr --config {config} login {info.supervisors[0]}",
        f"  aiivr --config {config} call list",
        f"  aiivr --config {config} agent list",
        f"  aiivr --config {config} agent pause {info.agents[0]} --reason lunch",
    ])


def _seconds(value: int | None) -> str:
    if value is None:
        return ""
    minutes, seconds = divmod(max(0, int(value)), 60)
    return f"{minutes}:{seconds:02d}"


def live_view(ctx: Ctx, *, epoch: float, tz, speed: float) -> Group:
    """Queues (waiting, longest wait, answered, abandoned) and agents (status, reason, time in
    state, current call), read through the same services as `queue list` and `agent list`.

    Waits and time in state are measured against the simulated clock (`epoch`): at a speed
    above 1 the simulator's timestamps run ahead of the wall clock."""
    now = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    clock = now.astimezone(tz).strftime("%H:%M:%S")
    queue_table = Table(title="Queues", header_style="bold", box=box.SIMPLE_HEAD)
    for header in ("Queue", "Waiting", "Longest", "Answered", "Abandoned", "Timed out", "Free/in"):
        queue_table.add_column(header, justify="left" if header == "Queue" else "right")
    for q in queues.list_queues(ctx, now=now):
        queue_table.add_row(q.name, str(q.waiting), _seconds(q.longest_wait_seconds), str(q.answered_today),
                            str(q.abandoned_today), str(q.timed_out_today), f"{q.available}/{q.logged_in}")
    agent_table = Table(title="Agents", header_style="bold", box=box.SIMPLE_HEAD)
    for header in ("Agent", "Status", "Reason", "In state", "Call", "Caller", "Queues"):
        agent_table.add_column(header)
    views = agents.list_agents(ctx, now=now)
    for a in views[:MAX_AGENT_ROWS]:
        agent_table.add_row(a.name or a.member_name, Text(a.status, style=_STATUS_STYLE.get(a.status, "")),
                            a.reason or "", _seconds(a.seconds_in_state),
                            str(a.current_call) if a.current_call else "", a.current_caller or "", ",".join(a.queues))
    parts = [Text(f"simulated time {clock} · {speed:g}× · Ctrl-C stops", style="dim"), queue_table, agent_table]
    if len(views) > MAX_AGENT_ROWS:
        parts.append(Text(f"… and {len(views) - MAX_AGENT_ROWS} more agents (aiivr agent list)", style="dim"))
    return Group(*parts)


_STATUS_STYLE = {"online": "green", "ringing": "yellow", "on_call": "cyan", "wrap_up": "magenta",
                 "paused": "red", "offline": "dim"}


def summary_table(summary: DemoSummary, simulator: dict) -> Table:
    table = Table(title="Demo summary", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    def counts(values: dict) -> str:
        return ", ".join(f"{k or '(no reason)'} {v}" for k, v in sorted(values.items())) or "none"

    rows = [
        ("simulated", f"{simulator['simulated_seconds']:.0f} s, {simulator['events']} AMI events"),
        ("callers offered", str(simulator["offered"])),
        ("queue entries", counts(summary.queue_outcomes)),
        ("calls recorded", f"{summary.calls} ({counts(summary.dispositions)})"),
        ("pauses", counts(summary.pauses)),
        ("recordings", f"{simulator['recordings_written']} written to the spool, "
                       f"{summary.recordings_vaulted} in the vault"),
        ("CSAT scores", str(summary.csat_scores)),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


