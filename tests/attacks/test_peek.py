"""Issue 10, item 7: a link's page asks whether its room is there before asking for a name.

PEEK proves the link (the auth key signs origin, room id and a fresh
challenge under its own prefix) and offers no member keys. The relay answers
AVAILABLE and closes, or closes with 4004 exactly as for every unavailable
room. Mallory, who has no link, learns nothing from it; a peek is never a
join; and peeks spend the client's joins_per_minute like joins.
"""

from __future__ import annotations

import os

import pytest

from atopos_client.keys import derive_link_keys
from atopos_protocol import VERSION
from atopos_protocol.frames import CloseCode, Kind, PeekFrame
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.payloads import Empty
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.joinproof import sign_peek
from atopos_protocol.signatures import SigningKey
from atopos_site.tenancy.namespace import TenantNamespace
from rooms.redis_clients import redis_for
from rooms.store import Appended, RoomStore
from tests.rooms.peers import (
    ORIGIN,
    Peer,
    closed_with,
    finally_closed_with,
    frames_until_closed,
    open_socket,
    room_socket,
    set_policy,
)

pytestmark = pytest.mark.django_db(transaction=True)
AVAILABLE = bytes([VERSION, Kind.AVAILABLE])


async def peek(room_id: bytes, auth: SigningKey, then: bytes | None = None) -> tuple[list, int]:
    """Every frame a PEEK for ``room_id`` signed by ``auth`` gets, and the close code;
    ``then`` is a frame sent right behind the PEEK on the same socket."""
    socket, challenge = await open_socket()
    await socket.send_to(
        bytes_data=PeekFrame(room_id, sign_peek(auth, ORIGIN, room_id, challenge)).encode()
    )
    if then is not None:
        await socket.send_to(bytes_data=then)
    return await frames_until_closed(socket)


async def link_holders_peek(peer: Peer, then: bytes | None = None) -> tuple[list, int]:
    return await peek(peer.session.keys.room_id, peer.session.keys.auth_key(), then)


async def test_a_link_holder_learns_a_live_room_is_there(alice):
    """Bob's peek with Alice's link: AVAILABLE, then a normal close."""
    assert await link_holders_peek(alice) == ([AVAILABLE], CloseCode.NORMAL)


async def test_a_link_holder_learns_an_ended_room_is_unavailable(alice):
    """After the owner ends the room, its link's peek gets 4004 and nothing else."""
    await alice.act(alice.session.end_room())
    assert await finally_closed_with(alice.socket) == CloseCode.ROOM_ENDED
    assert await link_holders_peek(alice) == ([], CloseCode.ROOM_UNAVAILABLE)


async def test_a_room_whose_log_ended_is_unavailable_before_its_keys_are_deleted(alice):
    """END_ROOM appended, the keys not yet deleted (the second step may never run): a peek
    says unavailable, as a JOIN does, not AVAILABLE."""
    room_id, key = alice.session.keys.room_id, alice.session.member.signing_key
    store = RoomStore(redis_for(room_id), TenantNamespace("alpha"))
    room = await store.get(room_id)
    assert room is not None
    end = Event.create(EventKind.END_ROOM, room_id, room.head, key, Empty().encode())
    assert await store.append(room_id, room.head, end.id, end.raw) is Appended.APPENDED
    assert await store.get(room_id) is not None  # store.end has not run
    assert await link_holders_peek(alice) == ([], CloseCode.ROOM_UNAVAILABLE)


async def test_mallory_cannot_tell_live_from_ended_from_never_existed(relay):
    """Without the link, Mallory signs with her own key: a live room's id, an ended room's
    id and an id nobody used all get exactly the same: 4004, no frame."""
    live = await Peer.create("Alice")
    ended = await Peer.create("Carol")
    await ended.act(ended.session.end_room())
    assert await finally_closed_with(ended.socket) == CloseCode.ROOM_ENDED
    never = derive_link_keys(os.urandom(32)).room_id
    mallory = SigningKey(os.urandom(32))
    outcomes = set()
    for room_id in (live.session.keys.room_id, ended.session.keys.room_id, never):
        frames, code = await peek(room_id, mallory)
        outcomes.add((tuple(frames), code))
    assert outcomes == {((), CloseCode.ROOM_UNAVAILABLE)}
    await live.socket.disconnect()


async def test_a_peek_is_not_a_join(alice, bob):
    """After a peek, an envelope on the same socket goes nowhere and the members see no
    one new (no LEFT, no KNOCK, no envelope); in a room at its cap, a peek still gets
    AVAILABLE where a JOIN would get 4009: it takes no place."""
    await set_policy(max_members_per_room=2)
    envelope = bob.session.text("smuggled")
    assert await link_holders_peek(alice, then=envelope) == ([AVAILABLE], CloseCode.NORMAL)
    assert await alice.socket.receive_nothing(0.3)
    assert await bob.socket.receive_nothing(0.1)


async def test_a_peek_knocks_on_no_door(relay):
    """In a room that asks an admin to let newcomers in, a peek makes no knock."""
    alice = await Peer.create("Alice", rule=JoinRule.APPROVAL)
    assert await link_holders_peek(alice) == ([AVAILABLE], CloseCode.NORMAL)
    assert await alice.socket.receive_nothing(0.3)
    await alice.socket.disconnect()


async def test_peeks_spend_the_clients_join_attempts(relay):
    """Peeks count against joins_per_minute: past the limit the socket closes 4029 before
    any challenge, so peeking cannot probe links faster than joining could."""
    await set_policy(joins_per_minute=3)
    alice = await Peer.create("Alice")  # the first of the minute's three attempts
    for _ in range(2):
        assert await link_holders_peek(alice) == ([AVAILABLE], CloseCode.NORMAL)
    extra = room_socket()
    assert (await extra.connect())[0]
    assert await closed_with(extra) == CloseCode.RATE_LIMITED
    await alice.socket.disconnect()
