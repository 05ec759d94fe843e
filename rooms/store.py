"""The Redis room store: the only code that knows the key schema (PROTOCOL §7).

Every key is written together with its expiry inside one Lua script, and no
room key outlives the room: meta and members expire at the room's
``expires_at``, the tombstone of an ended room at the same instant. Rate
counters (joins and rooms per client) hold no room id and expire with their
window; the per-connection frame limit lives in the connection's process.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from enum import Enum
from typing import cast

from redis.asyncio import Redis

from atopos_protocol.routing_modes import RoutingMode
from atopos_site.tenancy.namespace import TenantNamespace
from rooms.server_keys import tombstone_id

MEMBER_DEADLINE_MS = 90_000

_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
"""

_ADMIT = """
local expires = redis.call('HGET', KEYS[1], 'exp')
if not expires then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
if not redis.call('ZSCORE', KEYS[2], ARGV[1])
   and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('PEXPIREAT', KEYS[2], expires)
return 1
"""

_REFRESH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[1])
return 1
"""

_END = """
local deleted = redis.call('DEL', KEYS[1], KEYS[2], KEYS[4], KEYS[5], KEYS[6])
if tonumber(ARGV[1]) > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[3], '1', 'PXAT', ARGV[1])
end
return deleted
"""

# Compare-and-set: the event goes in only on top of the current head.
_APPEND = """
local expires = redis.call('HGET', KEYS[1], 'exp')
if not expires then return -1 end
if redis.call('HGET', KEYS[1], 'head') ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('PEXPIREAT', KEYS[2], expires)
redis.call('HSET', KEYS[1], 'head', ARGV[2])
return 1
"""

_KNOCK = """
local expires = redis.call('HGET', KEYS[1], 'exp')
if not expires then return -1 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0
   and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[2], expires)
return 1
"""

# Extra Lock: one passphrase guess reserved against the room's budget, in a sliding
# window (a fixed one would let twice the budget through across its edge). The set of
# guess times expires with its newest guess's window, or the room, whichever comes first.
_GUESS = """
local expires = redis.call('HGET', KEYS[1], 'exp')
if not expires then return -1 end
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('PEXPIREAT', KEYS[2], math.min(now + window, tonumber(expires)))
return 1
"""

_HIT = """
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class Admission(Enum):
    """The outcome of asking for a place in a room."""

    ADMITTED = "admitted"
    FULL = "full"
    GONE = "gone"


class Knocked(Enum):
    """The outcome of recording a newcomer who waits for an admin."""

    WAITING = "waiting"
    BUSY = "busy"  # the room already has as many newcomers waiting as it keeps
    GONE = "gone"


class Appended(Enum):
    """The outcome of a compare-and-set append to a room's log."""

    APPENDED = "appended"
    STALE = "stale"  # the head moved: the author re-bases
    GONE = "gone"


class Guess(Enum):
    """Whether a passphrase guess may be checked now."""

    ALLOWED = "allowed"
    EXHAUSTED = "exhausted"  # the room's budget of guesses for this window is spent
    GONE = "gone"


class RateCounter(Enum):
    """The rate-limited actions and their windows (milliseconds)."""

    JOINS = ("join", 60_000)
    CREATES = ("create", 3_600_000)

    @property
    def name_part(self) -> str:
        return self.value[0]

    @property
    def window_ms(self) -> int:
        return self.value[1]


@dataclass(frozen=True, slots=True)
class StoredRoom:
    """What the server keeps about a live room: nothing that decrypts."""

    genesis: bytes
    server_shard: bytes
    auth_pk: bytes
    mode: RoutingMode
    expires_at_ms: int
    head: bytes = b""  # the id of the last event in the room's log (the genesis at first)


class RoomStore:
    """One tenant's rooms in Redis."""

    def __init__(self, redis: Redis, namespace: TenantNamespace) -> None:
        self.redis = redis
        self.namespace = namespace
        self._create = redis.register_script(_CREATE)
        self._admit = redis.register_script(_ADMIT)
        self._refresh = redis.register_script(_REFRESH)
        self._end = redis.register_script(_END)
        self._hit = redis.register_script(_HIT)
        self._append = redis.register_script(_APPEND)
        self._knock = redis.register_script(_KNOCK)
        self._guess = redis.register_script(_GUESS)

    def _room_key(self, room_id: bytes, field: str) -> str:
        return self.namespace.tagged_key("room", room_id.hex(), field)

    def _tomb_key(self, room_id: bytes) -> str:
        return self.namespace.key("tomb", tombstone_id(self.namespace.slug, room_id))

    def relay_channel(self, room_id: bytes) -> str:
        """The pub/sub channel (not a key: nothing is stored) that carries the room's frames."""
        return self._room_key(room_id, "relay")

    async def create(self, room_id: bytes, room: StoredRoom) -> bool:
        """Store a new room until its expiry; False if the id is taken or tombstoned."""
        fields = {
            "genesis": room.genesis,
            "shard": room.server_shard,
            "auth": room.auth_pk,
            "mode": room.mode.value,
            "exp": str(room.expires_at_ms),
            "head": room.head,
        }
        flat = [item for pair in fields.items() for item in pair]
        keys = [self._room_key(room_id, "meta"), self._tomb_key(room_id)]
        return bool(await self._create(keys=keys, args=[room.expires_at_ms, *flat]))

    async def get(self, room_id: bytes) -> StoredRoom | None:
        """The live room with this id, or None (missing, ended and expired look alike)."""
        values = await cast(
            "Awaitable[list[bytes | None]]",
            self.redis.hmget(
                self._room_key(room_id, "meta"), ["genesis", "shard", "auth", "mode", "exp", "head"]
            ),
        )
        fields = [value for value in values if isinstance(value, bytes)]
        if len(fields) != len(values):
            return None  # missing, ended and expired rooms look alike
        genesis, shard, auth, mode, expires, head = fields
        return StoredRoom(genesis, shard, auth, RoutingMode(mode.decode()), int(expires), head)

    async def log(self, room_id: bytes, start: int = 0) -> list[bytes]:
        """The room's governance events after the genesis, in order, from index ``start``."""
        events = await cast(
            "Awaitable[list[bytes]]", self.redis.lrange(self._room_key(room_id, "log"), start, -1)
        )
        return [event for event in events if isinstance(event, bytes)]  # never str: raw replies

    async def append(self, room_id: bytes, parent: bytes, event_id: bytes, raw: bytes) -> Appended:
        """Append ``raw`` if ``parent`` is still the head (atomic compare-and-set)."""
        keys = [self._room_key(room_id, "meta"), self._room_key(room_id, "log")]
        result = int(await self._append(keys=keys, args=[parent, event_id, raw]))
        return {1: Appended.APPENDED, 0: Appended.STALE}.get(result, Appended.GONE)

    async def add_knock(self, room_id: bytes, ed_pk: bytes, binding: bytes, cap: int) -> Knocked:
        """Record a newcomer waiting for an admin (at most ``cap`` wait), until the room expires."""
        keys = [self._room_key(room_id, "meta"), self._room_key(room_id, "knocks")]
        result = int(await self._knock(keys=keys, args=[ed_pk, binding, cap]))
        return {1: Knocked.WAITING, 0: Knocked.BUSY}.get(result, Knocked.GONE)

    async def remove_knock(self, room_id: bytes, ed_pk: bytes) -> None:
        # redis-py's stubs say str, but a field name is any bytes on the wire.
        key = self._room_key(room_id, "knocks")
        await cast("Awaitable[int]", self.redis.hdel(key, ed_pk))  # type: ignore[arg-type]

    async def knocks(self, room_id: bytes) -> dict[bytes, bytes]:
        """Newcomers waiting for an admin: ed_pk -> the binding their JOIN carried."""
        waiting = await cast(
            "Awaitable[dict[bytes, bytes]]", self.redis.hgetall(self._room_key(room_id, "knocks"))
        )
        return {
            key: value
            for key, value in waiting.items()
            if isinstance(key, bytes) and isinstance(value, bytes)
        }

    async def admit(self, room_id: bytes, member: bytes, cap: int, now_ms: int) -> Admission:
        """Take a place for ``member`` unless the room is full or gone (atomic)."""
        keys = [self._room_key(room_id, "meta"), self._room_key(room_id, "members")]
        args: list[str | int] = [member.hex(), cap, now_ms, now_ms + MEMBER_DEADLINE_MS]
        result = int(await self._admit(keys=keys, args=args))
        return {1: Admission.ADMITTED, 0: Admission.FULL}.get(result, Admission.GONE)

    async def refresh(self, room_id: bytes, member: bytes, now_ms: int) -> bool:
        """Push ``member``'s liveness deadline forward; False once the room is gone."""
        keys = [self._room_key(room_id, "meta"), self._room_key(room_id, "members")]
        args: list[str | int] = [member.hex(), now_ms + MEMBER_DEADLINE_MS]
        return bool(await self._refresh(keys=keys, args=args))

    async def release(self, room_id: bytes, member: bytes) -> None:
        """Give ``member``'s place back."""
        await self.redis.zrem(self._room_key(room_id, "members"), member.hex())

    async def end(self, room_id: bytes, expires_at_ms: int, now_ms: int) -> None:
        """Delete every key of the room, leaving a tombstone until its expiry."""
        keys = [
            self._room_key(room_id, "meta"),
            self._room_key(room_id, "members"),
            self._tomb_key(room_id),
            self._room_key(room_id, "log"),
            self._room_key(room_id, "knocks"),
            self._room_key(room_id, "guesses"),
        ]
        await self._end(keys=keys, args=[expires_at_ms, now_ms])

    async def reserve_guess(
        self, room_id: bytes, token: bytes, limit: int, window_ms: int, now_ms: int
    ) -> Guess:
        """Count a passphrase guess (named ``token``) before it is checked: at most ``limit``
        in any ``window_ms`` per room."""
        keys = [self._room_key(room_id, "meta"), self._room_key(room_id, "guesses")]
        result = int(await self._guess(keys=keys, args=[now_ms, window_ms, limit, token]))
        return {1: Guess.ALLOWED, 0: Guess.EXHAUSTED}.get(result, Guess.GONE)

    async def refund_guess(self, room_id: bytes, token: bytes) -> None:
        """A right passphrase: its guess does not count."""
        await self.redis.zrem(self._room_key(room_id, "guesses"), token)

    async def hit(self, counter: RateCounter, identity: str, limit: int) -> bool:
        """Count one action; True while ``identity`` stays within ``limit`` per window."""
        key = self.namespace.key("rate", counter.name_part, identity)
        return int(await self._hit(keys=[key], args=[counter.window_ms])) <= limit
