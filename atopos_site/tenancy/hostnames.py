"""Normalising hostnames as operators type them and as browsers send them.

One canonical form everywhere: lower case, IDNA2008 A-labels with UTS-46
mapping (the way browsers convert names; ``faß.example`` stays distinct from
``fass.example``), no trailing dot, IPv6 literals bracketed. The Host header
of HTTP requests and WebSocket handshakes goes through :func:`canonical_host`
only, so the tenant lookup, the origin check and the admin host all read the
same value.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import idna
from django.conf import settings
from django.http.request import split_domain_port, validate_host

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# The ports a scheme implies: an origin never spells them out.
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def normalize_hostname(value: str) -> str:
    """The canonical form of a hostname: lower case, IDNA2008, no trailing dot, no port.

    IPv4 literals stay as they are and IPv6 literals are bracketed, which is
    how a Host header carries them. One trailing dot (a fully qualified name)
    is dropped; anything else that is not a hostname raises ``ValueError``.
    """
    text = value.strip().lower().removesuffix(".")
    if not text:
        raise ValueError("a hostname is required")
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        pass
    else:
        return f"[{address.compressed}]" if address.version == 6 else address.compressed
    try:
        # UTS-46 non-transitional processing, as browsers do (ß, ς, ZWJ kept).
        ascii_name = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValueError(f"{value!r} is not a valid hostname") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{value!r} is not a valid hostname")
    return ascii_name


@dataclass(frozen=True, slots=True)
class CanonicalHost:
    """A Host header reduced to its canonical hostname and its port (None when absent)."""

    hostname: str
    port: int | None

    def origin(self, scheme: str) -> str:
        """The serialised origin of a page on this host (RFC 6454): default port elided."""
        if self.port is None or self.port == DEFAULT_PORTS[scheme]:
            return f"{scheme}://{self.hostname}"
        return f"{scheme}://{self.hostname}:{self.port}"


def canonical_host(header: str | None) -> CanonicalHost | None:
    """The canonical host of a raw Host header, or None if it is missing or malformed.

    Django's own parser splits the port and Django's ALLOWED_HOSTS check
    applies, exactly as ``HttpRequest.get_host()`` does; a name Django would
    answer with 400 (and a logged traceback) is simply None here.
    """
    if not header:
        return None
    domain, port = split_domain_port(header)
    # split_domain_port drops one trailing dot; a second one is not a hostname.
    if not domain or domain.endswith(".") or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    number = int(port) if port else None
    if number is not None and not 0 < number < 65536:
        return None
    try:
        return CanonicalHost(normalize_hostname(domain), number)
    except ValueError:
        return None


def hostname_from_host_header(header: str) -> str | None:
    """The hostname part of a Host header, or None if the header is malformed."""
    host = canonical_host(header)
    return host.hostname if host is not None else None
