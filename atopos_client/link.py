"""The room link https://HOST/r/#v2.<b64u(L)>.<b64u(g)>, and the invite link that adds
``.<b64u(T)>``, a ticket secret (PROTOCOL §2, §8.4)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from atopos_protocol.codec import b64u_decode, b64u_encode
from atopos_protocol.errors import ProtocolError

ROOM_PATH = "/r/"
LINK_VERSION = "v2"


@dataclass(frozen=True, slots=True)
class Link:
    """The secret half of a room link: link shard, genesis hash and, in an invite, a ticket."""

    link_shard: bytes
    genesis_hash: bytes
    ticket: bytes | None = None

    def fragment(self) -> str:
        """``v2.<L>.<g>`` (``v2.<L>.<g>.<T>`` for an invite), the part after '#'."""
        base = f"{LINK_VERSION}.{b64u_encode(self.link_shard)}.{b64u_encode(self.genesis_hash)}"
        return base if self.ticket is None else f"{base}.{b64u_encode(self.ticket)}"

    def with_ticket(self, ticket: bytes | None) -> Link:
        """The same room link carrying ``ticket`` (None: the plain room link)."""
        return Link(self.link_shard, self.genesis_hash, ticket)

    def url(self, origin: str) -> str:
        """The full link on ``origin`` (scheme://host[:port])."""
        return f"{origin.rstrip('/')}{ROOM_PATH}#{self.fragment()}"

    @classmethod
    def parse_fragment(cls, fragment: str) -> Link:
        """Read ``v2.<L>.<g>[.<T>]``; raises ProtocolError link-version or link-malformed."""
        parts = fragment.removeprefix("#").split(".")
        if len(parts) not in (3, 4):
            raise ProtocolError("link-malformed", "expected v2.<L>.<g>[.<T>]")
        if parts[0] != LINK_VERSION:
            raise ProtocolError("link-version", parts[0][:8])
        return cls(
            link_shard=b64u_decode(parts[1], 32, "link-malformed"),
            genesis_hash=b64u_decode(parts[2], 16, "link-malformed"),
            ticket=b64u_decode(parts[3], 32, "link-malformed") if len(parts) == 4 else None,
        )


def split_link_url(url: str) -> tuple[str, Link]:
    """(origin, Link) from a full room link."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path != ROOM_PATH:
        raise ProtocolError("link-malformed", "not a room link")
    return f"{parts.scheme}://{parts.netloc}", Link.parse_fragment(parts.fragment)
