"""Limits that only the real server enforces: the 64 KiB transport maximum."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from atopos_protocol import VERSION
from tests.support.live_site import live_site

pytestmark = pytest.mark.integration


async def send_oversize(port: int) -> ConnectionClosed:
    async with connect(
        f"ws://localhost:{port}/ws/v1", origin=Origin(f"http://localhost:{port}")
    ) as socket:
        await socket.recv()  # the challenge
        await socket.send(bytes([VERSION, 0x10]) + bytes(70 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
        return closed.value


async def still_serving(port: int) -> bytes:
    async with connect(
        f"ws://localhost:{port}/ws/v1", origin=Origin(f"http://localhost:{port}")
    ) as socket:
        return bytes(await socket.recv())


def test_frames_over_64_kib_drop_the_connection_and_nothing_else(tmp_path):
    """A 70 KiB frame never reaches the relay: the socket is dropped, the server carries on."""
    with live_site(tmp_path) as site:
        closed = asyncio.run(send_oversize(site.port))
        assert closed.rcvd is None  # dropped by the transport, not closed by the relay
        assert asyncio.run(still_serving(site.port))[:2] == bytes([VERSION, 0x81])
        assert "Traceback" not in site.output()


async def refused_with_frames_queued(origin: str, link: str) -> None:
    """Join, then send a frame the relay refuses and, right behind it, one more."""
    from atopos_client.connection import RoomClient
    from atopos_client.events import RoomClosed

    client = await RoomClient.join(link, "Queued")
    await client.socket.send(bytes([VERSION, 0x10, 0, 0, 0]))  # bad size: refused with 4103
    await client.socket.send(bytes([VERSION, 0x04]) + bytes(200))  # answered after the close
    assert (await client.next_event_of(RoomClosed)).code == 4103


def test_a_socket_refused_with_frames_queued_gives_its_place_back(tmp_path):
    """The reply to a frame queued behind a close must not keep the place taken."""
    from atopos_client.connection import RoomClient

    async def scenario(origin: str) -> str:
        owner = await RoomClient.create(origin, "Owner")
        for _ in range(4):
            await refused_with_frames_queued(origin, owner.link)
        await asyncio.sleep(0.5)
        late = await RoomClient.join(owner.link, "Late")  # refused 4009 if places leaked
        name = late.session.name
        await late.leave()
        await owner.leave()
        return name

    with live_site(tmp_path, tenant_options=["--max-members", "3"]) as site:
        assert asyncio.run(scenario(site.url("").rstrip("/"))) == "Late"
        output = site.output()
    assert "Traceback" not in output
    assert "Exception inside application" not in output
