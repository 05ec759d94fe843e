"""Async Redis clients for the room store, one set per event loop.

With several REDIS_URL entries, a room lives on the shard its id picks, so
every process agrees where a room is without any coordination.
"""

from __future__ import annotations

import asyncio
import weakref

from django.conf import settings
from redis.asyncio import BlockingConnectionPool, Redis

# A blocking pool: when hundreds of sockets close at once, callers wait for a
# connection instead of failing with "too many connections".
MAX_CONNECTIONS_PER_SHARD = 256
POOL_TIMEOUT_SECONDS = 20

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Redis]] = (
    weakref.WeakKeyDictionary()
)


def _shards() -> list[Redis]:
    loop = asyncio.get_running_loop()
    clients = _clients.get(loop)
    if clients is None:
        clients = [
            Redis(
                connection_pool=BlockingConnectionPool.from_url(
                    url, max_connections=MAX_CONNECTIONS_PER_SHARD, timeout=POOL_TIMEOUT_SECONDS
                )
            )
            for url in settings.REDIS_URLS
        ]
        _clients[loop] = clients
    return clients


def redis_for(shard_key: bytes) -> Redis:
    """The client for the shard ``shard_key`` (a room id, or a random id) falls on."""
    shards = _shards()
    return shards[int.from_bytes(shard_key[:4], "big") % len(shards)]
