"""Secrets only the server holds, derived from SECRET_KEY with their own labels.

They key tombstones (so an ended room's id is not kept in the clear) and the
daily-rotating hash that stands in for a client's address in rate limits.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

from atopos_protocol.codec import u32
from atopos_protocol.labels import DerivationLabel, kdf, unkeyed_hash

DAY_SECONDS = 86_400


class ServerLabel(DerivationLabel):
    """Labels of the server's own keys: never on the wire, and none repeats a protocol label."""

    SERVER = "atopos1-server"
    TOMBKEY = "atopos1-tombkey"
    TOMB = "atopos1-tomb"
    RLDAY = "atopos1-rlday"
    CLIENT = "atopos1-client"


@lru_cache(maxsize=8)
def _server_key(secret_key: str) -> bytes:
    return unkeyed_hash(ServerLabel.SERVER, secret_key.encode("utf-8"))


def server_key() -> bytes:
    """32 bytes derived from SECRET_KEY."""
    return _server_key(settings.SECRET_KEY)


def tombstone_id(tenant_slug: str, room_id: bytes) -> str:
    """A keyed hash of the room id under a per-tenant key: blocks re-creation, reveals nothing."""
    tenant_key = kdf(server_key(), ServerLabel.TOMBKEY, tenant_slug.encode("ascii"))
    return kdf(tenant_key, ServerLabel.TOMB, room_id, size=16).hex()


# One IPv6 subscriber usually holds a whole /64 and can pick any address in
# it, so a budget per IPv6 address would be a budget per attempt.
IPV6_CLIENT_PREFIX = 64


def rate_limit_subject(address: str) -> str:
    """What one client's budget is counted for: its IPv4 address, or its IPv6 /64."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
    return str(parsed)


def client_identity(address: str, now_seconds: float) -> str:
    """The day's keyed hash of a client (see rate_limit_subject); the address is never kept."""
    day_key = kdf(server_key(), ServerLabel.RLDAY, u32(int(now_seconds // DAY_SECONDS)))
    subject = rate_limit_subject(address)
    return kdf(day_key, ServerLabel.CLIENT, subject.encode("utf-8"), size=16).hex()
