"""Issue 9, attack 3: a relay hides a kick from some members, who keep talking in the old keys.

The relay shows KICK and REKEY only to Alice (the admin), and hands Mallory,
the removed member, everything Bob sends. Bob keeps sending in epoch 0,
which Mallory reads. Before protocol v2 Alice displayed Bob's old-epoch
messages with no warning and Bob silently dropped Alice's new-epoch ones.
Now Alice pushes Bob what he lacks and warns, hides old-epoch messages after
a short grace, and Bob stops sending as soon as he sees an epoch he lacks.
"""

from __future__ import annotations

import pytest

from atopos_client.events import GovernanceChanged, MemberBehind
from atopos_client.session import OLD_EPOCH_GRACE_MS, SendingPaused
from tests.attacks.adversary import envelope, governance, only_members_read, readable_by, texts
from tests.attacks.test_hello_key_substitution import kick_and_rekey
from tests.rooms.peers import Peer

pytestmark = pytest.mark.django_db(transaction=True)


async def hidden_kick(alice: Peer, bob: Peer, mallory: Peer) -> None:
    """The relay withholds every governance event from Bob; Alice removes Mallory."""
    bob.withheld.append(governance)
    await kick_and_rekey(alice, mallory)
    assert bob.session.state.epoch == 0


async def test_the_admin_warns_and_hides_what_a_member_left_behind_sends(
    alice, bob, mallory, clock
):
    """Bob, kept in epoch 0, writes after the grace: Alice is warned that Bob is behind in old
    keys and does not show the message (Mallory could read it); Alice sent Bob the events."""
    await hidden_kick(alice, bob, mallory)
    bob.withheld.append(envelope)  # the relay drops Alice's push too
    clock.advance(OLD_EPOCH_GRACE_MS + 1_000)
    leaked = bob.session.text("bob, unaware")
    await bob.send(leaked)
    events = await alice.settle()
    assert readable_by(mallory.session, leaked) == "bob, unaware"  # the relay kept it from Bob
    warnings = [e for e in events if isinstance(e, MemberBehind)]
    assert [(w.member.ed_pk, w.old_epoch) for w in warnings] == [(bob.key, True)]
    assert texts(events) == []


async def test_a_member_shown_the_missing_events_by_another_catches_up(alice, bob, mallory, clock):
    """The relay hides the kick from Bob but relays envelopes: Alice's push (sealed in the
    epoch Bob holds) gives him the kick and the re-key, and his next message is sealed in the
    new epoch, which Mallory cannot read."""
    await hidden_kick(alice, bob, mallory)
    clock.advance(OLD_EPOCH_GRACE_MS + 1_000)
    await bob.say("bob, unaware")
    await alice.settle()
    await bob.settle()
    assert bob.session.state.epoch == 1
    assert bob.session.epoch == alice.session.epoch
    await only_members_read(bob, alice, mallory, "bob, caught up")


async def test_a_member_who_sees_newer_keys_stops_sending(alice, bob, mallory):
    """Whatever the relay withholds, once it relays anything Alice sends in the new epoch
    Bob's client knows it is behind: it says so, asks the others, and refuses to send."""
    await hidden_kick(alice, bob, mallory)
    bob.withheld.append(lambda frame: False)
    await alice.say("in the new keys")
    events = await bob.settle()
    assert texts(events) == []
    changes = [e for e in events if isinstance(e, GovernanceChanged)]
    assert changes
    assert changes[-1].lagging
    assert changes[-1].paused
    with pytest.raises(SendingPaused):
        bob.session.text("would leak to mallory")
