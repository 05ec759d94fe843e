"""Issue 9, attack 2: a removed member solicits the current epoch with an old-epoch hello.

After her kick Mallory still derives epoch 0 from the link and the server
shard. The relay injects into Alice's stream an epoch-0 hello in Bob's name
carrying Mallory's X25519 key; before protocol v2, Alice answered with a
KEYSHARE of the current epoch sealed to that key, after every re-key.
"""

from __future__ import annotations

import pytest

from atopos_client.events import GovernanceChanged
from atopos_client.keys import EpochKeys
from atopos_protocol.governance.events import EventKind
from tests.attacks.adversary import appended, epochs_the_thief_can_take, forged_hello
from tests.attacks.test_hello_key_substitution import kick_and_rekey
from tests.rooms.peers import Peer

pytestmark = pytest.mark.django_db(transaction=True)


def epoch0_of(session) -> EpochKeys:
    """The epoch any link holder derives (Mallory keeps it after her kick)."""
    return min(session.membership.epochs.values(), key=lambda epoch: epoch.counter)


async def test_an_old_epoch_hello_naming_another_key_solicits_nothing(alice, bob, mallory):
    """Relay-injected epoch-0 hello in Bob's name with Mallory's key: Alice shares nothing."""
    await kick_and_rekey(alice, mallory, bob)
    stolen = epoch0_of(mallory.session)
    for _ in range(2):
        alice.injected.append(
            forged_hello(mallory.session, bob.key, mallory.session.member.x_pk, stolen)
        )
        await alice.settle()
    assert appended(alice.session, EventKind.KEYSHARE) == []


async def test_a_share_solicited_with_bobs_own_key_reaches_only_bob(alice, bob, mallory):
    """With Bob's bound key in the hello (Mallory can compute its bind tag in epoch 0) an admin
    may share the epoch again, but sealed to Bob's key: Mallory opens nothing, epoch after
    epoch."""
    carol = await Peer.join(alice.session, "Carol", clock=alice.session.clock)
    await carol.meet(alice, bob)
    await kick_and_rekey(alice, mallory, bob, carol)
    stolen = epoch0_of(mallory.session)
    alice.injected.append(forged_hello(mallory.session, bob.key, bob.session.member.x_pk, stolen))
    await alice.settle()
    await kick_and_rekey(alice, carol, bob)  # a second epoch: the attack is tried again
    alice.injected.append(forged_hello(mallory.session, bob.key, bob.session.member.x_pk, stolen))
    await alice.settle()
    await bob.settle()

    shares = appended(alice.session, EventKind.KEYSHARE)
    rekeys = appended(alice.session, EventKind.REKEY)
    assert len(rekeys) == 2
    assert epochs_the_thief_can_take(mallory.session, [*rekeys, *shares]) == []
    assert bob.session.epoch == alice.session.epoch
    assert not bob.session.sending_paused
    assert [e for e in bob.heard if isinstance(e, GovernanceChanged) and e.lagging] == []
    await carol.socket.disconnect()
