"""How a room's traffic travels between browsers and the relay (DESIGN §6)."""

from __future__ import annotations

from enum import StrEnum


class RoutingMode(StrEnum):
    """A room's privacy routing mode, fixed in its genesis."""

    DIRECT = "direct"  # WebSocket relay, envelopes padded to size buckets
    TOR = "tor"  # the same relay reached as an onion service
    MIX = "mix"  # one envelope size, batched and shuffled rounds, cover traffic
