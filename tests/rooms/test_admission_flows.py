"""Getting in under each join rule: knock and answer, redeem a ticket, lock (PROTOCOL §8.7)."""

from __future__ import annotations

import os

import pytest

from atopos_client.events import (
    GovernanceChanged,
    KnockReceived,
    KnockWithdrawn,
    MemberJoined,
    MemberLeft,
    MessageReceived,
)
from atopos_client.link import split_link_url
from atopos_protocol import VERSION
from atopos_protocol.frames import CloseCode, Kind, RefusedFrame
from atopos_protocol.join_rules import JoinRule
from tests.rooms.peers import Peer, closed_with

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def owner(relay) -> Peer:
    peer = await Peer.create("Alice", rule=JoinRule.APPROVAL)
    yield peer
    await peer.socket.disconnect()


@pytest.fixture
async def host(relay) -> Peer:
    """The owner of a room that admits by invitation."""
    peer = await Peer.create("Alice", rule=JoinRule.INVITE)
    yield peer
    await peer.socket.disconnect()


async def refused_with(peer: Peer) -> tuple[str, int]:
    """The REFUSED reason and the close code that follows it."""
    frame = await peer.socket.receive_from()
    return RefusedFrame.decode(frame).reason, await closed_with(peer.socket)


async def test_a_newcomer_knocks_and_admins_see_it(owner):
    """In an approval room a JOIN gets PENDING, and members get the knock with its keys."""
    bob = await Peer.knock(owner.session, "Bob")
    assert await bob.socket.receive_from() == bytes([VERSION, Kind.PENDING])
    knock = await owner.pump(KnockReceived)
    assert (knock.ed_pk, knock.x_pk) == (bob.admission.member.ed_pk, bob.admission.member.x_pk)


async def test_an_admitted_newcomer_gets_the_log_and_the_same_phrase(owner):
    """ADMIT is appended and relayed; the newcomer's WELCOME carries the log that lists it."""
    bob = await Peer.knock(owner.session, "Bob")
    await bob.socket.receive_from()
    knock = await owner.pump(KnockReceived)
    await owner.act(owner.session.admit(knock.ed_pk))
    await owner.pump(GovernanceChanged)
    await bob.welcomed(await bob.socket.receive_from())
    assert bob.session.member.ed_pk in bob.session.state.members
    assert bob.session.phrase == owner.session.phrase
    await bob.introduce()
    assert (await owner.pump(MemberJoined)).member.name == "Bob"


async def test_admitting_one_newcomer_lets_no_other_in(owner):
    """Bob and Mallory both knock; Alice admits Bob only: Bob is welcomed, and Mallory keeps
    waiting, with no WELCOME and no server shard."""
    bob = await Peer.knock(owner.session, "Bob")
    assert await bob.socket.receive_from() == bytes([VERSION, Kind.PENDING])
    bob_knock = await owner.pump(KnockReceived)
    mallory = await Peer.knock(owner.session, "Mallory")
    assert await mallory.socket.receive_from() == bytes([VERSION, Kind.PENDING])
    await owner.pump(KnockReceived)
    await owner.act(owner.session.admit(bob_knock.ed_pk))
    await bob.welcomed(await bob.socket.receive_from())
    assert await mallory.nothing_arrives()


async def test_a_declined_newcomer_is_told_and_closed(owner):
    """DECLINE: the newcomer gets REFUSED declined and 4403; members stop showing the knock."""
    bob = await Peer.knock(owner.session, "Bob")
    await bob.socket.receive_from()
    knock = await owner.pump(KnockReceived)
    await owner.act(owner.session.decline(knock.ed_pk))
    assert await refused_with(bob) == ("declined", CloseCode.ADMISSION_REFUSED)


async def bob_in_and_mallory_waiting(owner: Peer) -> tuple[Peer, Peer]:
    """Bob knocked and was let in; Mallory knocked and waits (Alice has seen her knock)."""
    bob = await Peer.knock(owner.session, "Bob")
    await bob.socket.receive_from()
    await owner.act(owner.session.admit((await owner.pump(KnockReceived)).ed_pk))
    await bob.welcomed(await bob.socket.receive_from())
    await bob.meet(owner)
    mallory = await Peer.knock(owner.session, "Mallory")
    assert await mallory.socket.receive_from() == bytes([VERSION, Kind.PENDING])
    await owner.pump(KnockReceived)
    return bob, mallory


async def test_a_waiting_newcomer_hears_nothing_of_the_room(owner):
    """Mallory knocks and waits: Alice's message reaches Bob, her INVITE is appended, and
    Mallory, not let in, receives neither the envelope nor the governance event."""
    bob, mallory = await bob_in_and_mallory_waiting(owner)
    await owner.say("for members only")
    assert (await bob.pump(MessageReceived)).text == "for members only"
    await owner.act(owner.session.invite(uses=1)[0])
    await owner.pump(GovernanceChanged)
    await bob.pump(GovernanceChanged)
    assert await mallory.nothing_arrives()


async def test_a_waiting_newcomer_is_not_told_who_leaves(owner):
    """Mallory knocks and waits; Bob, a member, leaves: Alice is told, and Mallory, not let
    in, learns no member's key from the departure."""
    bob, mallory = await bob_in_and_mallory_waiting(owner)
    await bob.leave()
    assert (await owner.pump(MemberLeft)).member.ed_pk == bob.key
    assert await mallory.nothing_arrives()


async def test_a_waiting_newcomers_envelope_is_refused_and_reaches_nobody(owner):
    """Mallory, knocking, sends an envelope (epoch 0, any size): closed 4105, and Alice
    receives no envelope from someone the room never let in."""
    mallory = await Peer.knock(owner.session, "Mallory")
    assert await mallory.socket.receive_from() == bytes([VERSION, Kind.PENDING])
    await owner.pump(KnockReceived)
    await mallory.send(bytes([VERSION, Kind.ENVELOPE]) + bytes(4) + os.urandom(304))
    assert await closed_with(mallory.socket) == CloseCode.UNEXPECTED_FRAME
    kinds = []
    while not await owner.nothing_arrives():
        kinds.append((await owner.socket.receive_from())[1])
    assert Kind.ENVELOPE not in kinds


async def test_a_knock_withdrawn_by_leaving_disappears(owner):
    """A newcomer that stops waiting is no longer shown to admins."""
    bob = await Peer.knock(owner.session, "Bob")
    await bob.socket.receive_from()
    knock = await owner.pump(KnockReceived)
    await bob.socket.disconnect()
    assert (await owner.pump(KnockWithdrawn)).ed_pk == knock.ed_pk
    assert owner.session.knocks == {}


async def test_a_member_who_is_not_an_admin_cannot_decline(owner):
    """DECLINE from a plain member: REFUSED not-authorized, and the newcomer keeps waiting."""
    bob = await Peer.knock(owner.session, "Bob")
    await bob.socket.receive_from()
    await owner.act(owner.session.admit((await owner.pump(KnockReceived)).ed_pk))
    await bob.welcomed(await bob.socket.receive_from())
    carol = await Peer.knock(owner.session, "Carol")
    await carol.socket.receive_from()
    knock = await bob.pump(KnockReceived)
    await bob.act(bob.session.decline(knock.ed_pk))
    refused = RefusedFrame.decode(await bob.socket.receive_from())
    assert refused.reason == "not-authorized"
    assert await carol.nothing_arrives()


async def test_knocks_waiting_before_an_admin_arrives_are_shown_on_welcome(relay):
    """An admin entering late still sees who is waiting (the relay keeps knocks, with the TTL)."""
    alice = await Peer.create("Alice", rule=JoinRule.APPROVAL)
    bob = await Peer.knock(alice.session, "Bob")
    await bob.socket.receive_from()
    await alice.pump(KnockReceived)
    again = await Peer.knock(alice.session, "Alice again")  # same link, not a member
    await again.socket.receive_from()
    assert (await alice.pump(KnockReceived)).ed_pk == again.key


async def test_an_invite_room_asks_for_a_ticket(host):
    """Without a ticket a JOIN gets INVITE_REQUIRED naming the relay's head."""
    bob = await Peer.knock(host.session, "Bob")
    frame = await bob.socket.receive_from()
    assert frame[:2] == bytes([VERSION, Kind.INVITE_REQUIRED])
    assert frame[2:] == host.session.genesis.event_id


def ticket_of(invite_url: str) -> bytes:
    ticket = split_link_url(invite_url)[1].ticket
    assert ticket is not None
    return ticket


async def redeem(peer: Peer) -> bytes:
    """Answer INVITE_REQUIRED with a REDEEM; the next frame the relay sends."""
    frame = await peer.socket.receive_from()
    assert frame[1] == Kind.INVITE_REQUIRED
    await peer.send(peer.admission.redeem_frame(frame[2:34]))
    return await peer.socket.receive_from()


async def test_an_invite_link_admits_once(host):
    """A single-use ticket admits its first redeemer; the second gets ticket-used and 4403."""
    frames, url = host.session.invite(uses=1)
    await host.act(frames)
    await host.pump(GovernanceChanged)
    assert ticket_of(url) not in frames[0]  # the relay sees only the ticket's public key
    bob = await Peer.knock(host.session, "Bob", ticket=ticket_of(url))
    await bob.welcomed(await redeem(bob))
    assert bob.session.member.ed_pk in bob.session.state.members
    carol = await Peer.knock(host.session, "Carol", ticket=ticket_of(url))
    reason = RefusedFrame.decode(await redeem(carol)).reason
    assert (reason, await closed_with(carol.socket)) == ("ticket-used", 4403)


async def test_a_revoked_invite_admits_nobody(host):
    """REVOKE_INVITE: the ticket's link now gets invite-revoked."""
    frames, url = host.session.invite(uses=5)
    await host.act(frames)
    await host.pump(GovernanceChanged)
    ticket_pk = next(iter(host.session.invites))
    await host.act(host.session.revoke_invite(ticket_pk))
    await host.pump(GovernanceChanged)
    bob = await Peer.knock(host.session, "Bob", ticket=ticket_of(url))
    assert RefusedFrame.decode(await redeem(bob)).reason == "invite-revoked"


async def test_a_locked_room_admits_nobody_new(owner):
    """LOCK: the next newcomer is refused room-locked without knocking."""
    await owner.act(owner.session.lock())
    await owner.pump(GovernanceChanged)
    bob = await Peer.knock(owner.session, "Bob")
    assert await refused_with(bob) == ("room-locked", CloseCode.ADMISSION_REFUSED)
