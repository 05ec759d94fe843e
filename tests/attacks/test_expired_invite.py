"""Issue 9, attack 4: an invite that expired still works when its redeemer backdates it.

The redeemer chooses the REDEEM's ``time_ms``; members compare it with the
ticket's expiry, but nobody compared it with a clock. The relay now checks
it against its own clock (an allowance of CLOCK_ALLOWANCE_MS), so a ticket
that expired admits nobody however its redeemer signs.
"""

from __future__ import annotations

import asyncio

import pytest

from atopos_client.events import GovernanceChanged
from atopos_client.tickets import sign_redeem, ticket_key
from atopos_protocol.frames import CloseCode, EventFrame, Kind, RefusedFrame
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.payloads import Redeem
from atopos_protocol.join_rules import JoinRule
from tests.rooms.peers import Peer, closed_with
from tests.rooms.test_admission_flows import ticket_of

pytestmark = pytest.mark.django_db(transaction=True)


async def test_mallory_cannot_redeem_an_expired_invite_by_backdating_it(relay):
    """Alice's invite expires a second after she makes it. Later Mallory redeems it signing
    ``time_ms`` = 0: refused (bad-time) and closed 4403; the log gains no REDEEM."""
    alice = await Peer.create("Alice", rule=JoinRule.INVITE)
    frames, url = alice.session.invite(uses=5, lifetime_seconds=1)
    await alice.act(frames)
    await alice.pump(GovernanceChanged)
    await asyncio.sleep(1.2)
    ticket = ticket_of(url)
    mallory = await Peer.knock(alice.session, "Mallory", ticket=ticket)
    required = await mallory.socket.receive_from()
    assert required[1] == Kind.INVITE_REQUIRED
    room_id, me = mallory.admission.keys.room_id, mallory.admission.member
    proof = sign_redeem(ticket, room_id, me.ed_pk, me.x_pk, 0)
    payload = Redeem(ticket_key(ticket).public_key, me.x_pk, 0, proof).encode()
    event = Event.create(EventKind.REDEEM, room_id, required[2:34], me.signing_key, payload)
    await mallory.send(EventFrame(event.raw).encode())
    refused = RefusedFrame.decode(await mallory.socket.receive_from())
    assert (refused.reason, await closed_with(mallory.socket)) == (
        "bad-time",
        CloseCode.ADMISSION_REFUSED,
    )
    assert await alice.nothing_arrives()
    assert me.ed_pk not in alice.session.state.members
    await alice.socket.disconnect()


async def test_an_honest_redemption_before_expiry_still_works(relay):
    """The same invite, redeemed in time with the redeemer's real clock: admitted."""
    alice = await Peer.create("Alice", rule=JoinRule.INVITE)
    frames, url = alice.session.invite(uses=5, lifetime_seconds=60)
    await alice.act(frames)
    await alice.pump(GovernanceChanged)
    bob = await Peer.knock(alice.session, "Bob", ticket=ticket_of(url))
    required = await bob.socket.receive_from()
    await bob.send(bob.admission.redeem_frame(required[2:34]))
    await bob.welcomed(await bob.socket.receive_from())
    assert bob.key in bob.session.state.members
    await alice.socket.disconnect()
    await bob.socket.disconnect()
