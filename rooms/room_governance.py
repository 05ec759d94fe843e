"""The relay's side of governance: who gets in, and which events may be appended.

Plain functions over the state every member also computes (governance/):
the relay enforces the same rules before it hands out the server shard or
appends an event, and members check everything again. The relay adds what
only it can judge: its own clock (REDEEM and INVITE times).

``LogCache`` keeps each room's resolved log per process, keyed by the room's
genesis: the relay's log is one chain of accepted events (compare-and-set
appends), so a new event is applied to the cached state instead of
re-reading and re-verifying the whole log (docs/PERFORMANCE.md measures it).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from atopos_protocol.genesis import Genesis
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event, EventKind, event_id
from atopos_protocol.governance.forkchoice import Resolution, resolve
from atopos_protocol.governance.payloads import Admit, Invite, Kick, Redeem, parse_payload
from atopos_protocol.governance.state import apply
from atopos_protocol.join_rules import JoinRule
from rooms.store import RoomStore, StoredRoom

# How far a REDEEM's own time may stray from the relay's clock: a ticket that
# expired more than this long ago no longer admits anyone, whatever time its
# redeemer signs.
CLOCK_ALLOWANCE_MS = 120_000
# Logs longer than this are rebuilt in a worker thread: verifying thousands of
# signatures must not stall every other socket of the process.
REBUILD_IN_THREAD_ABOVE = 64
CACHED_ROOMS = 4096
CACHED_LOG_BYTES = 64 * 1024 * 1024  # a full log is at most 2 MiB; keep the total bounded


class Entry(Enum):
    """What a member with a valid link proof gets."""

    WELCOME = "welcome"  # in: open room, or already listed
    KNOCK = "knock"  # approval room: wait for an admin
    TICKET = "ticket"  # invite room: redeem a ticket first
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Decision:
    entry: Entry
    reason: str = ""


class AppendRefused(Exception):
    """An event the relay will not append; ``reason`` is sent back to its author."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def entry_for(log: Resolution, member: bytes) -> Decision:
    """How a member key that proved knowledge of the link may enter."""
    state = log.state
    if member in state.removed:
        return Decision(Entry.REFUSED, "removed")
    if member in state.members:
        return Decision(Entry.WELCOME)
    if state.locked:
        return Decision(Entry.REFUSED, "room-locked")
    if state.join_rule is JoinRule.OPEN:
        return Decision(Entry.WELCOME)
    if state.join_rule is JoinRule.APPROVAL:
        return Decision(Entry.KNOCK)
    return Decision(Entry.TICKET)


def check_append(
    log: Resolution, raw: bytes, member: bytes, now_ms: int, room_expires_ms: int
) -> Event:
    """The event, if its author may append it on top of the relay's head; else AppendRefused."""
    try:
        event = Event.decode(raw)
    except GovernanceError as error:
        raise AppendRefused(error.code) from None
    if event.author != member:
        raise AppendRefused("not-your-key")
    if event.parent != log.head:
        # Only here can it be a replay: the log is one chain, so no event in it is a
        # child of its head (and the scan stays off the path of every honest append).
        if any(accepted.id == event.id for accepted in log.accepted):
            raise AppendRefused("duplicate")
        raise AppendRefused("stale-parent")
    try:
        apply(log.state, event)
        _check_times(event, now_ms, room_expires_ms)
    except GovernanceError as error:
        raise AppendRefused(error.code) from None
    return event


def _check_times(event: Event, now_ms: int, room_expires_ms: int) -> None:
    """The times an event carries, against the relay's clock (members cannot check them:
    a newcomer replaying the log has no clock of the moment it was appended)."""
    payload = parse_payload(event)
    if isinstance(payload, Redeem) and abs(payload.time_ms - now_ms) > CLOCK_ALLOWANCE_MS:
        raise GovernanceError("bad-time")
    latest = room_expires_ms + CLOCK_ALLOWANCE_MS
    if isinstance(payload, Invite) and not now_ms < payload.expires_at_ms <= latest:
        raise GovernanceError("bad-time")


@dataclass(frozen=True, slots=True)
class Effect:
    """What an appended event means for one connection: whom it admits or removes."""

    kind: EventKind
    admitted: bytes | None = None
    removed: bytes | None = None


@lru_cache(maxsize=1024)
def effect_of(raw: bytes) -> Effect:
    """Decode an appended event once per process, however many sockets it reaches."""
    event = Event.decode(raw)
    payload = parse_payload(event)
    if isinstance(payload, Kick):
        return Effect(event.kind, removed=payload.target)
    if isinstance(payload, Admit):
        return Effect(event.kind, admitted=payload.member)
    return Effect(event.kind)
