"""Issue 9: one envelope claiming a newer epoch would mute every member.

A member who opens an envelope sealed in an epoch above its log's stops
sending until its log catches up (the defence against a withheld kick,
tests/attacks/test_withheld_kick.py). The epoch counter travels in clear, so
Mallory, a member of an open room, could forge it: one envelope claiming
epoch 2^32 - 1 and every member paused for good. The relay holds the log and
refuses an envelope whose counter the log has not reached, closing the
sender's socket; only a relay that forges it itself can still pause a room,
which is no more than the silence it can always impose.
"""

from __future__ import annotations

import pytest

from atopos_client.events import MessageReceived
from atopos_protocol.frames import CloseCode
from tests.attacks.adversary import texts
from tests.attacks.test_hello_key_substitution import kick_and_rekey
from tests.rooms.peers import closed_with

pytestmark = pytest.mark.django_db(transaction=True)


def claiming_epoch(frame: bytes, counter: int) -> bytes:
    """``frame`` with its clear epoch counter rewritten (the rest no longer opens)."""
    return frame[:2] + counter.to_bytes(4, "big") + frame[6:]


async def test_mallorys_envelope_claiming_a_newer_epoch_mutes_no_one(alice, bob, mallory):
    """The relay closes Mallory's socket (4105) and passes nothing on: Alice and Bob keep
    sending, and each hears the other."""
    await mallory.send(claiming_epoch(mallory.session.text("hush"), 0xFFFFFFFF))
    assert await closed_with(mallory.socket) == CloseCode.UNEXPECTED_FRAME
    assert await alice.nothing_arrives()
    assert await bob.nothing_arrives()
    assert not alice.session.sending_paused
    assert not bob.session.sending_paused
    await alice.say("still here")
    await bob.pump(MessageReceived)
    assert texts(bob.heard) == ["still here"]


async def test_an_envelope_one_epoch_ahead_of_the_log_is_refused_too(alice, bob, mallory):
    """Epoch 1 before any REKEY exists: the smallest forgery is refused like the largest."""
    await mallory.send(claiming_epoch(mallory.session.text("hush"), 1))
    assert await closed_with(mallory.socket) == CloseCode.UNEXPECTED_FRAME
    assert await bob.nothing_arrives()


async def test_bob_writes_in_the_new_epoch_as_soon_as_he_holds_it(alice, bob, mallory):
    """Right after the kick's REKEY, Bob's first envelope in epoch 1 reaches Alice: the relay
    reads the log again when a counter is new to it, and the log holds the REKEY."""
    await kick_and_rekey(alice, mallory, bob)
    assert bob.session.state.epoch == 1
    await bob.say("after the kick")
    await alice.pump(MessageReceived)
    assert texts(alice.heard)[-1] == "after the kick"
