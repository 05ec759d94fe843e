"""Issue 9, attack 8: a rogue relay brings back an ended, unexpired room.

END used to leave no signed trace: an operator who kept the room's keys could
serve it again to anyone with the link. A room now ends only by the owner's
signed END_ROOM, which every member present holds; members who hold it refuse
the revived room and hand the signed end to whoever they meet there.
"""

from __future__ import annotations

import pytest

from atopos_client.events import GovernanceChanged
from atopos_client.session import SendingPaused
from atopos_protocol.frames import CloseCode
from rooms.room_governance import log_cache
from tests.rooms.peers import Peer, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot(redis_client, room_id: bytes) -> dict[bytes, tuple[int, bytes]]:
    """What a rogue operator keeps of a room: every key, its value and time to live."""
    tag = room_id.hex().encode()
    return {
        key: (redis_client.pttl(key), redis_client.dump(key))
        for key in redis_client.scan_iter()
        if tag in key
    }


def revive(redis_client, kept: dict[bytes, tuple[int, bytes]]) -> None:
    """The operator puts the room back and removes the tombstone; its relay restarts."""
    for key in list(redis_client.scan_iter(match=b"*:tomb:*")):
        redis_client.delete(key)
    for key, (ttl, value) in kept.items():
        redis_client.restore(key, max(ttl, 1000), value, replace=True)
    log_cache()._rooms.clear()  # a fresh relay process: nothing cached


async def until_closed(peer: Peer) -> int:
    """Handle what arrives until the socket closes; the close code."""
    while True:
        message = await peer.socket.receive_output(3)
        if message["type"] == "websocket.close":
            return int(message.get("code", 1000))
        events, _ = peer.session.receive(message["bytes"])  # a closing room: nothing to answer
        peer.heard += events


async def test_a_member_who_held_the_end_exposes_a_revived_room(alice, bob, redis_client):
    """Alice ends the room; the operator revives it and Carol joins it; Bob comes back with
    the signed end in hand. Carol learns the room was ended by its owner and stops sending."""
    kept = snapshot(redis_client, alice.session.keys.room_id)
    await alice.act(alice.session.end_room())
    assert await until_closed(bob) == CloseCode.ROOM_ENDED
    assert bob.session.state.ended  # Bob holds the owner's signed END_ROOM
    revive(redis_client, kept)

    carol = await Peer.join(alice.session, "Carol")
    assert not carol.session.state.ended  # the revived log has no end in it

    socket, challenge = await open_socket()
    bob.socket = socket
    await socket.send_to(bytes_data=bob.admission.join_frame(challenge))
    await bob.welcomed(await socket.receive_from(), require_listed=False)
    await carol.say("is anyone here?")
    await bob.settle()
    events = await carol.settle()

    changes = [e for e in events if isinstance(e, GovernanceChanged)]
    assert changes
    assert changes[-1].ended
    assert carol.session.state.ended
    with pytest.raises(SendingPaused):
        carol.session.text("the room goes on")
    await carol.socket.disconnect()
