"""Parts of `aiivr serve` beyond recording: each plugs in here with one line.

A component gets the running BridgeService (its transport to send AMI actions, its
writer to hand domain events to the recorder, its scheduler for periodic jobs, the
database and config) and is told when an AMI session is ready (after the resync),
so it can re-apply state Asterisk lost in a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pbx_bridge.outbox_executor import OutboxExecutor
from pbx_bridge.vault_component import VaultComponent

if TYPE_CHECKING:
    from pbx_bridge.service import BridgeService


class Component(Protocol):
    name: str

    async def start(self, service: "BridgeService") -> None: ...

    async def on_session_ready(self, service: "BridgeService", *, pbx_restarted: bool) -> None: ...

    async def stop(self) -> None: ...


def default_components(service: "BridgeService") -> list[Component]:
    """The components `aiivr serve` runs, in start order (issue 4 outbox executor,
    issue 5 recording vault, ... add theirs here)."""
    return [OutboxExecutor(), VaultComponent()]
