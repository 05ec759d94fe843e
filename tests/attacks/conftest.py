"""Attacks on a real relay (channels consumer, real Redis) by a scripted adversary.

Each test plays one attack of issue 9 end to end and shows it refused. The
adversary is a member (mallory) and/or the relay itself: a relay sees every
frame and decides what each member receives, so ``Peer.withheld`` and
``Peer.injected`` (tests/rooms/peers.py) let a test drop or forge what reaches
a member, and ``Wiretap`` hands the removed member everything the relay saw.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.attacks.adversary import SharedClock
from tests.rooms.peers import Peer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clock() -> SharedClock:
    """The members' clock: real time, which a test may move forward (graces, expiries)."""
    return SharedClock()


@pytest.fixture
async def alice(relay, clock) -> Peer:
    """The owner of an open room."""
    peer = await Peer.create("Alice", clock=clock)
    yield peer
    await hang_up(peer)


@pytest.fixture
async def bob(alice, clock) -> Peer:
    peer = await Peer.join(alice.session, "Bob", clock=clock)
    await peer.meet(alice)
    yield peer
    await hang_up(peer)


@pytest.fixture
async def mallory(alice, bob, clock) -> Peer:
    """A member who will be removed, and who colludes with the relay."""
    peer = await Peer.join(alice.session, "Mallory", clock=clock)
    await peer.meet(alice, bob)
    yield peer
    await hang_up(peer)


async def hang_up(peer: Peer) -> None:
    """Close a member's socket after its test. A test whose attack worked may have timed
    out waiting for a frame, and the communicator then cancelled the consumer: closing it
    fails, and that must not break the next tests (the catalogue judges each one alone)."""
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await peer.socket.disconnect()
