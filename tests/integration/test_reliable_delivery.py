"""Messages survive dropped networks and a relay restart, through a real daphne and Redis,
without the relay storing any: senders resend what was not acknowledged, members answer
for their own recent messages, and receivers show each message once, in its sender's order.
"""

from __future__ import annotations

import asyncio

import pytest

from atopos_client.connection import RoomClient
from atopos_client.events import BackOnline, MemberJoined, MessageReceived, MessagesMissed
from tests.support.live_clients import alice_and_bob, drain, drop_network, leave_all, wait_until
from tests.support.live_site import live_site

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with live_site(tmp_path_factory.mktemp("delivery")) as running:
        yield running


async def talking(site) -> tuple[RoomClient, RoomClient]:
    """Alice and Bob in a room, each knowing the other is there."""
    alice, bob = await alice_and_bob(site.url("").rstrip("/"))
    await alice.next_event_of(MemberJoined)
    return alice, bob


async def texts_shown(client: RoomClient, count: int, timeout: float = 30) -> list[str]:
    """The next ``count`` messages ``client`` shows, and anything else shown meanwhile."""
    shown: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(shown) < count:
        event = await client.next_event(max(0.01, deadline - loop.time()))
        if isinstance(event, MessageReceived):
            shown.append(event.text)
        assert not isinstance(event, MessagesMissed), event
    return shown


def test_what_alice_types_while_her_network_is_down_reaches_bob_once_in_order(site):
    async def scenario():
        alice, bob = await talking(site)
        drop_network(alice)
        for text in ("one", "two", "three"):
            await alice.send_text(text)
        assert alice.unacknowledged == 3
        await alice.next_event_of(BackOnline, timeout=30)
        assert await texts_shown(bob, 3) == ["one", "two", "three"]
        assert await wait_until(lambda: alice.unacknowledged == 0, 10)
        await asyncio.sleep(1)
        assert [e for e in drain(bob) if isinstance(e, MessageReceived)] == []
        await leave_all([alice, bob])

    asyncio.run(scenario())


def test_bob_gets_what_he_missed_while_away_from_alice_not_from_the_relay(site):
    async def scenario():
        alice, bob = await talking(site)
        await alice.send_text("before")
        assert await texts_shown(bob, 1) == ["before"]
        drop_network(bob)
        for text in ("while", "you", "were", "away"):
            await alice.send_text(text)
        assert await wait_until(lambda: alice.unacknowledged == 0, 10)  # the relay passed
        await bob.next_event_of(BackOnline, timeout=30)  # them on to nobody but Bob's old
        assert await texts_shown(bob, 4) == ["while", "you", "were", "away"]  # socket
        await alice.send_text("after")
        assert await texts_shown(bob, 1) == ["after"]
        await leave_all([alice, bob])

    asyncio.run(scenario())


def test_a_message_sent_as_the_relay_restarts_is_shown_once(site):
    """Alice's message may or may not have been fanned out before the relay died; either
    way she sends it again until acknowledged, and Bob shows it exactly once."""

    async def scenario():
        alice, bob = await talking(site)
        await alice.send_text("as the relay dies")
        await asyncio.get_running_loop().run_in_executor(None, site.restart)
        await alice.next_event_of(BackOnline, timeout=60)  # Bob's events are read below
        await alice.send_text("after the restart")
        assert await texts_shown(bob, 2) == ["as the relay dies", "after the restart"]
        await asyncio.sleep(2)
        assert [e for e in drain(bob) if isinstance(e, MessageReceived)] == []
        await leave_all([alice, bob])

    asyncio.run(scenario())
