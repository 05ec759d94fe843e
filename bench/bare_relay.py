"""The yardstick: a bare `websockets` relay, optionally scaled out through Redis pub/sub.

    python -m bench.bare_relay --port 9001 [--redis redis://127.0.0.1:6390/0]

A client connects to /room/<id> and every binary message it sends reaches
every other socket of that room. With --redis each message costs exactly one
PUBLISH, and one pattern subscriber per process fans messages out to local
sockets: the least work a horizontally scalable relay can do.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections import defaultdict

from redis.asyncio import Redis
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

SENDER_ID_SIZE = 8


class Relay:
    """Rooms of local sockets, and optionally a Redis channel per room."""

    def __init__(self, redis: Redis | None) -> None:
        self.rooms: dict[str, dict[bytes, ServerConnection]] = defaultdict(dict)
        self.redis = redis
        self.pubsub = redis.pubsub() if redis is not None else None

    async def handle(self, socket: ServerConnection) -> None:
        room = socket.request.path.rsplit("/", 1)[-1]
        me = os.urandom(SENDER_ID_SIZE)
        members = self.rooms[room]
        members[me] = socket
        try:
            async for frame in socket:
                if not isinstance(frame, bytes):
                    continue
                if self.redis is not None:
                    await self.redis.publish(f"bench:{room}", me + frame)
                else:
                    self.fan_out(room, me, frame)
        except ConnectionClosed:
            pass
        finally:
            del members[me]
            if not members:
                del self.rooms[room]

    def fan_out(self, room: str, sender: bytes, frame: bytes) -> None:
        others = [socket for member, socket in self.rooms.get(room, {}).items() if member != sender]
        broadcast(others, frame)  # writes without awaiting; skips sockets that cannot keep up

    async def listen(self) -> None:
        """One subscriber for the process; redis-py's PubSub must not be shared by readers."""
        if self.pubsub is None:
            return
        await self.pubsub.psubscribe("bench:*")
        async for message in self.pubsub.listen():
            if message["type"] != "pmessage":
                continue
            room = message["channel"].decode().split(":", 1)[1]
            data = message["data"]
            self.fan_out(room, data[:SENDER_ID_SIZE], data[SENDER_ID_SIZE:])


async def main(port: int, redis_url: str | None) -> None:
    redis = Redis.from_url(redis_url) if redis_url else None
    relay = Relay(redis)
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    listener = asyncio.create_task(relay.listen()) if redis is not None else None
    async with serve(relay.handle, "127.0.0.1", port, max_size=2**16, compression=None):
        await stop
    if listener is not None:
        listener.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.port, arguments.redis))
