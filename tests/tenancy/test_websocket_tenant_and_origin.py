"""WebSockets: the Host picks the tenant, and only the tenant's own origins get through.

These run the ASGI middleware with a real database and an inner application
that accepts, so a refusal can only come from the middleware under test.
"""

from __future__ import annotations

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator

from atopos_site.asgi import application
from atopos_site.tenancy.asgi import TenantOriginValidator, TenantScopeMiddleware
from rooms.protocol.frames import ChallengeFrame

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("thread_connections_closed"),
]


class AcceptingConsumer(AsyncWebsocketConsumer):
    """Accepts every socket and reports the tenant slug it was given."""

    async def connect(self):
        await self.accept()
        await self.send(text_data=self.scope["tenant"].slug)


guarded = TenantScopeMiddleware(TenantOriginValidator(AcceptingConsumer.as_asgi()))


async def attempt(app, host: str | None, origin: str | None, path: str = "/ws/v1"):
    """Open a socket with the given Host and Origin; return (accepted, first text, code)."""
    headers = []
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(app, path, headers=headers)
    accepted, code = await communicator.connect()
    text = await communicator.receive_from() if accepted else None
    await communicator.disconnect()
    return accepted, text, code


async def test_same_origin_socket_is_accepted_with_its_tenant(alpha, beta):
    """A page on alpha opening a socket to alpha gets through, tagged with alpha."""
    accepted, slug, _ = await attempt(guarded, "alpha.localhost", "http://alpha.localhost")
    assert accepted
    assert slug == "alpha"


async def test_any_domain_of_the_tenant_is_a_valid_origin(alpha, beta):
    """www.beta.localhost may open a socket on beta.localhost: same tenant."""
    accepted, slug, _ = await attempt(guarded, "beta.localhost:8000", "https://www.beta.localhost")
    assert accepted
    assert slug == "beta"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",  # cross-site WebSocket hijacking
        "http://beta.localhost",  # another tenant on the same deployment
        "http://alpha.localhost.evil.example",  # suffix trick
        "null",  # sandboxed frame or file: page
        "chrome-extension://alpha.localhost",  # not a web origin
        None,  # no Origin at all
    ],
)
async def test_foreign_or_missing_origin_is_refused(alpha, beta, origin):
    """Only the tenant's own http(s) origins may open a socket."""
    accepted, _, code = await attempt(guarded, "alpha.localhost", origin)
    assert not accepted
    assert code == 1000


@pytest.mark.parametrize("host", ["unknown.localhost", None, "alpha.localhost/evil"])
async def test_unknown_host_socket_is_refused_like_a_bad_origin(alpha, host):
    """An unknown host is refused the same way, whatever the Origin says."""
    accepted, _, code = await attempt(guarded, host, "http://alpha.localhost")
    assert not accepted
    assert code == 1000


async def test_the_room_route_opens_with_a_challenge(alpha, redis_client):
    """Through the real application, a same-origin room socket is accepted and challenged first."""
    communicator = WebsocketCommunicator(
        application,
        "/ws/v1",
        headers=[(b"host", b"alpha.localhost"), (b"origin", b"http://alpha.localhost")],
    )
    accepted, _ = await communicator.connect()
    assert accepted
    first = await communicator.receive_from()
    assert ChallengeFrame.decode(first).challenge != bytes(32)
    await communicator.disconnect()


async def test_unrouted_socket_paths_are_refused_cleanly(alpha):
    """A socket to a path with no route is refused, not crashed on."""
    accepted, _, _ = await attempt(
        application, "alpha.localhost", "http://alpha.localhost", path="/ws/unknown/abc"
    )
    assert not accepted
