"""CREATE is refused, with its documented close code, when it breaks a rule."""

from __future__ import annotations

import pytest

from atopos_protocol import VERSION
from atopos_protocol.frames import CloseCode, Kind
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.routing_modes import RoutingMode
from tests.rooms.peers import (
    ORIGIN,
    closed_with,
    create_refusal,
    finally_closed_with,
    new_admission,
    open_socket,
    set_policy,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("lifetime", [60, 299, 2 * 3600 + 120])
async def test_lifetime_outside_the_tenant_policy_is_refused(relay, lifetime):
    """Under five minutes, or beyond alpha's two-hour maximum: 4108."""
    assert await create_refusal(new_admission(lifetime)) == CloseCode.POLICY_REFUSED


async def test_routing_mode_the_tenant_does_not_allow_is_refused(relay):
    """A mix-mode room on a tenant without mix mode: 4108."""
    await set_policy(allow_mix=False)
    assert await create_refusal(new_admission(mode=RoutingMode.MIX)) == CloseCode.POLICY_REFUSED


@pytest.mark.parametrize("rule", [JoinRule.APPROVAL, JoinRule.INVITE])
async def test_rooms_start_under_any_join_rule(relay, rule):
    """Approval and invite rooms are created like open ones; the relay enforces their rule."""
    socket, challenge = await open_socket()
    await socket.send_to(bytes_data=new_admission(join_rule=rule).create_frame(challenge))
    assert await socket.receive_from() == bytes([VERSION, Kind.CREATED])
    await socket.disconnect()


async def test_genesis_for_another_origin_is_refused(relay):
    """A genesis naming another site cannot be stored here: 4107."""
    assert await create_refusal(new_admission(origin="http://beta.localhost")) == (
        CloseCode.CREATE_REFUSED
    )


async def test_mallorys_genesis_for_another_site_is_refused_with_a_proof_for_this_one(relay):
    """Mallory's join proof covers this connection's origin, but her genesis names another
    site: stored here, it would send members to a room whose genesis their page refuses
    (or let a relay pass one site's room off on another). 4107 all the same."""
    mallory = new_admission(origin="http://beta.localhost")
    mallory.origin = ORIGIN  # the proof inside CREATE is made for this connection
    assert await create_refusal(mallory) == CloseCode.CREATE_REFUSED


async def test_an_existing_room_cannot_be_created_again(relay):
    """A second CREATE for the same room id, even with a fresh valid proof: 4107."""
    alice = new_admission()
    first, challenge = await open_socket()
    await first.send_to(bytes_data=alice.create_frame(challenge))
    assert await first.receive_from() == bytes([VERSION, Kind.CREATED])
    assert await create_refusal(alice) == CloseCode.CREATE_REFUSED
    await first.disconnect()


async def test_an_ended_room_cannot_be_brought_back(relay):
    """After END, the tombstone refuses the same genesis until the room's expiry."""
    admission = new_admission()
    socket, challenge = await open_socket()
    await socket.send_to(bytes_data=admission.create_frame(challenge))
    await socket.receive_from()
    pending = admission._pending
    alice = admission.accept_created()
    for frame in alice.end_room():
        await socket.send_to(bytes_data=frame)
    assert await finally_closed_with(socket) == CloseCode.ROOM_ENDED
    admission._pending = pending  # the creator sends the very same CREATE again
    assert await create_refusal(admission) == CloseCode.CREATE_REFUSED


async def test_a_create_signed_for_another_challenge_is_refused(relay):
    """The join signature inside CREATE must cover this socket's challenge."""
    socket, _ = await open_socket()
    await socket.send_to(bytes_data=new_admission().create_frame(bytes(32)))
    assert await closed_with(socket) == CloseCode.CREATE_REFUSED


async def test_rooms_per_hour_is_enforced_per_client(relay):
    """Beyond the tenant's rooms_per_hour from one client: 4029."""
    await set_policy(rooms_per_hour=1)
    socket, challenge = await open_socket()
    await socket.send_to(bytes_data=new_admission().create_frame(challenge))
    assert await socket.receive_from() == bytes([VERSION, Kind.CREATED])
    assert await create_refusal(new_admission()) == CloseCode.RATE_LIMITED
    await socket.disconnect()
