"""The relay appends only events the rules allow, and says why it refuses the rest."""

from __future__ import annotations

import asyncio
import os

import pytest

from atopos_client.events import GovernanceChanged, MessageReceived
from atopos_client.keys import MemberKeys
from atopos_client.session import RoomSession
from atopos_protocol import VERSION
from atopos_protocol.binding import Binding
from atopos_protocol.frames import CloseCode, EventFrame, Kind, RefusedFrame
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.payloads import Admit, Empty, Target
from atopos_protocol.join_rules import JoinRule
from atopos_site.tenancy.namespace import TenantNamespace
from rooms.redis_clients import redis_for
from rooms.store import Appended, RoomStore
from tests.rooms.peers import Peer, closed_with

pytestmark = pytest.mark.django_db(transaction=True)


def signed(peer: Peer, kind: EventKind, payload: bytes, parent: bytes | None = None) -> bytes:
    """An EVENT frame ``peer`` signs on ``parent`` (its head unless given)."""
    session = peer.session
    event = Event.create(
        kind,
        session.keys.room_id,
        session.membership.head if parent is None else parent,
        session.member.signing_key,
        payload,
    )
    return EventFrame(event.raw).encode()


async def refusal(peer: Peer, frame: bytes) -> RefusedFrame:
    """Send an EVENT frame and read the REFUSED that must answer it."""
    await peer.send(frame)
    answer = await peer.socket.receive_from()
    assert answer[1] == Kind.REFUSED, f"expected REFUSED, got kind {answer[1]:#x}"
    return RefusedFrame.decode(answer)


async def appended(peer: Peer, frame: bytes) -> None:
    await peer.send(frame)
    await peer.pump(GovernanceChanged)


async def test_a_valid_event_is_appended_and_relayed_to_everyone(alice, bob):
    """PROMOTE by the owner: both members get it and agree on head and phrase."""
    await appended(
        alice, signed(alice, EventKind.PROMOTE, Target(bob.session.member.ed_pk).encode())
    )
    await bob.pump(GovernanceChanged)
    assert bob.session.state.admins == (bob.session.member.ed_pk,)
    assert bob.session.membership.head == alice.session.membership.head
    assert bob.session.phrase == alice.session.phrase


async def test_a_replayed_event_is_refused_as_a_duplicate(alice, bob):
    """The same signed PROMOTE twice: the second is refused duplicate, nothing changes."""
    frame = signed(alice, EventKind.PROMOTE, Target(bob.session.member.ed_pk).encode())
    await appended(alice, frame)
    head = alice.session.membership.head
    refused = await refusal(alice, frame)
    assert (refused.reason, refused.head) == ("duplicate", head)


async def test_a_replayed_admission_is_refused(relay):
    """An ADMIT sent again after it was appended: duplicate, the room's log is unchanged."""
    alice = await Peer.create("Alice", rule=JoinRule.APPROVAL)
    newcomer = MemberKeys.generate()
    admit = Admit(newcomer.ed_pk, knock_of(alice.session, newcomer))
    frame = signed(alice, EventKind.ADMIT, admit.encode())
    await appended(alice, frame)
    assert (await refusal(alice, frame)).reason == "duplicate"
    assert len(alice.session.membership.decoded) == 1


async def test_a_forged_signature_is_refused(alice, bob):
    """One flipped bit in the signature: bad-signature."""
    frame = bytearray(signed(alice, EventKind.PROMOTE, Target(bob.session.member.ed_pk).encode()))
    frame[-1] ^= 1
    assert (await refusal(alice, bytes(frame))).reason == "bad-signature"


async def test_an_event_on_a_wrong_parent_is_refused_with_the_head(alice, bob):
    """A parent the relay does not have as its head: stale-parent, and the head to re-base on."""
    frame = signed(
        alice, EventKind.PROMOTE, Target(bob.session.member.ed_pk).encode(), os.urandom(32)
    )
    refused = await refusal(alice, frame)
    assert (refused.reason, refused.head) == ("stale-parent", alice.session.membership.head)


async def test_an_event_signed_by_someone_else_is_refused(alice, bob):
    """Bob relays an event Alice signed: not-your-key (a socket appends only its own events)."""
    frame = signed(alice, EventKind.PROMOTE, Target(bob.session.member.ed_pk).encode())
    assert (await refusal(bob, frame)).reason == "not-your-key"


async def test_a_plain_member_cannot_use_admin_powers(alice, bob):
    """Bob promoting himself: not-authorized."""
    frame = signed(bob, EventKind.PROMOTE, Target(bob.session.member.ed_pk).encode())
    assert (await refusal(bob, frame)).reason == "not-authorized"


async def test_malformed_event_bytes_are_refused_not_fatal(alice, bob):
    """Garbage of a valid size in an EVENT frame: event-malformed; the socket stays open."""
    refused = await refusal(alice, bytes([VERSION, Kind.EVENT]) + os.urandom(200))
    assert refused.reason == "event-malformed"
    await alice.say("still here")
    assert (await bob.pump(MessageReceived)).text == "still here"


def knock_of(session: RoomSession, newcomer: MemberKeys) -> Binding:
    """The binding a newcomer's knock would carry (a link holder signs it)."""
    return Binding.make(
        newcomer.signing_key, session.keys.auth_key(), session.keys.room_id, newcomer.x_pk
    )


async def both_changes(peer: Peer) -> None:
    for _ in range(2):
        await peer.pump(GovernanceChanged)


async def test_concurrent_authors_re_base_instead_of_forking(alice, bob):
    """Two admins append on the same head: one lands, the other re-bases and lands after it."""
    await appended(
        alice, signed(alice, EventKind.PROMOTE, Target(bob.session.member.ed_pk).encode())
    )
    await bob.pump(GovernanceChanged)
    first, second = MemberKeys.generate(), MemberKeys.generate()
    bob.session.knocks[first.ed_pk] = knock_of(bob.session, first)
    alice.session.knocks[second.ed_pk] = knock_of(alice.session, second)
    await bob.act(bob.session.admit(first.ed_pk))
    await alice.act(alice.session.admit(second.ed_pk))
    # Both read at once: whichever admin lost the race re-bases only when it
    # reads its conflict, so pumping one after the other could wait forever.
    await asyncio.gather(both_changes(alice), both_changes(bob))
    assert {first.ed_pk, second.ed_pk} <= alice.session.state.members
    assert not alice.session.membership.forked
    assert alice.session.membership.head == bob.session.membership.head


async def test_the_store_appends_only_on_top_of_its_head(alice, bob):
    """Two relay processes that each checked an event against the same head cannot both
    append it: the second is told stale (compare-and-set), and the log stays one chain."""
    room_id, key = alice.session.keys.room_id, alice.session.member.signing_key
    store = RoomStore(redis_for(room_id), TenantNamespace("alpha"))
    room = await store.get(room_id)
    assert room is not None
    before = await store.log(room_id)
    first = Event.create(EventKind.PROMOTE, room_id, room.head, key, Target(bob.key).encode())
    second = Event.create(EventKind.LOCK, room_id, room.head, key, Empty().encode())
    assert await store.append(room_id, room.head, first.id, first.raw) is Appended.APPENDED
    assert await store.append(room_id, room.head, second.id, second.raw) is Appended.STALE
    assert await store.log(room_id) == [*before, first.raw]


async def test_a_room_whose_log_ended_admits_nobody_even_before_its_keys_are_deleted(alice, bob):
    """END_ROOM is appended, then the room's keys are deleted: two steps, and the second may
    never run (a RedisError, a crashed process). Meanwhile the old link gets 4004, as a
    missing room does, not WELCOME and the server shard (found by spec/Join.tla)."""
    room_id, key = alice.session.keys.room_id, alice.session.member.signing_key
    store = RoomStore(redis_for(room_id), TenantNamespace("alpha"))
    room = await store.get(room_id)
    assert room is not None
    end = Event.create(EventKind.END_ROOM, room_id, room.head, key, Empty().encode())
    assert await store.append(room_id, room.head, end.id, end.raw) is Appended.APPENDED
    assert await store.get(room_id) is not None  # store.end has not run

    carol = await Peer.knock(alice.session, "Carol")

    assert await closed_with(carol.socket) == CloseCode.ROOM_UNAVAILABLE
