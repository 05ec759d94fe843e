"""The client's address behind a reverse proxy, believed only from proxies the operator names.

Behind nginx every connection comes from the proxy, so without this every
client would share the proxy's address, and with it one rate-limit budget:
one client's sockets could lock everyone else out. The shipped nginx
template overwrites ``X-Forwarded-For`` with the address it saw. This ASGI
middleware, around both HTTP and WebSockets, replaces ``scope["client"]``
with that address, but only when the direct peer is in
ATOPOS_TRUSTED_PROXIES; from anyone else the header is ignored, so a client
cannot choose its own address.

With several proxies in a row (each appending to the header), the header is
read from the right, skipping proxies the operator trusts: the first address
that is not a trusted proxy is the client. Entries further left were written
by the client and are never read.

Nothing here logs or stores an address; rate limits see only a keyed hash.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import Any

from django.conf import settings

from atopos_site.env import IPNetwork

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

FORWARDED_FOR = b"x-forwarded-for"


def parse_address(text: str) -> IPAddress | None:
    """An IP address as a proxy writes it (IPv6 possibly bracketed), or None."""
    value = text.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, proxies: Iterable[IPNetwork]) -> bool:
    return any(address in network for network in proxies)


def forwarded_client(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[IPNetwork]
) -> str | None:
    """The client's address: ``peer`` unless it is a trusted proxy that named someone else.

    ``forwarded_for`` holds the X-Forwarded-For header values in order.
    """
    address = parse_address(peer) if peer is not None else None
    if address is None or not proxies or not _trusted(address, proxies):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        hop_address = parse_address(hop)
        if hop_address is None:
            # A trusted proxy wrote something that is not an address: stop at
            # the last hop we can vouch for rather than believe anything left of it.
            break
        address = hop_address
        if not _trusted(address, proxies):
            break
    return str(address)


class TrustedProxyMiddleware:
    """Sets ``scope["client"]`` to the address a trusted proxy forwarded (HTTP and WebSocket)."""

    def __init__(self, app: ASGIApp, proxies: Sequence[IPNetwork] | None = None) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rewrite the client of HTTP and WebSocket scopes; pass everything else through."""
        proxies = self.proxies if self.proxies is not None else settings.ATOPOS_TRUSTED_PROXIES
        if scope["type"] in ("http", "websocket") and proxies:
            scope = self._rewritten(scope, proxies)
        return await self.app(scope, receive, send)

    @staticmethod
    def _rewritten(scope: Scope, proxies: Sequence[IPNetwork]) -> Scope:
        client = scope.get("client")
        peer = str(client[0]) if client else None
        values = [
            bytes(value).decode("latin-1")
            for name, value in scope.get("headers", ())
            if bytes(name).lower() == FORWARDED_FOR
        ]
        address = forwarded_client(peer, values, proxies)
        if address is None or address == peer:
            return scope
        # The proxy knows the client's address, not its port.
        return {**scope, "client": (address, 0)}
