"""WebSocket counterparts of TenantMiddleware: tenant from Host, then origin check.

Both refuse in the same way (the handshake is answered 403), so a refused
socket does not tell an unknown host from a foreign origin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async

from atopos_site.tenancy.hostnames import normalize_hostname
from atopos_site.tenancy.policy import ResolvedTenant
from atopos_site.tenancy.resolver import resolve_host_header

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


def origin_allowed(origin: str | None, tenant: ResolvedTenant) -> bool:
    """True when ``origin`` is an http(s) origin on one of the tenant's own domains."""
    if not origin:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    try:
        hostname = normalize_hostname(parts.hostname)
    except ValueError:
        return False
    return hostname in tenant.domains


class TenantScopeMiddleware:
    """Puts ``scope["tenant"]`` for the Host header; refuses unknown hosts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Resolve the tenant (through the cache, or the database in a thread)."""
        tenant = await database_sync_to_async(resolve_host_header)(header(scope, b"host"))
        if tenant is None:
            return await refuse_websocket(scope, receive, send)
        return await self.app({**scope, "tenant": tenant}, receive, send)


class TenantOriginValidator:
    """Refuses sockets whose Origin is not one of the tenant's domains (CSWSH)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Compare the Origin header with the domains of ``scope["tenant"]``."""
        if not origin_allowed(header(scope, b"origin"), scope["tenant"]):
            return await refuse_websocket(scope, receive, send)
        return await self.app(scope, receive, send)
