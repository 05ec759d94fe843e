"""On the real Redis channel layer, a tenant's groups never reach another tenant."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from atopos_site.tenancy.namespace import TenantNamespace


@pytest.fixture
async def layer():
    channel_layer = get_channel_layer()
    yield channel_layer
    await channel_layer.flush()


async def test_same_room_part_in_two_tenants_are_separate_groups(layer):
    """A message to alpha's room group is not delivered to beta's room of the same id."""
    alpha_group = TenantNamespace("alpha").group("room", "0123abcd")
    beta_group = TenantNamespace("beta").group("room", "0123abcd")
    alpha_member = await layer.new_channel()
    beta_member = await layer.new_channel()
    await layer.group_add(alpha_group, alpha_member)
    await layer.group_add(beta_group, beta_member)

    await layer.group_send(alpha_group, {"type": "room.frame", "n": 1})

    assert await asyncio.wait_for(layer.receive(alpha_member), 5) == {"type": "room.frame", "n": 1}
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(beta_member), 0.5)
