"""Governance events: canonical bytes, signatures and ids (PROTOCOL §8).

    body  = version u8 (2) ‖ kind u8 ‖ room_id[16] ‖ parent[32] ‖ author[32]
            ‖ payload_len u16 ‖ payload
    event = body ‖ Ed25519(author, "atopos/v2/event\\0" ‖ body)
    id    = BLAKE2b(event, person="atopos1-event", 32)

The genesis is event 0 (its own layout, atopos_protocol.genesis); every other
event names one parent: the head its author saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from atopos_protocol import VERSION
from atopos_protocol.codec import Reader, u8, u16
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import MAX_EVENT_SIZE
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.labels import Label, unkeyed_hash
from atopos_protocol.signatures import Prefix, SigningKey, verify_prefixed

EVENT_VERSION = VERSION
MALFORMED = "event-malformed"


class EventKind(IntEnum):
    """What an event does."""

    ADMIT = 1
    INVITE = 2
    REVOKE_INVITE = 3
    REDEEM = 4
    KICK = 5
    PROMOTE = 6
    DEMOTE = 7
    SET_JOIN_RULE = 8
    LOCK = 9
    END_ROOM = 10
    REKEY = 11
    KEYSHARE = 12
    BIND = 13  # a newcomer in an open room binds its own keys, vouched for by the link


# Ordered first when branches meet (DESIGN §5): taking power away beats using it.
REVOCATIONS = frozenset(
    {EventKind.KICK, EventKind.DEMOTE, EventKind.REVOKE_INVITE, EventKind.LOCK, EventKind.END_ROOM}
)


def event_id(raw: bytes) -> bytes:
    """The 32-byte id of an event (or of the genesis)."""
    return unkeyed_hash(Label.EVENT, raw)


@dataclass(frozen=True, slots=True)
class Event:
    """A parsed, signature-checked event."""

    kind: EventKind
    room_id: bytes
    parent: bytes
    author: bytes
    payload: bytes
    raw: bytes
    id: bytes

    @classmethod
    def create(
        cls, kind: EventKind, room_id: bytes, parent: bytes, author: SigningKey, payload: bytes
    ) -> Event:
        """Sign a new event."""
        if len(payload) > MAX_EVENT_SIZE - 200:
            raise ValueError("payload too large")
        body = (
            u8(EVENT_VERSION)
            + u8(kind)
            + room_id
            + parent
            + author.public_key
            + u16(len(payload))
            + payload
        )
        raw = body + author.sign(Prefix.EVENT, body)
        return cls(kind, room_id, parent, author.public_key, payload, raw, event_id(raw))

    @classmethod
    def decode(cls, raw: bytes) -> Event:
        """Parse and check the signature; GovernanceError event-malformed or bad-signature."""
        if len(raw) > MAX_EVENT_SIZE:
            raise GovernanceError(MALFORMED, "too long")
        try:
            reader = Reader(raw, MALFORMED)
            version, kind_code = reader.u8(), reader.u8()
            room_id, parent, author = reader.take(16), reader.take(32), reader.take(32)
            payload = reader.take(reader.u16())
            body_end = reader.offset
            signature = reader.take(64)
            reader.end()
        except ProtocolError as error:
            raise GovernanceError(MALFORMED, str(error)) from None
        if version != EVENT_VERSION:
            raise GovernanceError(MALFORMED, "version")
        try:
            kind = EventKind(kind_code)
        except ValueError:
            raise GovernanceError(MALFORMED, "kind") from None
        if not verify_prefixed(author, Prefix.EVENT, raw[:body_end], signature):
            raise GovernanceError("bad-signature")
        return cls(kind, room_id, parent, author, payload, raw, event_id(raw))

    def reader(self) -> Reader:
        """A reader over the payload whose overruns raise event-malformed."""
        return _PayloadReader(self.payload)


class _PayloadReader(Reader):
    def __init__(self, payload: bytes) -> None:
        super().__init__(payload, MALFORMED)


def payload_error(error: ProtocolError) -> GovernanceError:
    """A payload overrun, as the governance error it is."""
    return GovernanceError(MALFORMED, str(error))
