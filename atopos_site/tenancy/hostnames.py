"""Normalising hostnames as operators type them and as browsers send them."""

from __future__ import annotations

import ipaddress
import re

from django.http.request import split_domain_port

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def normalize_hostname(value: str) -> str:
    """The canonical form of a hostname: lower case, IDNA, no trailing dot, no port.

    IPv4 literals stay as they are and IPv6 literals are bracketed, which is
    how a Host header carries them. Raises ``ValueError`` on anything else.
    """
    text = value.strip().lower().rstrip(".")
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
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{value!r} is not a valid hostname") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{value!r} is not a valid hostname")
    return ascii_name


def hostname_from_host_header(header: str) -> str | None:
    """The hostname part of a Host header, or None if the header is malformed."""
    domain, _port = split_domain_port(header)
    if not domain:
        return None
    try:
        return normalize_hostname(domain)
    except ValueError:
        return None
