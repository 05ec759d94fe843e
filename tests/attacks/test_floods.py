"""Floods a link holder (or a stranger) can throw at the relay (issue 9, attacks 18 and 20).

- The tenant's CREATE budget was charged before the frame was checked, so junk
  CREATEs from one client spent it for an hour: a CREATE now costs budget only
  once it would stand.
- Nothing capped the newcomers waiting for an admin: a room now keeps at most
  MAX_WAITING_KNOCKS knocks, and the next newcomer is told the room is busy.
"""

from __future__ import annotations

import os

import pytest

from atopos_protocol.frames import CloseCode, CreateFrame, Kind, RefusedFrame
from atopos_protocol.join_rules import JoinRule
from rooms.consumers import MAX_WAITING_KNOCKS
from tests.rooms.peers import Peer, closed_with, new_admission, open_socket, set_policy

pytestmark = pytest.mark.django_db(transaction=True)


async def test_junk_creates_do_not_spend_the_create_budget(relay):
    """Mallory sends five CREATEs that fail their checks: each is refused 4107 and Alice,
    from the same client address, can still create the two rooms the tenant allows."""
    await set_policy(rooms_per_hour=2)
    for _ in range(5):
        socket, _ = await open_socket()
        junk = CreateFrame(os.urandom(300), os.urandom(32), os.urandom(64)).encode()
        await socket.send_to(bytes_data=junk)
        assert await closed_with(socket) == CloseCode.CREATE_REFUSED
    for _ in range(2):
        socket, challenge = await open_socket()
        await socket.send_to(bytes_data=new_admission().create_frame(challenge))
        assert (await socket.receive_from())[1] == Kind.CREATED
        await socket.disconnect()
    socket, challenge = await open_socket()
    await socket.send_to(bytes_data=new_admission().create_frame(challenge))
    assert await closed_with(socket) == CloseCode.RATE_LIMITED


async def test_a_room_keeps_a_bounded_number_of_newcomers_waiting(relay):
    """MAX_WAITING_KNOCKS newcomers wait; the next is refused too-many-waiting (4403); once
    one stops waiting, another may knock."""
    await set_policy(joins_per_minute=600)
    alice = await Peer.create("Alice", rule=JoinRule.APPROVAL)
    waiting = []
    for index in range(MAX_WAITING_KNOCKS):
        peer = await Peer.knock(alice.session, f"Newcomer {index}")
        assert (await peer.socket.receive_from())[1] == Kind.PENDING
        waiting.append(peer)
    mallory = await Peer.knock(alice.session, "Mallory")
    refused = RefusedFrame.decode(await mallory.socket.receive_from())
    assert (refused.reason, await closed_with(mallory.socket)) == (
        "too-many-waiting",
        CloseCode.ADMISSION_REFUSED,
    )
    await waiting.pop().socket.disconnect()
    await alice.settle()
    late = await Peer.knock(alice.session, "Late")
    assert (await late.socket.receive_from())[1] == Kind.PENDING
    for peer in [*waiting, late, alice]:
        await peer.socket.disconnect()
