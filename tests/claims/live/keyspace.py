"""A snapshot of a whole Redis keyspace: every key, its type, TTL and contents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis


@dataclass(frozen=True)
class KeyRecord:
    """One key as it was: name, type, milliseconds left to live (-1: none) and raw contents."""

    key: bytes
    type: str
    ttl_ms: int
    contents: tuple[bytes, ...]

    @property
    def blob(self) -> bytes:
        """Name and contents in one byte string, for searching."""
        return b"\n".join((self.key, *self.contents))


def _contents(client: Any, key: bytes, kind: str) -> tuple[bytes, ...]:
    # redis-py's return types are unions of every decode setting; ours returns bytes.
    if kind == "string":
        value = client.get(key)
        return (value,) if value is not None else ()
    if kind == "hash":
        return tuple(part for pair in client.hgetall(key).items() for part in pair)
    if kind == "set":
        return tuple(sorted(client.smembers(key)))
    if kind == "zset":
        return tuple(member for member, _ in client.zrange(key, 0, -1, withscores=True))
    if kind == "list":
        return tuple(client.lrange(key, 0, -1))
    if kind == "stream":
        return tuple(
            part for _, fields in client.xrange(key) for pair in fields.items() for part in pair
        )
    return ()


def snapshot(client: redis.Redis) -> list[KeyRecord]:
    """Every key in the database, read with SCAN (never KEYS)."""
    raw: Any = client
    records = []
    for key in raw.scan_iter(count=500):
        kind = raw.type(key).decode()
        if kind == "none":
            continue  # expired between SCAN and TYPE
        records.append(KeyRecord(key, kind, int(raw.pttl(key)), _contents(raw, key, kind)))
    return sorted(records, key=lambda record: record.key)
