"""Governance through a real daphne process and a real Redis: tickets, knocks, kicks."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from atopos_client.connection import AdmissionRefused, RoomClient
from atopos_client.events import (
    KnockReceived,
    MemberJoined,
    MessageReceived,
    RoomClosed,
)
from atopos_protocol.frames import CloseCode
from atopos_protocol.join_rules import JoinRule
from tests.support.live_clients import settled
from tests.support.live_site import live_site

pytestmark = pytest.mark.integration
RACERS = 50


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    options = ["--joins-per-minute", "600", "--max-members", "60"]
    with live_site(tmp_path_factory.mktemp("governance"), tenant_options=options) as running:
        yield running


def origin(site) -> str:
    return site.url("").rstrip("/")


def test_fifty_clients_racing_for_one_single_use_ticket_admit_exactly_one(site):
    """50 concurrent redemptions of one ticket: one is admitted, 49 get ticket-used."""

    async def scenario() -> tuple[int, Counter[str]]:
        alice = await RoomClient.create(origin(site), "Alice", join_rule=JoinRule.INVITE)
        url = await alice.invite(uses=1)
        await settled(alice)
        outcomes = await asyncio.gather(
            *(RoomClient.join(url, f"Racer {n}") for n in range(RACERS)), return_exceptions=True
        )
        admitted = [o for o in outcomes if isinstance(o, RoomClient)]
        reasons = Counter(
            o.reason if isinstance(o, AdmissionRefused) else repr(o)
            for o in outcomes
            if not isinstance(o, RoomClient)
        )
        for client in [alice, *admitted]:
            await client.leave()
        return len(admitted), reasons

    admitted, reasons = asyncio.run(scenario())
    assert admitted == 1
    assert reasons == Counter({"ticket-used": RACERS - 1})


def test_an_admin_admits_a_knocking_newcomer(site):
    """Approval room: Bob waits, Alice sees the knock and admits him, and they talk."""

    async def scenario() -> None:
        alice = await RoomClient.create(origin(site), "Alice", join_rule=JoinRule.APPROVAL)
        waiting = asyncio.Event()
        bob_task = asyncio.create_task(RoomClient.join(alice.link, "Bob", on_waiting=waiting.set))
        knock = await alice.next_event_of(KnockReceived)
        await asyncio.wait_for(waiting.wait(), 5)  # Bob was told he waits for an admin
        await alice.admit(knock.ed_pk)
        bob = await bob_task
        assert (await alice.next_event_of(MemberJoined)).member.name == "Bob"
        await bob.send_text("thanks for letting me in")
        assert (await alice.next_event_of(MessageReceived)).text == "thanks for letting me in"
        assert alice.session.phrase == bob.session.phrase
        await bob.leave()
        await alice.leave()

    asyncio.run(scenario())


def test_a_kick_closes_the_member_and_the_rest_talk_in_a_new_epoch(site):
    """Alice kicks Bob: his socket closes with 4003; Alice and Carol re-key and talk on."""

    async def scenario() -> None:
        alice = await RoomClient.create(origin(site), "Alice")
        bob = await RoomClient.join(alice.link, "Bob")
        carol = await RoomClient.join(alice.link, "Carol")
        for _ in range(2):
            await alice.next_event_of(MemberJoined)
        await carol.next_event_of(MemberJoined)
        await alice.kick(bob.session.member.ed_pk)
        closed = await bob.next_event_of(RoomClosed)
        assert closed.code == CloseCode.KICKED
        await settled(alice)
        await settled(carol)
        assert carol.session.epoch == alice.session.epoch
        assert carol.session.epoch.counter == 1
        await carol.send_text("just us now")
        assert (await alice.next_event_of(MessageReceived)).text == "just us now"
        await carol.leave()
        await alice.leave()

    asyncio.run(scenario())
