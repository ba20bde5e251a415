"""Which way a call points, from the dialplan contexts it passes through.

Only the PBX's dialplan knows where a call came from, and every site names its contexts
differently, so the contexts are configuration. The translator classifies the context a channel
was created in (ChannelCreated.direction) and the context a channel dials from (an outbound one
gives OutboundDialed: the outbound context never creates a channel of its own). The recorder
decides a call's direction from that evidence, queue joins and AIIVR's own Originates
(docs/call-model.md, "Direction").
"""

from __future__ import annotations

from dataclasses import dataclass

from aiivr.events import Direction

#: Contexts where calls from outside land. "caller" and "from-sip" are the reference lab's
#: (conf/extensions.conf); the others are common FreePBX-style names.
DEFAULT_INBOUND_CONTEXTS = frozenset({"caller", "from-sip", "from-pstn", "from-trunk", "from-external"})
#: Contexts that dial out (config/asterisk's [outbound]). `aiivr serve` adds `[outbound] context`.
DEFAULT_OUTBOUND_CONTEXTS = frozenset({"outbound"})


@dataclass(frozen=True, slots=True)
class DirectionRules:
    inbound_contexts: frozenset[str] = DEFAULT_INBOUND_CONTEXTS
    outbound_contexts: frozenset[str] = DEFAULT_OUTBOUND_CONTEXTS

    def classify(self, context: str) -> Direction:
        if context in self.inbound_contexts:
            return Direction.INBOUND
        if context in self.outbound_contexts:
            return Direction.OUTBOUND
        return Direction.INTERNAL
