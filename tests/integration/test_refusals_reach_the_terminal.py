"""Refusals through a real daphne process and a real Redis reach the member with their reason.

The room page keeps a refusal's code and shows our sentence for it; so does the
Python client: RoomClient raises AdmissionRefused (or queues ActionRefused) with
the code, and the terminal prints our words for it, never the relay's text.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from atopos_client.codes import member_code
from atopos_client.connection import ENTER_SECONDS, AdmissionRefused, RoomClient
from atopos_client.events import MemberJoined
from atopos_client.keys import MemberKeys
from atopos_client.refusals import ACTIONS, ADMISSIONS
from atopos_protocol.join_rules import JoinRule
from tests.support.live_clients import settled
from tests.support.live_site import live_site
from tests.support.terminal import Terminal

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with live_site(tmp_path_factory.mktemp("refusals")) as running:
        yield running


async def full_room(site) -> RoomClient:
    """Alice's open room capped at two, whose log lists Alice and Bob; Bob has gone, so the
    relay has a place for a newcomer but the log has none to bind it to."""
    alice = await RoomClient.create(site.url("").rstrip("/"), "Alice")
    await alice.send_frames(alice.session.set_join_rule(JoinRule.OPEN, cap=2))
    await settled(alice)
    bob = await RoomClient.join(alice.link, "Bob")
    await alice.next_event_of(MemberJoined)
    await bob.leave()
    return alice


def test_mallory_is_told_at_once_that_the_room_is_full(site):
    """Mallory is welcomed but her BIND is refused (room-full): she gets AdmissionRefused with
    that code and our words at once, not a made-up close code after a long wait."""

    async def scenario() -> None:
        alice = await full_room(site)
        started = time.monotonic()
        with pytest.raises(AdmissionRefused) as refused:
            await RoomClient.join(alice.link, "Mallory")
        assert time.monotonic() - started < ENTER_SECONDS / 2
        assert refused.value.reason == "room-full"
        assert refused.value.words == ADMISSIONS["room-full"]
        await alice.leave()

    asyncio.run(scenario())


def test_the_terminal_prints_why_mallory_was_not_let_in(site):
    """`python -m atopos_client join` prints our sentence for the refusal and exits."""

    async def scenario() -> None:
        alice = await full_room(site)
        mallory = await Terminal.start("join", "--name", "Mallory", ATOPOS_LINK=alice.link)
        try:
            await mallory.wait_for_text(f"Not admitted: {ADMISSIONS['room-full']}.")
            assert await asyncio.wait_for(mallory.process.wait(), 10) == 1
        finally:
            mallory.kill()
            await alice.leave()

    asyncio.run(scenario())


def test_bobs_terminal_prints_why_his_decline_was_refused(site):
    """Bob, a plain member, types /decline for Mallory's knock: the relay refuses it with
    not-authorized and Bob's terminal prints our sentence for that code."""

    async def scenario() -> None:
        alice = await RoomClient.create(site.url("").rstrip("/"), "Alice")
        bob = await Terminal.start("join", "--name", "Bob", ATOPOS_LINK=alice.link)
        mallory = None
        try:
            await bob.wait_for_text("* Joined the room")
            await alice.next_event_of(MemberJoined)
            await alice.send_frames(alice.session.set_join_rule(JoinRule.APPROVAL))
            await settled(alice)
            keys = MemberKeys.generate()
            mallory = asyncio.create_task(RoomClient.join(alice.link, "Mallory", member=keys))
            await bob.wait_for_text("asks to come in: have them read you their code")
            await bob.type(f"/decline {member_code(keys.ed_pk)}")
            await bob.wait_for_text(f"* Not done: {ACTIONS['not-authorized']}")
            assert not mallory.done()  # still waiting: Bob's decline did nothing
            await bob.quit()
        finally:
            bob.kill()
            if mallory is not None:
                mallory.cancel()
            await alice.leave()

    asyncio.run(scenario())
