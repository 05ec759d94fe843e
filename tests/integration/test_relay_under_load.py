"""The relay under stress, on a real daphne: slow readers and mass disconnects."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from atopos_client.admission import Admission
from atopos_client.connection import RoomClient
from atopos_client.events import MessageReceived
from atopos_client.link import split_link_url
from atopos_protocol.frames import ChallengeFrame, CloseCode
from bench.loadgen import connect_swarm
from bench.servers import Process, Variant
from tests.support.live_site import LiveSite, live_site

pytestmark = pytest.mark.integration
BURST = 400
BIG_TEXT = "z" * 8000  # the 16384 bucket: a 16438-byte frame


async def join_without_reading(site: LiveSite, link: str):
    """A member whose socket stops reading after the handshake, with a tiny receive buffer."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", site.port))
    sloth = await connect(
        f"ws://localhost:{site.port}/ws/v1", sock=raw, origin=Origin(f"http://localhost:{site.port}"),
        max_queue=1, ping_interval=None,
    )  # fmt: skip
    challenge = ChallengeFrame.decode(await sloth.recv())
    origin, parsed = split_link_url(link)
    member = Admission(origin, parsed, "Sloth")
    await sloth.send(member.join_frame(challenge.challenge))
    member.accept_welcome(await sloth.recv())
    return sloth


def test_a_slow_reader_is_shed_and_the_others_get_everything(tmp_path):
    """One member stops reading; the relay closes it (4200) and Bob still gets every frame."""

    async def scenario(site: LiveSite) -> tuple[int, int | None, int]:
        alice = await RoomClient.create(site.url("").rstrip("/"), "Alice")
        bob = await RoomClient.join(alice.link, "Bob")
        sloth = await join_without_reading(site, alice.link)
        for _ in range(BURST):
            await alice.send_text(BIG_TEXT)
        received = 0
        deadline = time.monotonic() + 60
        while received < BURST and time.monotonic() < deadline:
            event = await bob.next_event(timeout=30)
            if isinstance(event, MessageReceived):
                received += 1
        # The sloth finally reads: what was queued for it, then (if shed) the close.
        drained, code, still_open = 0, None, False
        try:
            while True:
                await asyncio.wait_for(sloth.recv(), timeout=5)
                drained += 1
        except TimeoutError:
            still_open = True
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        await alice.leave()
        await bob.leave()
        assert not still_open, "the slow reader's socket was never closed"
        return received, code, drained

    with live_site(tmp_path, tenant_options=["--messages-per-minute", "6000"]) as site:
        received, code, drained = asyncio.run(scenario(site))
        output = site.output()
    assert received == BURST, "a member who reads was held back by one who does not"
    assert drained < BURST, "the slow reader was never shed"
    assert code in (CloseCode.SLOW_READER, None)  # 4200, or dropped before the close arrived
    assert "Traceback" not in output


def test_five_hundred_sockets_closing_at_once_cause_no_pool_errors(tmp_path, redis_client):
    """100 rooms of 5 drop together: every place is given back, nothing errors."""

    async def scenario(site: LiveSite) -> None:
        server = Process("atopos", site.process, site.port)
        variant = Variant("atopos", "Atopos", server, atopos=True)
        swarm = await connect_swarm(variant, rooms=100, size=5, concurrency=50)
        assert len(swarm.members) == 500
        for member in swarm.members:
            member.socket.transport.abort()  # all at once, no closing handshake
        await swarm.close()
        await asyncio.sleep(3)

    with live_site(tmp_path) as site:
        asyncio.run(scenario(site))
        output = site.output()
    assert len(list(redis_client.scan_iter(match="atopos:default:room:*:meta"))) == 100
    members = list(redis_client.scan_iter(match="atopos:default:room:*:members"))
    assert members == [], "places were never given back"  # an empty sorted set is deleted
    for symptom in ("Traceback", "Too many connections", "ConnectionError", "Exception"):
        assert symptom not in output
