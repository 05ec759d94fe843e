"""Personas for relay tests: alice creates, bob joins, mallory attacks. Real Redis throughout."""

from __future__ import annotations

import pytest

from tests.rooms.peers import Peer

pytestmark = pytest.mark.django_db(transaction=True)


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
