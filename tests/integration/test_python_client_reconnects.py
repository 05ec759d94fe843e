"""The terminal client comes back after its network drops, through a real daphne and Redis,
keeping its keys, log and replay memory; it does not come back to a room that is over for it."""

from __future__ import annotations

import asyncio

import pytest

from atopos_client.__main__ import describe
from atopos_client.connection import AdmissionRefused, RoomClient
from atopos_client.events import (
    BackOnline,
    MemberJoined,
    MessageReceived,
    Reconnecting,
    RoomClosed,
)
from atopos_protocol.frames import CloseCode
from atopos_protocol.join_rules import JoinRule
from tests.support.live_clients import alice_and_bob, drain, drop_network, leave_all, settled
from tests.support.live_site import live_site

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with live_site(tmp_path_factory.mktemp("reconnects")) as running:
        yield running


def test_bob_comes_back_after_his_network_drops_and_both_talk_again(site):
    async def scenario():
        alice, bob = await alice_and_bob(site.url("").rstrip("/"))
        drop_network(bob)
        assert (await bob.next_event_of(Reconnecting)).attempt == 1
        await bob.next_event_of(BackOnline, timeout=20)
        await alice.send_text("after the drop")
        assert (await bob.next_event_of(MessageReceived)).text == "after the drop"
        await bob.send_text("back again")
        assert (await alice.next_event_of(MessageReceived)).text == "back again"
        await leave_all([alice, bob])

    asyncio.run(scenario())


def test_a_removed_member_does_not_come_back(site):
    async def scenario():
        alice, bob = await alice_and_bob(site.url("").rstrip("/"))
        await alice.kick(bob.session.member.ed_pk)
        events = []
        while not any(isinstance(event, RoomClosed) for event in events):
            events.append(await bob.next_event(timeout=20))
        assert events[-1].code == CloseCode.KICKED
        await asyncio.sleep(1.5)  # longer than the first retry would wait
        assert not any(isinstance(event, Reconnecting) for event in [*events, *drain(bob)])
        await leave_all([alice])

    asyncio.run(scenario())


def test_bob_removed_while_away_is_told_he_was_removed_when_he_comes_back(site):
    async def scenario():
        alice, bob = await alice_and_bob(site.url("").rstrip("/"))
        await alice.next_event_of(MemberJoined)
        drop_network(bob)
        await alice.kick(bob.session.member.ed_pk)
        closed = await bob.next_event_of(RoomClosed, timeout=30)
        assert closed.code == CloseCode.KICKED
        assert describe(closed) == "* You were removed from this room"
        await leave_all([alice])

    asyncio.run(scenario())


def test_bob_stops_trying_when_the_room_ended_while_he_was_away(site):
    async def scenario():
        alice, bob = await alice_and_bob(site.url("").rstrip("/"))
        drop_network(bob)
        await alice.end_room()
        events = []
        while not any(isinstance(event, RoomClosed) for event in events):
            events.append(await bob.next_event(timeout=20))
        closed = events[-1]
        assert closed.ended
        assert not any(isinstance(event, BackOnline) for event in events)
        await leave_all([alice])

    asyncio.run(scenario())


def test_after_the_relay_restarts_alice_and_bob_come_back_and_talk(site):
    async def scenario():
        alice, bob = await alice_and_bob(site.url("").rstrip("/"))
        await asyncio.get_running_loop().run_in_executor(None, site.restart)
        for client in (alice, bob):
            await client.next_event_of(BackOnline, timeout=60)
        await alice.send_text("after the restart")
        assert (await bob.next_event_of(MessageReceived)).text == "after the restart"
        await leave_all([alice, bob])

    asyncio.run(scenario())


def test_bob_leaving_while_he_reconnects_stops_at_once_and_he_does_not_come_back(site):
    async def scenario():
        alice, bob = await alice_and_bob(site.url("").rstrip("/"))
        await alice.next_event_of(MemberJoined)  # Bob, the first time
        drop_network(bob)
        await bob.next_event_of(Reconnecting)
        await asyncio.wait_for(bob.leave(), 5)
        await asyncio.sleep(2.5)  # past the first tries' backoff
        back = [event for event in drain(alice) if isinstance(event, MemberJoined)]
        assert back == []
        await leave_all([alice])

    asyncio.run(scenario())


def test_a_newcomer_refused_at_entry_leaves_nothing_running_that_comes_back(site):
    """Mallory's BIND is refused (the room's log is full at two): join raises, and no
    connection of hers lingers to rejoin on its own."""

    async def scenario():
        alice = await RoomClient.create(site.url("").rstrip("/"), "Alice")
        await alice.send_frames(alice.session.set_join_rule(JoinRule.OPEN, cap=2))
        await settled(alice)
        bob = await RoomClient.join(alice.link, "Bob")
        await bob.leave()
        running = {task for task in asyncio.all_tasks() if not task.done()}
        with pytest.raises(AdmissionRefused):
            await RoomClient.join(alice.link, "Mallory")
        await asyncio.sleep(2.5)  # past the first tries' backoff
        left_over = {task for task in asyncio.all_tasks() if not task.done()} - running
        assert left_over == set()
        await leave_all([alice])

    asyncio.run(scenario())
