"""The relay's fan-out: one per process and Redis shard, straight from Redis to sockets.

A frame from a member goes at once to the room's other members in this
process, and is PUBLISHed once for the members other processes hold. One
subscriber connection per shard, subscribed to the rooms that have members
here, hands what arrives to those members' sockets. Nothing is serialised
beyond a 17-byte header, nothing queues per member, and no consumer task is
woken per delivery: docs/PERFORMANCE.md measures what this saves over the
channel layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import weakref
from collections.abc import Awaitable, Callable
from enum import IntEnum
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

TAG_SIZE = 8  # identifies a process, and a connection within it
HEADER_SIZE = 2 * TAG_SIZE + 1


class Event(IntEnum):
    """What a published message carries after its header."""

    FRAME = 0  # an envelope, relayed unchanged
    LEFT = 1  # the ed_pk of a member whose connection closed
    ENDED = 2  # the owner ended the room
    GOVERNANCE = 3  # an event the relay appended to the room's log
    KNOCK = 4  # ed_pk ‖ binding of a newcomer waiting for an admin
    DECLINED = 5  # the ed_pk of a newcomer an admin turned away


class Member(Protocol):
    """A connection in a room, as the hub reaches it."""

    async def deliver(self, frame: bytes) -> None: ...

    async def member_left(self, ed_pk: bytes) -> None: ...

    async def room_ended(self) -> None: ...

    async def governance(self, event: bytes) -> None: ...

    async def knocked(self, ed_pk: bytes, binding: bytes) -> None: ...

    async def declined(self, ed_pk: bytes) -> None: ...

    async def subscription_lost(self) -> None: ...


# What each event does to a member it reaches: a new event type is a line here,
# its Event value and its Member method.
DELIVERIES: dict[Event, Callable[[Member, bytes], Awaitable[None]]] = {
    Event.FRAME: lambda member, data: member.deliver(data),
    Event.LEFT: lambda member, data: member.member_left(data),
    Event.ENDED: lambda member, _: member.room_ended(),
    Event.GOVERNANCE: lambda member, data: member.governance(data),
    Event.KNOCK: lambda member, data: member.knocked(data[:32], data[32:]),
    Event.DECLINED: lambda member, data: member.declined(data),
}


def new_tag() -> bytes:
    """A random tag for one connection."""
    return os.urandom(TAG_SIZE)


class RoomHub:
    """Local members by room, and the Redis subscription that feeds them."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.process = new_tag()
        self.rooms: dict[str, dict[bytes, Member]] = {}
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)
        self._lock = asyncio.Lock()
        self._subscribed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def enter(self, channel: str, tag: bytes, member: Member) -> None:
        """Add a member; the first one here subscribes this process to the room."""
        room = self.rooms.setdefault(channel, {})
        room[tag] = member
        if len(room) == 1:
            async with self._lock:
                await self._pubsub.subscribe(channel)
            self._subscribed.set()
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read())

    async def exit(self, channel: str, tag: bytes) -> None:
        """Remove a member; the last one here unsubscribes."""
        room = self.rooms.get(channel)
        if room is None or room.pop(tag, None) is None or room:
            return
        del self.rooms[channel]
        async with self._lock:
            with contextlib.suppress(RedisError):
                await self._pubsub.unsubscribe(channel)

    async def frame(self, channel: str, sender: bytes, frame: bytes) -> None:
        """Relay an envelope to every other member of the room, here and elsewhere."""
        await self._publish(channel, sender, Event.FRAME, frame)

    async def left(self, channel: str, sender: bytes, ed_pk: bytes) -> None:
        """Tell the room a member's connection closed."""
        await self._publish(channel, sender, Event.LEFT, ed_pk)

    async def ended(self, channel: str, sender: bytes) -> None:
        """Tell every member, the sender included, that the room is over."""
        await self._publish(channel, b"", Event.ENDED, b"")

    async def governance(self, channel: str, event: bytes) -> None:
        """An appended event, to everyone in the room (its author included)."""
        await self._publish(channel, b"", Event.GOVERNANCE, event)

    async def knock(self, channel: str, sender: bytes, ed_pk: bytes, binding: bytes) -> None:
        """A newcomer waits for an admin."""
        await self._publish(channel, sender, Event.KNOCK, ed_pk + binding)

    async def declined(self, channel: str, ed_pk: bytes) -> None:
        """An admin turned a newcomer away."""
        await self._publish(channel, b"", Event.DECLINED, ed_pk)

    async def _publish(self, channel: str, sender: bytes, event: Event, data: bytes) -> None:
        await self._dispatch(channel, sender, event, data)
        header = self.process + sender.ljust(TAG_SIZE, b"\0") + bytes([event])
        await self.redis.publish(channel, header + data)

    async def _dispatch(self, channel: str, sender: bytes, event: Event, data: bytes) -> None:
        deliver = DELIVERIES[event]
        for tag, member in list(self.rooms.get(channel, {}).items()):
            if tag == sender:
                continue
            try:
                await deliver(member, data)
            except Exception:  # one broken socket must not starve the others
                logger.exception("delivery to a member failed")

    async def _lost(self) -> None:
        """Frames published while the subscription was down never reach our members, and
        a restarted Redis may have forgotten their rooms: every member here reconnects
        (the client resends and resyncs, or learns the room is gone)."""
        for room in list(self.rooms.values()):
            for member in list(room.values()):
                try:
                    await member.subscription_lost()
                except Exception:  # one broken socket must not keep the others open
                    logger.exception("closing a member after a lost subscription failed")

    async def _read(self) -> None:
        while True:
            await self._subscribed.wait()
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except RedisError:
                logger.warning("relay subscription lost; reconnecting")
                await self._lost()
                await asyncio.sleep(0.5)
                continue
            if not self._pubsub.subscribed:
                self._subscribed.clear()
            if message is None or message["type"] != "message":
                continue
            payload: bytes = message["data"]
            if len(payload) < HEADER_SIZE or payload[:TAG_SIZE] == self.process:
                continue  # our own publish: local members already have it
            try:
                event = Event(payload[2 * TAG_SIZE])
            except ValueError:
                continue
            channel = message["channel"].decode()
            sender = payload[TAG_SIZE : 2 * TAG_SIZE]
            await self._dispatch(channel, sender, event, payload[HEADER_SIZE:])


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, RoomHub]] = (
    weakref.WeakKeyDictionary()
)


def hub_for(redis: Redis) -> RoomHub:
    """This event loop's hub for the shard ``redis`` talks to."""
    hubs = _hubs.setdefault(asyncio.get_running_loop(), {})
    hub = hubs.get(id(redis))
    if hub is None:
        hub = hubs[id(redis)] = RoomHub(redis)
    return hub
