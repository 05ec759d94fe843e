"""Issue 9, attack 5: one forged frame mutes a member for the rest of the epoch.

Any member can seal a frame in another member's name (chat is deniable). With
``seq = 2^53 - 1`` it used to raise the receiver's high-water mark for its
victim so far that every later message from the victim was dropped as a
replay. Now ``seq`` must lie within a minute of the frame's own time, and a
receiver drops only exact repeats.
"""

from __future__ import annotations

import pytest

from atopos_client.events import MessageReceived
from atopos_protocol.codec import MAX_SAFE_INTEGER
from tests.attacks.adversary import forged_text, texts

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_forged_huge_sequence_number_does_not_mute_bob(alice, bob, mallory):
    """Mallory's frame in Bob's name with seq 2^53 - 1 is dropped; Bob is still heard."""
    await mallory.send(forged_text(mallory.session, bob.key, "mute bob", MAX_SAFE_INTEGER))
    assert texts(await alice.settle()) == []
    await bob.say("still heard")
    assert (await alice.pump(MessageReceived)).text == "still heard"


async def test_a_forged_plausible_sequence_number_burns_one_slot_only(alice, bob, mallory):
    """Mallory takes a seq a little ahead of Bob's clock: her forgery shows (chat is deniable,
    names are self-asserted), and Bob's following messages still arrive."""
    ahead = mallory.session.clock() + 30_000
    await mallory.send(forged_text(mallory.session, bob.key, "forged but shown", ahead))
    assert texts(await alice.settle()) == ["forged but shown"]
    for text in ("one", "two"):
        await bob.say(text)
        assert (await alice.pump(MessageReceived)).text == text
