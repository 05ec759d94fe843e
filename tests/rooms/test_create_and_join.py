"""Creating a room stores it; joining with the link hands over the server shard and genesis."""

from __future__ import annotations

import pytest

from atopos_client.events import MemberJoined
from tests.rooms.peers import Peer

pytestmark = pytest.mark.django_db(transaction=True)


async def test_creator_is_in_the_room_and_the_link_names_it(alice):
    """After CREATE the owner holds an epoch, and its link carries L and g."""
    assert alice.session.epoch is not None
    assert alice.session.is_owner
    assert alice.session.link.url(alice.session.origin).startswith("http://alpha.localhost/r/#v2.")


async def test_joiner_verifies_genesis_and_shard_and_derives_the_same_keys(alice, bob):
    """Bob's session checked the genesis against the link and reached alice's epoch."""
    assert bob.session.genesis.raw == alice.session.genesis.raw
    assert bob.session.epoch.msg_key == alice.session.epoch.msg_key


async def test_two_members_exchange_messages_both_ways(alice, bob):
    """Alice's and Bob's texts reach each other, decrypted, and never echo back."""
    await alice.say("hello bob")
    [message] = await bob.next_events()
    assert message.text == "hello bob"
    await bob.say("hi alice ✓")
    [reply] = await alice.next_events()
    assert reply.text == "hi alice ✓"
    assert await alice.nothing_arrives()
    assert await bob.nothing_arrives()


async def test_hellos_build_the_member_list(alice):
    """A newcomer binds its keys, then its hello is answered, so both sides list each other
    by self-chosen name."""
    bob = await Peer.join(alice.session, "Bob")
    joined = await alice.pump(MemberJoined)  # alice sees bob's hello and answers it
    assert joined.member.name == "Bob"
    answered = await bob.pump(MemberJoined)
    assert answered.member.name == "Alice"
    assert {m.name for m in alice.session.members.values()} == {"Alice", "Bob"}
    assert {m.name for m in bob.session.members.values()} == {"Alice", "Bob"}
    await bob.leave()


async def test_a_closed_connection_is_announced_to_the_others(alice, bob):
    """When bob's socket closes, alice learns it from a LEFT frame."""
    await bob.leave()
    [left] = await alice.next_events()
    assert left.member.name == "Bob"
