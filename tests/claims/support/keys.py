"""Sorting a Redis keyspace snapshot into the key families docs/PROTOCOL.md §7 documents."""

from __future__ import annotations

import re

from tests.claims.live.keyspace import KeyRecord

# family -> (pattern of the key name, longest allowed TTL in seconds, or None: the room's life)
FAMILIES: dict[str, tuple[re.Pattern[bytes], int | None]] = {
    "room": (
        re.compile(rb"atopos:[a-z0-9-]+:room:\{[0-9a-f]{32}\}:(meta|members|log|knocks)"),
        None,
    ),
    "tombstone": (re.compile(rb"atopos:[a-z0-9-]+:tomb:[0-9a-f]{32}"), None),
    "rate-join": (re.compile(rb"atopos:[a-z0-9-]+:rate:join:[0-9a-f]+"), 60),
    "rate-create": (re.compile(rb"atopos:[a-z0-9-]+:rate:create:[0-9a-f]+"), 3600),
}


def family_of(key: bytes) -> str | None:
    """The documented family a key belongs to, or None for an undocumented key."""
    for name, (pattern, _) in FAMILIES.items():
        if pattern.fullmatch(key):
            return name
    return None


def mentions(record: KeyRecord, value: bytes) -> bool:
    """Whether the key's name or contents hold ``value`` raw or in hex."""
    return value in record.blob or value.hex().encode() in record.blob
