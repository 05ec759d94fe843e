"""WebSocket counterparts of TenantMiddleware: tenant from Host, then origin check.

Both refuse in the same way (the handshake is answered 403), so a refused
socket does not tell an unknown host from a foreign origin.

The origin check is exact: a socket's Origin must be the origin of the page
that the same Host serves over the same kind of connection, scheme, host and
port alike, serialised as browsers serialise it. Another port or scheme on a
tenant's hostname is another origin (another server, or a plain-http page
that a network attacker can write), so it may not drive a room socket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from atopos_site.tenancy.hostnames import CanonicalHost, canonical_host
from atopos_site.tenancy.resolver import resolve_hostname

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes) in an ASGI scope."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def refuse_websocket(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer the handshake with a refusal; the client sees HTTP 403."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


def page_scheme(scope: Scope) -> str:
    """``http`` or ``https``: the scheme of a page that may open this socket.

    It is the connection's own (ws -> http, wss -> https) unless the operator
    trusts the proxy's X-Forwarded-Proto (ATOPOS_TRUST_X_FORWARDED_PROTO),
    which is then read exactly as Django reads it for HTTP requests.
    """
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header is not None:
        meta_name, secure_value = proxy_header
        name = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        value = header(scope, name)
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return "https" if scope.get("scheme") == "wss" else "http"


def expected_origin(scope: Scope, host: CanonicalHost) -> str:
    """The origin of the page the socket's Host serves, as a browser serialises it."""
    return host.origin(page_scheme(scope))


def origin_allowed(origin: str | None, expected: str) -> bool:
    """True when the Origin header is exactly the expected origin.

    Browsers always send an origin in its serialised form (lower case,
    A-labels, no default port, no path), so nothing needs parsing: any other
    spelling did not come from the page and is refused.
    """
    return origin is not None and origin == expected


class TenantScopeMiddleware:
    """Puts ``scope["host"]`` and ``scope["tenant"]`` for the Host header; refuses unknown hosts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Resolve the tenant (through the cache, or the database in a thread)."""
        host = canonical_host(header(scope, b"host"))
        if host is None:
            return await refuse_websocket(scope, receive, send)
        tenant = await database_sync_to_async(resolve_hostname)(host.hostname)
        if tenant is None:
            return await refuse_websocket(scope, receive, send)
        return await self.app({**scope, "host": host, "tenant": tenant}, receive, send)


class TenantOriginValidator:
    """Refuses sockets from any origin but the page's own (CSWSH, other ports and schemes).

    An accepted socket carries ``scope["origin"]``: the canonical origin that
    was checked, which the relay compares with a room's signed origin.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Compare the Origin header with the origin the Host and the connection imply."""
        expected = expected_origin(scope, scope["host"])
        if not origin_allowed(header(scope, b"origin"), expected):
            return await refuse_websocket(scope, receive, send)
        return await self.app({**scope, "origin": expected}, receive, send)
