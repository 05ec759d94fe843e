"""A frame the relay refuses reaches the member with its reason, as the room page shows it.

The browser keeps a REFUSED frame's reason code (``{type: 'refused', kind, reason}`` in
static/js/client/session.js) and shows our sentence for it (static/js/ui/room-page.js); the Python
session gives the same code in ActionRefused and the terminal prints our words for it.
"""

from __future__ import annotations

import pytest

from atopos_client.__main__ import describe
from atopos_client.events import ActionRefused, GovernanceChanged, KnockReceived
from atopos_client.refusals import ACTIONS, action_refusal
from atopos_protocol import VERSION
from atopos_protocol.frames import Kind
from atopos_protocol.governance.events import EventKind
from atopos_protocol.join_rules import JoinRule
from tests.rooms.peers import Peer

pytestmark = pytest.mark.django_db(transaction=True)


async def test_bobs_decline_is_refused_and_he_is_told_why(alice, bob):
    """Bob, a plain member, turns Mallory's knock away: the relay refuses his DECLINE with
    not-authorized, and Bob's client says so in our words, never the relay's."""
    await alice.act(alice.session.set_join_rule(JoinRule.APPROVAL))
    await bob.pump(GovernanceChanged)
    mallory = await Peer.knock(alice.session, "Mallory")
    assert await mallory.socket.receive_from() == bytes([VERSION, Kind.PENDING])
    knock = await bob.pump(KnockReceived)

    await bob.act(bob.session.decline(knock.ed_pk))
    refused = await bob.pump(ActionRefused)

    assert (refused.kind, refused.reason) == (None, "not-authorized")
    assert refused.words == ACTIONS["not-authorized"]
    assert describe(refused) == f"* Not done: {ACTIONS['not-authorized']}"
    assert await mallory.nothing_arrives()  # still waiting: the decline did nothing
    await mallory.leave()


async def test_mallorys_bind_after_the_room_locked_is_refused_with_its_reason(alice, bob):
    """Mallory is welcomed into the open room; Alice locks it before Mallory's BIND lands:
    the relay refuses the BIND (not-open) and Mallory's client keeps that reason."""
    mallory = await Peer.knock(alice.session, "Mallory")
    welcome = await mallory.socket.receive_from()
    await alice.act(alice.session.lock())
    await alice.pump(GovernanceChanged)
    await mallory.welcomed(welcome, require_listed=False)  # binds with the log it was given

    refused = await mallory.pump(ActionRefused)

    assert (refused.kind, refused.reason) == (EventKind.BIND, "not-open")
    assert refused.words == action_refusal("not-open")
    assert mallory.key not in alice.session.state.members
    await mallory.leave()
