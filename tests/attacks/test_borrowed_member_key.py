"""A link holder cannot enter under a member's key (the JOIN binding's member signature).

An approval room keeps a leaked link useless until an admin lets its holder
in: the relay hands the server shard (and with it the room's first keys) only
to a WELCOMEd member. The relay welcomes a JOIN at once when its member key is
already listed, so that key must be the sender's own: the binding carries the
member key's signature over the room and the X25519 key, which only the key's
holder can make. Mallory, who has the link but not Alice's secret key, can
sign everything else.
"""

from __future__ import annotations

import os

import pytest

from atopos_client.keys import MemberKeys
from atopos_protocol.binding import Binding, sign_link
from atopos_protocol.frames import CloseCode, JoinFrame
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.joinproof import sign_join
from tests.rooms.peers import ORIGIN, Peer, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def test_mallory_with_the_link_cannot_enter_an_approval_room_under_alices_key(relay):
    """Mallory's JOIN names Alice's member key with her own X25519 key; the link signs it
    all, but Alice's key never signed the binding: 4004 and no WELCOME (no server shard)."""
    alice = await Peer.create("Alice", rule=JoinRule.APPROVAL)
    keys = alice.session.keys
    mallory = MemberKeys.generate()
    socket, challenge = await open_socket()
    auth = keys.auth_key()
    binding = Binding(
        mallory.x_pk,
        os.urandom(64),  # Alice's member signature: Mallory cannot make it
        sign_link(auth, keys.room_id, alice.key, mallory.x_pk),
    )
    proof = sign_join(auth, ORIGIN, keys.room_id, challenge, alice.key, mallory.x_pk)
    await socket.send_to(bytes_data=JoinFrame(keys.room_id, alice.key, binding, proof).encode())
    answer = await socket.receive_output(3)
    assert answer["type"] == "websocket.close", f"Mallory was answered {answer}"
    assert answer["code"] == CloseCode.ROOM_UNAVAILABLE
    await alice.socket.disconnect()
