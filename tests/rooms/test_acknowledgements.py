"""The relay acknowledges an envelope to its sender once it has fanned it out, and only then.

Clients keep a message until its ACK and send it again after reconnecting, so
an ACK must never come for an envelope the room did not get: not before the
local delivery and the publish for other processes, not for a frame the relay
refused, and never to anyone but its sender.
"""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from atopos_protocol.frames import AckFrame, CloseCode
from rooms.hub import RoomHub
from tests.rooms.peers import finally_closed_with, frames_until_closed

pytestmark = pytest.mark.django_db(transaction=True)


async def test_alice_gets_an_ack_naming_her_envelope_after_bob_has_it(alice, bob):
    frame = alice.session.text("hello bob")
    await alice.send(frame)
    [message] = await bob.next_events()
    assert message.text == "hello bob"
    assert await alice.nothing_arrives()  # the ACK is taken (and kept) on the way
    assert alice.socket.acks[-1] == AckFrame.for_envelope(frame).nonce


async def test_the_ack_clears_the_message_from_alices_pending_list(alice, bob):
    frame = alice.session.text("hello bob")
    await alice.send(frame)
    await alice.nothing_arrives()
    assert len(alice.session.sent.pending) == 1
    events, replies = alice.session.receive(AckFrame(alice.socket.acks[-1]).encode())
    assert (events, replies) == ([], [])
    assert alice.session.sent.pending == {}


async def test_bob_gets_no_ack_for_alices_envelope(alice, bob):
    acks_before = len(bob.socket.acks)
    await alice.say("not yours to acknowledge")
    await bob.next_events()
    await bob.nothing_arrives()
    assert len(bob.socket.acks) == acks_before


async def test_an_envelope_the_relay_refuses_gets_no_ack(alice, bob):
    """An envelope claiming an epoch the log has not reached closes its sender (4105)."""
    frame = bytearray(alice.session.text("from the future"))
    frame[2:6] = (7).to_bytes(4, "big")
    acks_before = len(alice.socket.acks)
    await alice.send(bytes(frame))
    assert await finally_closed_with(alice.socket) == CloseCode.UNEXPECTED_FRAME
    assert len(alice.socket.acks) == acks_before


async def test_a_publish_redis_refuses_gets_no_ack(alice, bob, monkeypatch):
    """Redis goes away between the local delivery and the publish: members in other
    processes would miss the envelope, so its sender must keep it and send it again: the
    relay closes with 4013, which clients treat as a dropped network (they come back)."""

    async def redis_gone(self: RoomHub, channel: str, sender: bytes, event: object, data: bytes):
        await self._dispatch(channel, sender, event, data)
        raise RedisConnectionError("Redis restarted")

    monkeypatch.setattr(RoomHub, "_publish", redis_gone)
    await alice.nothing_arrives()
    frame = alice.session.text("half delivered")
    await alice.send(frame)
    assert (await bob.next_events())[0].text == "half delivered"
    frames, code = await frames_until_closed(alice.socket)
    assert code == CloseCode.TRY_AGAIN_LATER
    assert AckFrame.for_envelope(frame).encode() not in frames
    assert AckFrame.for_envelope(frame).nonce not in alice.socket.acks
