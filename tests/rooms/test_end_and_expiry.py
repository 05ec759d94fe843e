"""Ending or expiry closes every socket with its code and leaves nothing of the room."""

from __future__ import annotations

import asyncio
import time

import pytest

from atopos_client.admission import Admission
from atopos_client.events import MessageReceived
from atopos_protocol.frames import CloseCode, EventFrame, Kind, RefusedFrame
from atopos_protocol.governance.events import EventKind
from atopos_protocol.governance.payloads import Empty
from atopos_site.tenancy.namespace import TenantNamespace
from rooms.redis_clients import redis_for
from rooms.store import RoomStore, StoredRoom
from tests.client.double import signed
from tests.rooms.peers import ORIGIN, Peer, closed_with, finally_closed_with

pytestmark = pytest.mark.django_db(transaction=True)


async def test_only_the_owners_signed_end_ends_a_room(alice, bob):
    """Bob signs END_ROOM himself: refused not-authorized, and the room goes on."""
    await bob.settle()
    end = signed(bob.session, EventKind.END_ROOM, Empty().encode())
    await bob.send(EventFrame(end).encode())
    refused = RefusedFrame.decode(await bob.socket.receive_from())
    assert refused.reason == "not-authorized"
    charlie = await Peer.join(alice.session, "Charlie")
    await charlie.meet(alice, bob)
    await alice.say("still open")
    assert (await charlie.pump(MessageReceived)).text == "still open"


async def test_ending_closes_every_socket_with_4000_after_the_signed_end(alice, bob):
    """The owner's END_ROOM reaches every member before the close: each holds the owner's
    signed end (so a relay that later brings the room back is caught), then 4000."""
    charlie = await Peer.join(alice.session, "Charlie")
    await charlie.meet(alice, bob)
    await alice.act(alice.session.end_room())
    for peer in (bob, charlie):
        frame = await peer.socket.receive_from()
        while frame[1] != Kind.GOVERNANCE or not _is_end(frame):
            peer.session.receive(frame)
            frame = await peer.socket.receive_from()
        peer.session.receive(frame)
        assert peer.session.state.ended
    codes = await asyncio.gather(*(finally_closed_with(p.socket) for p in (alice, bob, charlie)))
    assert codes == [CloseCode.ROOM_ENDED] * 3


def _is_end(frame: bytes) -> bool:
    from atopos_protocol.governance.events import Event

    return Event.decode(EventFrame.decode(frame, Kind.GOVERNANCE).event).kind is EventKind.END_ROOM


async def test_expiry_closes_every_socket_with_4001_and_redis_forgets(relay, redis_client):
    """A room stored to expire in two seconds: members are closed at expiry, keys are gone."""
    alice = Admission.new_room(ORIGIN, "Alice", 2, int(time.time() * 1000))
    genesis, shard = alice._pending
    store = RoomStore(redis_for(alice.keys.room_id), TenantNamespace("alpha"))
    stored = StoredRoom(genesis.raw, shard, alice.keys.auth_pk, genesis.body.routing_mode,
                        genesis.body.expires_at * 1000, genesis.event_id)  # fmt: skip
    assert await store.create(alice.keys.room_id, stored)
    bob = await Peer.join(alice, "Bob")
    assert await closed_with(bob.socket, timeout=5) == CloseCode.ROOM_EXPIRED
    await asyncio.sleep(0.2)
    room_hex = alice.keys.room_id.hex().encode()
    assert [key for key in redis_client.scan_iter() if room_hex in key] == []
