"""The tenant's member cap holds under any concurrency (an atomic Lua script in Redis)."""

from __future__ import annotations

import asyncio

import pytest

from atopos_client.admission import Admission
from atopos_client.events import GovernanceChanged
from atopos_protocol.frames import CloseCode, Kind
from atopos_protocol.join_rules import JoinRule
from tests.rooms.peers import Peer, open_socket, set_policy

pytestmark = pytest.mark.django_db(transaction=True)


async def attempt_join(owner: Peer) -> int | str:
    """'in' when admitted, else the close code."""
    socket, challenge = await open_socket()
    guest = Admission(owner.session.origin, owner.session.link, "Guest")
    await socket.send_to(bytes_data=guest.join_frame(challenge))
    message = await socket.receive_output(5)
    if message["type"] == "websocket.send" and message["bytes"][1] == Kind.WELCOME:
        return "in"
    return int(message["code"])


async def test_concurrent_joins_never_exceed_the_cap(relay):
    """With a cap of 4 and 12 simultaneous joiners, exactly 3 get in beside the owner."""
    await set_policy(max_members_per_room=4, joins_per_minute=100)
    alice = await Peer.create("Alice")
    outcomes = await asyncio.gather(*(attempt_join(alice) for _ in range(12)))
    assert outcomes.count("in") == 3
    assert outcomes.count(CloseCode.ROOM_FULL) == 9


async def test_a_place_is_given_back_when_a_member_leaves(relay):
    """After a member's socket closes, the next joiner fits again."""
    await set_policy(max_members_per_room=2)
    alice = await Peer.create("Alice")
    bob = await Peer.join(alice.session, "Bob")
    assert await attempt_join(alice) == CloseCode.ROOM_FULL
    await bob.leave()
    await asyncio.sleep(0.1)
    assert await attempt_join(alice) == "in"


async def test_a_room_cap_set_by_its_admins_seals_the_room(relay):
    """SET_JOIN_RULE open with cap 3: the owner and two guests fit, the next gets 4009."""
    await set_policy(max_members_per_room=10, joins_per_minute=100)
    alice = await Peer.create("Alice")
    await alice.act(alice.session.set_join_rule(JoinRule.OPEN, cap=3))
    await alice.pump(GovernanceChanged)
    outcomes = await asyncio.gather(*(attempt_join(alice) for _ in range(6)))
    assert outcomes.count("in") == 2
    assert outcomes.count(CloseCode.ROOM_FULL) == 4


async def test_members_who_stay_keep_their_places_past_the_liveness_deadline(relay, monkeypatch):
    """A place is held until the member's socket goes, not until its first liveness deadline:
    Alice and Bob stay while several deadlines (here shortened) pass, and a room capped at
    two still turns Mallory away."""
    monkeypatch.setattr("rooms.store.MEMBER_DEADLINE_MS", 1000)
    monkeypatch.setattr("rooms.consumers.HEARTBEAT_SECONDS", 0.1)
    await set_policy(max_members_per_room=2)
    alice = await Peer.create("Alice")
    bob = await Peer.join(alice.session, "Bob")
    await bob.meet(alice)
    await asyncio.sleep(2.5)
    assert await attempt_join(alice) == CloseCode.ROOM_FULL
