"""Bad input gets its close code, the server carries on, and the room keeps talking."""

from __future__ import annotations

import os

import pytest

from atopos_client.events import MessageReceived
from atopos_protocol import VERSION
from atopos_protocol.binding import Binding
from atopos_protocol.frames import CloseCode, JoinFrame, Kind
from tests.rooms.peers import Peer, closed_with, open_socket, room_socket, set_policy

pytestmark = pytest.mark.django_db(transaction=True)


async def room_still_works(alice: Peer, bob: Peer) -> None:
    """Alice and Bob still exchange messages after someone misbehaved."""
    await alice.say("still here?")
    message = await bob.pump(MessageReceived)
    assert message.text == "still here?"


async def member(alice: Peer, bob: Peer, name: str) -> Peer:
    """Someone else joins the room and everyone has met."""
    peer = await Peer.join(alice.session, name)
    await peer.meet(alice, bob)
    return peer


def envelope_shaped(size: int) -> bytes:
    return bytes([VERSION, 0x10]) + os.urandom(size - 2)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (bytes([1, 0x10]) + os.urandom(308), CloseCode.BAD_VERSION),
        (bytes([VERSION, 0x42]) + os.urandom(308), CloseCode.BAD_KIND),
        (bytes([VERSION, 0x81]) + os.urandom(40), CloseCode.BAD_KIND),
        (envelope_shaped(311), CloseCode.BAD_SIZE),
        (envelope_shaped(17_000), CloseCode.BAD_SIZE),
        (b"\x01", CloseCode.MALFORMED),
        (bytes([VERSION, 0x03]) + os.urandom(32), CloseCode.BAD_KIND),
        (bytes([VERSION, Kind.DECLINE]) + os.urandom(31), CloseCode.BAD_SIZE),
    ],
    ids=[
        "version",
        "kind",
        "server-kind",
        "off-bucket",
        "oversize",
        "one-byte",
        "retired-end",
        "short-decline",
    ],
)
async def test_a_member_sending_a_bad_frame_is_closed_and_others_carry_on(alice, bob, frame, code):
    """Mallory, a member, sends garbage: she is closed with its code; Alice and Bob continue."""
    mallory = await member(alice, bob, "Mallory")
    await mallory.send(frame)
    assert await closed_with(mallory.socket) == code
    await room_still_works(alice, bob)


async def test_text_frames_are_refused(alice, bob):
    """Only binary frames are accepted: 4100."""
    mallory = await member(alice, bob, "Mallory")
    await mallory.socket.send_to(text_data="hello?")
    assert await closed_with(mallory.socket) == CloseCode.TEXT_FRAME
    await room_still_works(alice, bob)


async def test_an_envelope_before_the_handshake_is_refused(alice, bob):
    """A frame that needs a room, sent before joining one: 4105."""
    socket, _ = await open_socket()
    await socket.send_to(bytes_data=envelope_shaped(310))
    assert await closed_with(socket) == CloseCode.UNEXPECTED_FRAME
    await room_still_works(alice, bob)


async def test_a_join_with_an_invalid_member_key_is_malformed(alice):
    """A member signing key that is not a valid point: 4104."""
    socket, _ = await open_socket()
    binding = Binding(os.urandom(32), os.urandom(64), os.urandom(64))
    frame = JoinFrame(alice.session.keys.room_id, bytes(32), binding, os.urandom(64))
    await socket.send_to(bytes_data=frame.encode())
    assert await closed_with(socket) == CloseCode.MALFORMED


async def test_undecryptable_envelopes_are_relayed_and_dropped_by_members(alice, bob):
    """The relay cannot judge ciphertext; receivers drop what does not open, silently. (Its
    epoch counter is one the log has reached: the relay refuses any other.)"""
    junk = envelope_shaped(310)
    await alice.send(junk[:2] + bytes(4) + junk[6:])
    assert [e for e in await bob.next_events() if isinstance(e, MessageReceived)] == []
    await room_still_works(alice, bob)


async def test_a_flood_beyond_the_rate_limit_is_closed(relay):
    """More frames per minute than the tenant allows, on one connection: 4029."""
    await set_policy(messages_per_minute=10)
    alice = await Peer.create("Alice")
    bob = await Peer.join(alice.session, "Bob")
    await bob.meet(alice)
    flooder = await member(alice, bob, "Flooder")
    allowed = 10 - flooder.sent  # its BIND and hellos spent some of the minute's budget
    for _ in range(allowed):
        await flooder.say("spam")
    await flooder.say("one too many")
    assert await closed_with(flooder.socket) == CloseCode.RATE_LIMITED
    for _ in range(allowed):  # the allowed frames did arrive
        assert (await bob.pump(MessageReceived)).text == "spam"
    await room_still_works(alice, bob)


async def test_a_flood_of_declines_counts_against_the_same_limit(relay):
    """Cheap frames the relay answers itself (DECLINE here) spend the budget too: 4029."""
    await set_policy(messages_per_minute=10)
    alice = await Peer.create("Alice")
    bob = await Peer.join(alice.session, "Bob")
    await bob.meet(alice)
    decline = bytes([VERSION, Kind.DECLINE]) + os.urandom(32)
    for _ in range(10 - bob.sent):
        await bob.send(decline)
        assert (await bob.socket.receive_from())[1] == Kind.REFUSED  # not-authorized
    await bob.send(decline)
    assert await closed_with(bob.socket) == CloseCode.RATE_LIMITED


async def test_join_attempts_beyond_the_client_limit_are_refused(relay):
    """Reconnect churn from one client is capped by joins_per_minute: 4029 on connect."""
    await set_policy(joins_per_minute=3)
    sockets = [(await open_socket())[0] for _ in range(3)]
    extra = room_socket()
    connected, _ = await extra.connect()
    assert connected
    await extra.send_to(bytes_data=bytes(146))  # a frame racing the refusal changes nothing
    assert await closed_with(extra) == CloseCode.RATE_LIMITED
    for socket in sockets:
        await socket.disconnect()
