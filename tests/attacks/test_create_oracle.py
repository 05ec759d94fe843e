"""Issue 9, attack 7: CREATE told an ended room from one that never existed.

Anyone who knew a room id could CREATE with it: a taken or tombstoned id got
4107, a never-used one CREATED. Room ids are now the hash of the room's auth
key, so a CREATE for an id is valid only when signed by that id's auth key:
without the link, every CREATE for someone else's id fails its signature
checks, exactly like one for an id nobody ever used.
"""

from __future__ import annotations

import os
import time

import pytest

from atopos_client.admission import Admission
from atopos_client.keys import MemberKeys, derive_link_keys
from atopos_protocol.frames import CloseCode, CreateFrame
from atopos_protocol.genesis import Genesis
from atopos_protocol.joinproof import sign_join
from atopos_protocol.signatures import SigningKey
from tests.rooms.peers import ORIGIN, Peer, finally_closed_with, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def create_for(room_id: bytes) -> tuple[int, list[bytes]]:
    """Mallory's best CREATE for ``room_id`` without its link: a genesis naming that id,
    signed by keys she holds. Returns the close code and every frame before it."""
    template = Admission.new_room(ORIGIN, "Mallory", 3600, int(time.time() * 1000))
    genesis, shard = template._pending  # type: ignore[misc]
    auth = SigningKey(os.urandom(32))
    owner = MemberKeys.generate()
    body = genesis.body.__class__(
        **{**{f: getattr(genesis.body, f) for f in genesis.body.__dataclass_fields__},
           "room_id": room_id, "auth_pk": auth.public_key,
           "owner_ed_pk": owner.ed_pk, "owner_x_pk": owner.x_pk},
    )  # fmt: skip
    forged = Genesis.sign(body, owner.signing_key, auth)
    socket, challenge = await open_socket()
    signature = sign_join(auth, ORIGIN, room_id, challenge, owner.ed_pk, owner.x_pk)
    await socket.send_to(bytes_data=CreateFrame(forged.raw, shard, signature).encode())
    frames = []
    while True:
        message = await socket.receive_output(3)
        if message["type"] == "websocket.close":
            return int(message.get("code", 1000)), frames
        frames.append(message["bytes"])


async def test_create_cannot_tell_an_ended_room_from_one_that_never_existed(relay):
    """Mallory CREATEs with the id of a room Alice ended, and with an id nobody ever used:
    both get 4107 and nothing else (before v2 the unused id got CREATED)."""
    alice = await Peer.create("Alice")
    ended_id = alice.session.keys.room_id
    await alice.act(alice.session.end_room())
    assert await finally_closed_with(alice.socket) == CloseCode.ROOM_ENDED
    never_used = derive_link_keys(os.urandom(32)).room_id
    assert await create_for(ended_id) == (CloseCode.CREATE_REFUSED, [])
    assert await create_for(never_used) == (CloseCode.CREATE_REFUSED, [])


async def test_create_cannot_tell_a_live_room_from_one_that_never_existed(relay):
    """The same for a room that is live right now."""
    alice = await Peer.create("Alice")
    never_used = derive_link_keys(os.urandom(32)).room_id
    assert await create_for(alice.session.keys.room_id) == (CloseCode.CREATE_REFUSED, [])
    assert await create_for(never_used) == (CloseCode.CREATE_REFUSED, [])
    await alice.socket.disconnect()
