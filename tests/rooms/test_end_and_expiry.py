"""Ending or expiry closes every socket with its code and leaves nothing of the room."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from atopos_site.tenancy.namespace import TenantNamespace
from rooms.client.session import RoomSession
from rooms.protocol.frames import CloseCode, EndFrame
from rooms.redis_clients import redis_for
from rooms.store import RoomStore, StoredRoom
from tests.rooms.peers import ORIGIN, Peer, closed_with

pytestmark = pytest.mark.django_db(transaction=True)


async def test_only_the_owner_capability_ends_a_room(alice, bob):
    """Bob's END with a guessed capability is refused with 4110 and changes nothing."""
    await bob.send(EndFrame(os.urandom(32)).encode())
    assert await closed_with(bob.socket) == CloseCode.NOT_OWNER
    charlie = await Peer.join(alice.session, "Charlie")
    await alice.say("still open")
    [message] = await charlie.next_events()
    assert message.text == "still open"


async def test_ending_closes_every_socket_with_4000(alice, bob):
    """The owner's END reaches every member: all sockets close with room-ended."""
    charlie = await Peer.join(alice.session, "Charlie")
    await alice.send(alice.session.end_frame())
    codes = await asyncio.gather(*(closed_with(p.socket) for p in (alice, bob, charlie)))
    assert codes == [CloseCode.ROOM_ENDED] * 3


async def test_expiry_closes_every_socket_with_4001_and_redis_forgets(relay, redis_client):
    """A room stored to expire in two seconds: members are closed at expiry, keys are gone."""
    session = RoomSession.new_room(ORIGIN, "Alice", 2, int(time.time() * 1000))
    genesis, shard, _ = session._pending
    store = RoomStore(redis_for(session.keys.room_id), TenantNamespace("alpha"))
    stored = StoredRoom(genesis.raw, shard, session.keys.auth_pk, bytes(32),
                        genesis.body.routing_mode, genesis.body.expires_at * 1000,
                        genesis.event_id)  # fmt: skip
    assert await store.create(session.keys.room_id, stored)
    bob = await Peer.join(session, "Bob")
    assert await closed_with(bob.socket, timeout=5) == CloseCode.ROOM_EXPIRED
    await asyncio.sleep(0.2)
    room_hex = session.keys.room_id.hex().encode()
    assert [key for key in redis_client.scan_iter() if room_hex in key] == []
