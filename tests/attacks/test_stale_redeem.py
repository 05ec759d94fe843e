"""A REDEEM takes the relay's one governance path: checked, compare-and-set, published.

Mallory holds an invite and builds her REDEEM on the head the relay gave her;
before it arrives, Alice appends another event. Were the relay to append a
redemption on any parent it knows, Mallory could fork the log under Alice's
newer events (a lock, a revocation). The relay appends only on its current
head: a redemption built on an older one is not appended, and its author is
sent the head to build on again.
"""

from __future__ import annotations

import pytest

from atopos_client.events import GovernanceChanged
from atopos_protocol.frames import Kind
from atopos_protocol.join_rules import JoinRule
from tests.rooms.peers import Peer
from tests.rooms.test_admission_flows import ticket_of

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_redeem_on_a_head_the_relay_moved_past_admits_nobody(relay):
    """Mallory's REDEEM on the old head: INVITE_REQUIRED with Alice's new head, no REDEEM in
    the log, nothing reaches Alice; the same ticket on the new head then admits her."""
    alice = await Peer.create("Alice", rule=JoinRule.INVITE)
    frames, url = alice.session.invite(uses=1, lifetime_seconds=600)
    await alice.act(frames)
    await alice.pump(GovernanceChanged)
    mallory = await Peer.knock(alice.session, "Mallory", ticket=ticket_of(url))
    required = await mallory.socket.receive_from()
    assert required[1] == Kind.INVITE_REQUIRED
    old_head = required[2:34]
    frames, _ = alice.session.invite(uses=1, lifetime_seconds=600)
    await alice.act(frames)
    await alice.pump(GovernanceChanged)
    new_head = alice.session.membership.head

    await mallory.send(mallory.admission.redeem_frame(old_head))
    again = await mallory.socket.receive_from()

    assert (again[1], again[2:34]) == (Kind.INVITE_REQUIRED, new_head)
    assert old_head != new_head
    assert await alice.nothing_arrives()
    assert mallory.key not in alice.session.state.members
    await mallory.send(mallory.admission.redeem_frame(new_head))
    await mallory.welcomed(await mallory.socket.receive_from())
    assert mallory.key in mallory.session.state.members
    await alice.socket.disconnect()
    await mallory.socket.disconnect()
