"""Each room's resolved governance log, cached per process.

The rules the relay applies to it live in ``governance.rules``. ``LogCache``
keeps each room's resolved log per process, keyed by the room's genesis: the
relay's log is one chain of accepted events (compare-and-set
appends), so a new event is applied to the cached state instead of
re-reading and re-verifying the whole log (docs/PERFORMANCE.md measures it).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass

from atopos_protocol.genesis import Genesis
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event, event_id
from atopos_protocol.governance.forkchoice import Resolution, resolve
from rooms.store import RoomStore, StoredRoom

# Logs longer than this are rebuilt in a worker thread: verifying thousands of
# signatures must not stall every other socket of the process.
REBUILD_IN_THREAD_ABOVE = 64
CACHED_ROOMS = 4096
CACHED_LOG_BYTES = 64 * 1024 * 1024  # a full log is at most 2 MiB; keep the total bounded


@dataclass(slots=True)
class _CachedLog:
    resolution: Resolution
    length: int  # how many events of the Redis list it has taken in


class LogCache:
    """Each room's resolved log in this process; only events appended since are applied."""

    def __init__(self, capacity: int = CACHED_ROOMS, max_bytes: int = CACHED_LOG_BYTES) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._rooms: OrderedDict[tuple[str, bytes], _CachedLog] = OrderedDict()
        self.rebuilds = 0  # full reads of a log (a test and the benchmark watch it)

    async def resolution(self, store: RoomStore, room_id: bytes, room: StoredRoom) -> Resolution:
        """The room's governance as the relay holds it now (one Redis read, usually empty)."""
        key = (store.namespace.slug, event_id(room.genesis))
        cached = self._rooms.get(key)
        if cached is not None:
            self._rooms.move_to_end(key)
            tail = await store.log(room_id, cached.length)
            resolution: Resolution | None = cached.resolution
            for raw in tail:
                resolution = _extended(resolution, raw)
            if resolution is not None:
                cached.resolution, cached.length = resolution, cached.length + len(tail)
                return resolution
        events = await store.log(room_id)
        genesis = Genesis.decode(room.genesis)
        self.rebuilds += 1
        if len(events) > REBUILD_IN_THREAD_ABOVE:
            fresh = await asyncio.to_thread(resolve, genesis, events)
        else:
            fresh = resolve(genesis, events)
        self._rooms[key] = _CachedLog(fresh, len(events))
        self._rooms.move_to_end(key)
        self._evict()
        return fresh

    def _evict(self) -> None:
        total = sum(entry.resolution.state.log_bytes for entry in self._rooms.values())
        while len(self._rooms) > 1 and (len(self._rooms) > self.capacity or total > self.max_bytes):
            _, oldest = self._rooms.popitem(last=False)
            total -= oldest.resolution.state.log_bytes


def _extended(resolution: Resolution | None, raw: bytes) -> Resolution | None:
    """The cached chain plus one event the relay appended; None if it does not chain on."""
    if resolution is None:
        return None
    try:
        event = Event.decode(raw)
    except GovernanceError:
        return None
    extended = resolution.extend(event)
    if extended is None or extended.head != event.id:
        return None  # not what this relay appended: read everything again
    return extended


_log_cache = LogCache()


def log_cache() -> LogCache:
    """This process's cache of resolved logs."""
    return _log_cache
