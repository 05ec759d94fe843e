"""A relay process that loses its Redis subscription sends its members back to reconnect:
frames published meanwhile never reached them, and a restarted Redis may have forgotten
their room (tests/integration/test_redis_restart.py plays the whole story)."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings
from redis.asyncio import Redis

from rooms.hub import RoomHub

pytestmark = pytest.mark.django_db(transaction=True)


class Alice:
    """A member that records what the hub asks of it."""

    def __init__(self) -> None:
        self.lost = asyncio.Event()

    async def subscription_lost(self) -> None:
        self.lost.set()


async def test_a_killed_subscription_sends_every_member_back_to_reconnect():
    redis = Redis.from_url(settings.REDIS_URLS[0])
    hub, alice = RoomHub(redis), Alice()
    await hub.enter("room-channel", b"alice-tag".ljust(16, b"\0"), alice)  # type: ignore[arg-type]
    await asyncio.sleep(0.2)  # the reader is listening

    await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")

    await asyncio.wait_for(alice.lost.wait(), timeout=5)
    await hub.exit("room-channel", b"alice-tag".ljust(16, b"\0"))
    await redis.aclose()
