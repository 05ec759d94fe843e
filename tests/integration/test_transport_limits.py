"""Limits that only the real server enforces: the 64 KiB transport maximum."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from tests.support.live_site import live_site

pytestmark = pytest.mark.integration


async def send_oversize(port: int) -> ConnectionClosed:
    async with connect(f"ws://localhost:{port}/ws/v1", origin=Origin("http://localhost")) as socket:
        await socket.recv()  # the challenge
        await socket.send(bytes([1, 0x10]) + bytes(70 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
        return closed.value


async def still_serving(port: int) -> bytes:
    async with connect(f"ws://localhost:{port}/ws/v1", origin=Origin("http://localhost")) as socket:
        return bytes(await socket.recv())


def test_frames_over_64_kib_drop_the_connection_and_nothing_else(tmp_path):
    """A 70 KiB frame never reaches the relay: the socket is dropped, the server carries on."""
    with live_site(tmp_path) as site:
        closed = asyncio.run(send_oversize(site.port))
        assert closed.rcvd is None  # dropped by the transport, not closed by the relay
        assert asyncio.run(still_serving(site.port))[:2] == bytes([1, 0x81])
        assert "Traceback" not in site.output()
