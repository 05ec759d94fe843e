"""Issue 9, attack 1: a removed member moves a re-key to its own key with a forged hello.

Mallory, about to be removed, sends through the relay a hello in Bob's name
carrying her own X25519 key: its bind tag checks out, since she holds the
epoch. Before protocol v2 the kicking admin sealed Bob's re-key entry to the
key from the latest hello, so Mallory read everything sent after her kick.
Now re-keys go only to keys the signed log binds to each member.
"""

from __future__ import annotations

import pytest

from atopos_client.events import GovernanceChanged
from atopos_client.keys import MemberKeys
from atopos_protocol.governance.events import EventKind
from atopos_protocol.governance.payloads import Rekey, parse_payload
from tests.attacks.adversary import (
    appended,
    epochs_the_thief_can_take,
    forged_hello,
    only_members_read,
)
from tests.rooms.peers import Peer

pytestmark = pytest.mark.django_db(transaction=True)


async def kick_and_rekey(alice: Peer, target: Peer, *others: Peer) -> None:
    """Alice removes ``target``; she and ``others`` handle frames until they hold the new epoch."""
    await alice.act(alice.session.kick(target.key))
    for peer in (alice, *others):
        while peer.session.sending_paused or peer.session.state.epoch == 0:
            await peer.pump(GovernanceChanged)


async def test_mallory_cannot_move_bobs_rekey_to_her_key_with_a_forged_hello(alice, bob, mallory):
    """Mallory's hello in Bob's name with her key changes nothing: Bob's entry in the REKEY
    opens with his key only; Mallory opens no entry and cannot read what Alice sends next."""
    await mallory.send(forged_hello(mallory.session, bob.key, mallory.session.member.x_pk))
    await alice.settle()
    assert alice.session.members[bob.key].x_pk == bob.session.member.x_pk
    await kick_and_rekey(alice, mallory, bob)

    (rekey,) = appended(alice.session, EventKind.REKEY)
    payload = parse_payload(rekey)
    assert isinstance(payload, Rekey)
    assert [entry.recipient for entry in payload.entries] == [bob.key]
    assert epochs_the_thief_can_take(mallory.session, [rekey]) == []
    assert bob.session.epoch == alice.session.epoch
    await only_members_read(alice, bob, mallory, "only bob may read this")


async def test_a_hello_from_a_key_that_never_joined_gets_no_entry(alice, bob, mallory):
    """In an open room Mallory says hello for a key that never connected nor bound itself:
    it is not a member, and the re-key after her kick (which closes the room to approval)
    seals to the listed members only."""
    puppet = MemberKeys.generate()
    hello = forged_hello(mallory.session, puppet.ed_pk, puppet.x_pk)
    await mallory.send(hello)
    await alice.settle()
    assert puppet.ed_pk not in alice.session.members
    await kick_and_rekey(alice, mallory, bob)

    assert alice.session.state.join_rule.value == "approval"
    (rekey,) = appended(alice.session, EventKind.REKEY)
    payload = parse_payload(rekey)
    assert isinstance(payload, Rekey)
    assert {entry.recipient for entry in payload.entries} == {bob.key}
