"""What every handler module shares: the handler signature and the two kinds of TranslationIssue."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aiivr.events import DomainEvent, TranslationIssue
from pbx_bridge.ami_fields import text

Message = Mapping[str, object]
Events = tuple[DomainEvent, ...]
Handler = Callable[[Message, float, str], Events]

NO_EVENTS: Events = ()


def source(message: Message) -> str:
    return text(message.get("Event"))


def dropped(message: Message, ts: float, system: str, reason: str, uniqueid: str = "") -> Events:
    return (
        TranslationIssue(
            ts=ts, system=system, source_event=source(message), reason=reason, dropped=True, uniqueid=uniqueid
        ),
    )


def degraded(message: Message, ts: float, system: str, reason: str, uniqueid: str) -> TranslationIssue:
    return TranslationIssue(
        ts=ts, system=system, source_event=source(message), reason=reason, dropped=False, uniqueid=uniqueid
    )


NO_CHANNEL_IDS = "no usable Uniqueid or Linkedid"
