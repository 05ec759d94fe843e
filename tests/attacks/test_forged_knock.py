"""A relay cannot invent a newcomer (issue 9: "KNOCK carries the same signed binding").

Before protocol v2 a KNOCK named an ed_pk and an unauthenticated x_pk: a relay
could show admins a knock for keys it controls, and an admin's "Let in" (and
the key share that follows) handed the room to the relay. A knock now carries
the newcomer's binding: its own signature and the link's auth key's.
"""

from __future__ import annotations

import os

import pytest

from atopos_client.events import KnockReceived
from atopos_client.keys import MemberKeys
from atopos_protocol.binding import Binding
from atopos_protocol.frames import KnockFrame
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.signatures import SigningKey
from tests.rooms.peers import Peer

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_knock_for_keys_the_relay_made_is_not_shown(relay):
    """A KNOCK whose binding is not signed by the room's auth key never reaches the admin's
    list; a real newcomer's does."""
    alice = await Peer.create("Alice", rule=JoinRule.APPROVAL)
    puppet = MemberKeys.generate()
    relay_auth = SigningKey(os.urandom(32))
    forged = Binding.make(puppet.signing_key, relay_auth, alice.session.keys.room_id, puppet.x_pk)
    alice.injected.append(KnockFrame(puppet.ed_pk, forged).encode())
    assert await alice.settle() == []
    assert alice.session.knocks == {}
    with pytest.raises(KeyError):
        alice.session.admit(puppet.ed_pk)

    bob = await Peer.knock(alice.session, "Bob")
    await bob.socket.receive_from()
    assert (await alice.pump(KnockReceived)).ed_pk == bob.key
    await alice.socket.disconnect()
    await bob.socket.disconnect()


async def test_a_knock_naming_another_x25519_key_is_not_shown(relay):
    """The relay swaps the X25519 key of a real newcomer's knock: the member signature no
    longer covers it, and the knock is dropped."""
    alice = await Peer.create("Alice", rule=JoinRule.APPROVAL)
    bob = await Peer.knock(alice.session, "Bob")
    await bob.socket.receive_from()
    alice.withheld.append(lambda frame: frame[1:2] == b"\x87")
    await alice.settle()
    real = bob.admission.binding()
    swapped = Binding(MemberKeys.generate().x_pk, real.member_sig, real.link_sig)
    alice.injected.append(KnockFrame(bob.key, swapped).encode())
    assert await alice.settle() == []
    assert alice.session.knocks == {}
    await alice.socket.disconnect()
    await bob.socket.disconnect()
