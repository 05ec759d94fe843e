"""A kick closes the member's socket, re-keys the room, and keeps the kicked out (DESIGN §5)."""

from __future__ import annotations

import pytest

from atopos_client.envelope import open_envelope
from atopos_client.events import GovernanceChanged, MessageReceived
from atopos_client.session import SendingPaused
from atopos_protocol import VERSION
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import CloseCode, Kind, RefusedFrame
from atopos_protocol.join_rules import JoinRule
from tests.rooms.peers import Peer, closed_with, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def carol(alice, bob) -> Peer:
    peer = await Peer.join(alice.session, "Carol")
    await peer.meet(alice, bob)
    yield peer
    await peer.socket.disconnect()


async def rekeyed(peer: Peer) -> None:
    """Handle frames until ``peer`` holds the epoch after the kick and may send again."""
    while peer.session.sending_paused or peer.session.state.epoch == 0:
        await peer.pump(GovernanceChanged)


async def kick_bob(alice: Peer, bob: Peer, carol: Peer) -> None:
    await alice.act(alice.session.kick(bob.session.member.ed_pk))
    await rekeyed(alice)
    await rekeyed(carol)


async def test_the_kicked_members_socket_closes_with_4003(alice, bob, carol):
    """Bob sees the KICK naming him, then the relay closes his socket with 4003."""
    await alice.act(alice.session.kick(bob.session.member.ed_pk))
    frame = await bob.socket.receive_from()
    while frame[1] == Kind.ENVELOPE:  # hellos still on their way
        frame = await bob.socket.receive_from()
    assert frame[1] == Kind.GOVERNANCE
    assert await closed_with(bob.socket) == CloseCode.KICKED


async def test_members_pause_sending_until_the_new_epoch_exists(alice, bob, carol):
    """Between KICK and REKEY a member refuses to send; after it, it sends in epoch 1."""
    await alice.act(alice.session.kick(bob.session.member.ed_pk))
    await carol.pump(GovernanceChanged)
    assert carol.session.state.pending_kick is not None
    assert carol.session.sending_paused
    with pytest.raises(SendingPaused):
        carol.session.text("too early")
    await rekeyed(alice)
    await rekeyed(carol)
    assert carol.session.epoch.counter == 1
    assert not carol.session.sending_paused


async def test_remaining_members_talk_in_the_new_epoch(alice, bob, carol):
    """Alice's REKEY reaches Carol: both hold the same epoch 1 and read each other."""
    await kick_bob(alice, bob, carol)
    assert carol.session.epoch == alice.session.epoch
    await alice.say("after the kick")
    assert (await carol.pump(MessageReceived)).text == "after the kick"


async def test_the_kicked_member_cannot_read_the_new_epoch(alice, bob, carol):
    """A message sent after the kick does not open with anything Bob holds."""
    await kick_bob(alice, bob, carol)
    sealed = alice.session.text("bob must not read this")
    with pytest.raises(ProtocolError, match="unknown-epoch"):
        open_envelope(
            sealed, bob.session.keys.room_id, bob.session.mode, bob.session.membership.epochs
        )
    events, _ = bob.session.receive(sealed)
    assert not [event for event in events if isinstance(event, MessageReceived)]


async def test_the_kicked_member_cannot_walk_back_in(alice, bob, carol):
    """Same key: refused removed. A fresh key with the old link: the room now asks for approval."""
    await kick_bob(alice, bob, carol)
    assert alice.session.state.join_rule is JoinRule.APPROVAL
    socket, challenge = await open_socket()
    await socket.send_to(bytes_data=bob.admission.join_frame(challenge))
    refused = RefusedFrame.decode(await socket.receive_from())
    assert (refused.reason, await closed_with(socket)) == ("removed", CloseCode.ADMISSION_REFUSED)
    fresh = await Peer.knock(alice.session, "Bob")
    assert await fresh.socket.receive_from() == bytes([VERSION, Kind.PENDING])
