"""Waiting on reference clients (``RoomClient``) talking to a live site.

The integration tests and the claims' runtime checks drive honest members the
same way: these are the waits they share, each bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable

from atopos_client.connection import RoomClient
from atopos_client.events import Event, GovernanceChanged


async def leave_all(clients: Iterable[RoomClient]) -> None:
    """Close every client, ignoring those the server already closed."""

    async def leave(client: RoomClient) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.leave(), 5)

    await asyncio.gather(*(leave(client) for client in clients))


async def settled(client: RoomClient, timeout: float = 10.0) -> None:
    """Wait until the client's own governance events are in the log and it may send."""
    session = client.session
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while session.sending_paused or session.outbox.in_flight is not None:
        await client.next_event_of(GovernanceChanged, max(0.05, deadline - loop.time()))


def drain(client: RoomClient) -> list[Event]:
    """Every event the client has queued, without waiting."""
    events: list[Event] = []
    while not client.events.empty():
        events.append(client.events.get_nowait())
    return events


async def gather_events(
    client: RoomClient, seconds: float, enough: Callable[[list[Event]], bool]
) -> list[Event]:
    """Events as they arrive, until ``enough(events)`` or ``seconds`` pass."""
    events = drain(client)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not enough(events) and (left := deadline - loop.time()) > 0:
        try:
            events.append(await client.next_event(left))
        except TimeoutError:
            break
    return events


async def wait_until(condition: Callable[[], bool], seconds: float, step: float = 0.02) -> bool:
    """Poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(step)
    return True


async def alice_and_bob(origin: str) -> tuple[RoomClient, RoomClient]:
    """Alice creates a room on ``origin`` and Bob joins it with her link."""
    alice = await RoomClient.create(origin, "Alice")
    bob = await RoomClient.join(alice.link, "Bob")
    await settled(alice)
    return alice, bob


def drop_network(client: RoomClient) -> None:
    """The connection dies without a closing handshake, as when a phone changes network."""
    client.socket.transport.abort()
