"""WebSockets: the Host picks the tenant, and only the tenant's own origins get through.

These run the ASGI middleware with a real database and an inner application
that accepts, so a refusal can only come from the middleware under test.
"""

from __future__ import annotations

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator

from atopos_protocol.frames import ChallengeFrame
from atopos_site.asgi import application
from atopos_site.tenancy.asgi import TenantOriginValidator, TenantScopeMiddleware

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


def over(app, scheme: str):
    """``app`` as a server speaking ``scheme`` (ws or wss) would call it."""

    async def with_scheme(scope, receive, send):
        return await app({**scope, "scheme": scheme}, receive, send)

    return with_scheme


async def attempt(
    app,
    host: str | None,
    origin: str | None,
    path: str = "/ws/v1",
    scheme: str = "ws",
    extra: tuple[tuple[bytes, bytes], ...] = (),
):
    """Open a socket with the given Host and Origin; return (accepted, first text, code)."""
    headers = list(extra)
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(over(app, scheme), path, headers=headers)
    accepted, code = await communicator.connect()
    text = await communicator.receive_from() if accepted else None
    await communicator.disconnect()
    return accepted, text, code


async def test_same_origin_socket_is_accepted_with_its_tenant(alpha, beta):
    """A page on alpha opening a socket to alpha gets through, tagged with alpha."""
    accepted, slug, _ = await attempt(guarded, "alpha.localhost", "http://alpha.localhost")
    assert accepted
    assert slug == "alpha"


async def test_a_page_on_any_domain_of_the_tenant_opens_its_own_socket(alpha, beta):
    """www.beta.localhost:8000 serves beta's pages, and its pages open sockets there."""
    accepted, slug, _ = await attempt(
        guarded, "www.beta.localhost:8000", "http://www.beta.localhost:8000"
    )
    assert accepted
    assert slug == "beta"


async def test_an_https_page_opens_a_wss_socket_on_a_non_default_port(alpha):
    """Scheme, host and port all match: https://alpha.localhost:8443 over wss is accepted."""
    accepted, slug, _ = await attempt(
        guarded, "alpha.localhost:8443", "https://alpha.localhost:8443", scheme="wss"
    )
    assert accepted
    assert slug == "alpha"


async def test_default_ports_are_elided_like_browsers_do(alpha):
    """Host alpha.localhost:443 over wss is the page https://alpha.localhost (no port)."""
    accepted, _, _ = await attempt(
        guarded, "ALPHA.localhost:443", "https://alpha.localhost", scheme="wss"
    )
    assert accepted


@pytest.mark.parametrize(
    ("host", "origin", "scheme"),
    [
        # Another server on the tenant's hostname (another port) is another origin.
        ("alpha.localhost", "http://alpha.localhost:9999", "ws"),
        ("alpha.localhost:8000", "http://alpha.localhost:9999", "ws"),
        ("alpha.localhost:8443", "https://alpha.localhost:8443", "ws"),
        # A page on the default port is another origin than a socket on another port.
        ("alpha.localhost:8000", "http://alpha.localhost", "ws"),
        # An https page may not drive a plain ws socket (and the reverse).
        ("alpha.localhost", "https://alpha.localhost", "ws"),
        ("alpha.localhost", "http://alpha.localhost", "wss"),
        # The origin spelled differently from what a browser sends is not the page's.
        ("alpha.localhost", "http://alpha.localhost:80", "ws"),
        ("alpha.localhost", "http://ALPHA.localhost", "ws"),
        ("alpha.localhost", "http://alpha.localhost/", "ws"),
        # Another domain of the same tenant is another origin too.
        ("beta.localhost", "http://www.beta.localhost", "ws"),
    ],
    ids=[
        "another-port",
        "another-port-than-the-hosts",
        "https-port-over-ws",
        "default-port-page-to-another-port",
        "https-page-ws-socket",
        "http-page-wss-socket",
        "default-port-spelled-out",
        "upper-case",
        "trailing-slash",
        "another-domain-of-the-tenant",
    ],
)
async def test_mallory_on_another_scheme_or_port_of_the_host_cannot_open_a_socket(
    alpha, beta, host, origin, scheme
):
    """A page whose origin differs from the socket's in scheme, host or port is refused."""
    accepted, _, code = await attempt(guarded, host, origin, scheme=scheme)
    assert not accepted
    assert code == 1000


async def test_forwarded_proto_is_ignored_unless_the_site_trusts_it(alpha, settings):
    """X-Forwarded-Proto: https turns ws into https only where the operator trusts the proxy."""
    forwarded = ((b"x-forwarded-proto", b"https"),)
    host = "alpha.localhost"
    assert not (await attempt(guarded, host, "https://alpha.localhost", extra=forwarded))[0]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert (await attempt(guarded, host, "https://alpha.localhost", extra=forwarded))[0]
    assert not (await attempt(guarded, host, "http://alpha.localhost", extra=forwarded))[0]


async def test_the_checked_origin_is_handed_to_the_application(alpha):
    """The relay reads ``scope["origin"]``: the canonical origin the check compared."""
    seen = {}

    async def inner(scope, receive, send):
        seen["origin"] = scope["origin"]
        await receive()
        await send({"type": "websocket.accept"})

    accepted, _ = await WebsocketCommunicator(
        over(TenantScopeMiddleware(TenantOriginValidator(inner)), "wss"),
        "/ws/v1",
        headers=[(b"host", b"Alpha.Localhost.:443"), (b"origin", b"https://alpha.localhost")],
    ).connect()
    assert accepted
    assert seen["origin"] == "https://alpha.localhost"


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
    ids=["another-site", "another-tenant", "suffix-trick", "null", "extension", "none"],
)
async def test_foreign_or_missing_origin_is_refused(alpha, beta, origin):
    """Only the tenant's own http(s) origins may open a socket."""
    accepted, _, code = await attempt(guarded, "alpha.localhost", origin)
    assert not accepted
    assert code == 1000


@pytest.mark.parametrize(
    "host", ["unknown.localhost", None, "alpha.localhost/evil", "alpha.localhost..", "evil.test"]
)
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
