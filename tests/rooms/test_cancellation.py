"""A task cancelled while it waits on Redis stops.

The relay cancels a member's heartbeat and expiry timer when the socket
closes, and an event loop closes only once its tasks have stopped. redis-py
8.0 and 8.1 swallow a cancellation that lands while a command waits for its
reply: the task carries on as if nothing happened. A departed member's
heartbeat then refreshed its place every 30 seconds for the rest of the room's
life, and a test's event loop waited forever for it (the rule_deletions_caught
evidence check timed out in CI). pyproject.toml keeps redis-py below 8; these
tests fail on any version that swallows cancellations again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from django.conf import settings
from redis.asyncio import Redis

TRIALS = 200
STOP_WITHIN_SECONDS = 1.0


async def cancels_ignored(command: Callable[[Redis], Awaitable[object]]) -> int:
    """Cancel loops of ``command`` at seeded moments; how many loops carried on regardless.

    Each loop has its own client, so a loop that swallowed its cancel can be
    stopped by closing its connections under it; counting stops at the first.
    """
    moments = random.Random(1108)  # seeded: a failure names moments that can be replayed
    for _ in range(TRIALS):
        client = Redis.from_url(settings.REDIS_URLS[0])
        stop = asyncio.Event()

        async def keep_calling(client: Redis = client, stop: asyncio.Event = stop) -> None:
            while not stop.is_set():
                await command(client)

        task = asyncio.create_task(keep_calling())
        await asyncio.sleep(moments.random() * 0.002)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=STOP_WITHIN_SECONDS)
        if not done:
            stop.set()
            await client.connection_pool.disconnect()
            stopped, _ = await asyncio.wait({task}, timeout=STOP_WITHIN_SECONDS)
            for loop in stopped:
                if not loop.cancelled():
                    loop.exception()  # the closed connection's error, expected here
            await client.aclose()
            return 1
        await client.aclose()
    return 0


async def test_a_heartbeat_cancelled_mid_script_stops(redis_client: object) -> None:
    async def refresh_alice(client: Redis) -> None:
        refresh = client.register_script("return redis.call('ZADD', KEYS[1], ARGV[1], 'alice')")
        await refresh(keys=["cancellation:members"], args=[1])

    assert await cancels_ignored(refresh_alice) == 0


async def test_a_task_cancelled_mid_command_stops(redis_client: object) -> None:
    async def touch(client: Redis) -> None:
        await client.set("cancellation:touch", 1, px=10_000)

    assert await cancels_ignored(touch) == 0
