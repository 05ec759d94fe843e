"""What a Redis restart does to live rooms when Redis keeps nothing on disk (the default).

The relay keeps rooms only in Redis. Restarted empty, Redis has forgotten the
genesis, the server shard and the log of every room: the room has ended for
everyone, as docs/ARCHITECTURE.md ("Known limits") says. A member's next
message closes its connection (the relay's Redis connection died under it)
and its reconnect finds no room; nobody new gets in; a member whose
connection drops finds the room ended. The chaos run shows the other
setting: with Redis's append-only file the rooms survive the restart.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from atopos_client.connection import RoomClient, RoomUnavailable
from atopos_client.events import MemberJoined, RoomClosed
from atopos_protocol.frames import CloseCode
from atopos_site.embedded_redis import redis_server_binary
from atopos_site.testing.processes import free_port, wait_for_port
from tests.support.live_clients import leave_all, settled
from tests.support.live_site import live_site

pytestmark = pytest.mark.integration


class RedisServer:
    """Debian's redis-server on its own port, keeping nothing on disk."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.command = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no", "--dir", str(directory)]  # fmt: skip
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)
        wait_for_port(self.port, process)
        return process

    def restart(self) -> None:
        """SIGKILL, then start again on the same port: empty."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = self._start()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, redis_server):
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    with live_site(tmp_path_factory.mktemp("redis-restart"), env={"REDIS_URL": url}) as running:
        yield running


async def a_room_whose_redis_restarted(site, redis_server) -> tuple[RoomClient, RoomClient]:
    alice = await RoomClient.create(site.url("").rstrip("/"), "Alice")
    bob = await RoomClient.join(alice.link, "Bob")
    await settled(alice)
    await alice.next_event_of(MemberJoined)
    await asyncio.get_running_loop().run_in_executor(None, redis_server.restart)
    return alice, bob


def test_a_member_who_speaks_next_finds_the_room_ended(site, redis_server):
    async def scenario():
        alice, bob = await a_room_whose_redis_restarted(site, redis_server)
        await alice.send_text("still here?")
        closed = await alice.next_event_of(RoomClosed, timeout=30)
        assert (closed.code, closed.ended) == (CloseCode.ROOM_UNAVAILABLE, True)
        await leave_all([bob])

    asyncio.run(scenario())


def test_nobody_new_gets_in(site, redis_server):
    async def scenario():
        alice, bob = await a_room_whose_redis_restarted(site, redis_server)
        with pytest.raises(RoomUnavailable):
            await RoomClient.join(alice.link, "Carol")
        await leave_all([alice, bob])

    asyncio.run(scenario())


def test_a_member_whose_connection_drops_finds_the_room_ended(site, redis_server):
    async def scenario():
        alice, bob = await a_room_whose_redis_restarted(site, redis_server)
        bob.socket.transport.abort()
        closed = await bob.next_event_of(RoomClosed, timeout=30)
        assert (closed.code, closed.ended) == (CloseCode.ROOM_UNAVAILABLE, True)
        await leave_all([alice])

    asyncio.run(scenario())
