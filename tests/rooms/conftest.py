"""Personas for relay tests: alice creates, bob joins, mallory attacks. Real Redis throughout."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from tests.rooms.peers import Peer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def relay(alpha, redis_client, thread_connections_closed):
    """A tenant on alpha.localhost, an empty Redis and a clean channel layer."""
    yield alpha
    await get_channel_layer().flush()


@pytest.fixture
async def alice(relay) -> Peer:
    """The creator and owner of a fresh room."""
    peer = await Peer.create("Alice")
    yield peer
    await peer.socket.disconnect()


@pytest.fixture
async def bob(alice) -> Peer:
    """A member who joined alice's room with her link."""
    peer = await Peer.join(alice.session, "Bob")
    await peer.meet(alice)
    yield peer
    await peer.socket.disconnect()
