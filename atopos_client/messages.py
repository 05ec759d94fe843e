"""What travels inside an envelope: hello, text, bye and governance bodies (PROTOCOL §4.3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from atopos_protocol.codec import Reader, u8, u16
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import BUCKETS, MAX_EVENT_SIZE
from atopos_protocol.routing_modes import RoutingMode

PLAINTEXT_HEADER_SIZE = 1 + 32 + 8 + 32 + 8 + 4
MAX_TEXT_BYTES = 8000
MAX_NAME_BYTES = 64
HELLO_WANTS_REPLY = 0x01
# A GOV_REQUEST for this "head" asks for every event the receiver holds: sent by a
# member that sees envelopes of an epoch it does not hold, so it cannot read their heads.
CATCH_UP = bytes(32)
PIECE_HEADER_SIZE = 32 + 2 + 2 + 2


class InnerKind(IntEnum):
    """The first plaintext byte."""

    HELLO = 1
    TEXT = 2
    BYE = 3
    GOV_REQUEST = 4  # "I do not hold this head; send me the events you have"
    GOV_EVENTS = 5  # pieces of governance events (an event may span envelopes)


def max_text_bytes(mode: RoutingMode) -> int:
    """The longest text body a room of ``mode`` carries in one envelope."""
    return min(MAX_TEXT_BYTES, max(BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE)


@dataclass(frozen=True, slots=True)
class Hello:
    """A member introducing itself: keys, bind tag and a self-chosen name."""

    x_pk: bytes
    bind: bytes
    name: str
    wants_reply: bool

    def encode(self) -> bytes:
        name = self.name.encode("utf-8")
        if len(name) > MAX_NAME_BYTES:
            raise ValueError(f"a display name is at most {MAX_NAME_BYTES} bytes of UTF-8")
        flags = HELLO_WANTS_REPLY if self.wants_reply else 0
        return self.x_pk + self.bind + u8(flags) + u8(len(name)) + name

    @classmethod
    def decode(cls, body: bytes) -> Hello:
        reader = Reader(body, "bad-length")
        x_pk, bind, flags = reader.take(32), reader.take(32), reader.u8()
        raw_name = reader.take(reader.u8())
        reader.end()
        if len(raw_name) > MAX_NAME_BYTES or flags & ~HELLO_WANTS_REPLY:
            raise ProtocolError("bad-length", "hello")
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("bad-length", "name is not UTF-8") from None
        return cls(x_pk, bind, name, bool(flags & HELLO_WANTS_REPLY))


def encode_text(text: str, mode: RoutingMode) -> bytes:
    """A text body, refusing what the room's mode cannot carry."""
    body = text.encode("utf-8")
    if not 1 <= len(body) <= max_text_bytes(mode):
        raise ValueError(f"a message is 1 to {max_text_bytes(mode)} bytes of UTF-8")
    return body


def check_body(kind: InnerKind, body: bytes, mode: RoutingMode) -> None:
    """Raise ProtocolError bad-length unless ``body`` is valid for ``kind``."""
    if kind is InnerKind.HELLO:
        Hello.decode(body)
    elif kind is InnerKind.TEXT:
        if not 1 <= len(body) <= max_text_bytes(mode):
            raise ProtocolError("bad-length", "text size")
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("bad-length", "text is not UTF-8") from None
    elif kind is InnerKind.GOV_REQUEST:
        if len(body) != 32:
            raise ProtocolError("bad-length", "a governance request carries a head")
    elif kind is InnerKind.GOV_EVENTS:
        split_pieces(body)
    elif body:
        raise ProtocolError("bad-length", "bye has no body")


@dataclass(frozen=True, slots=True)
class EventPiece:
    """Bytes ``offset`` to ``offset + len(data)`` of a ``total``-byte event with id ``event_id``.

    Events travel between members in pieces so that one larger than an
    envelope (a REKEY to many members, any event in mix mode) still travels.
    """

    event_id: bytes
    total: int
    offset: int
    data: bytes

    def encode(self) -> bytes:
        return self.event_id + u16(self.total) + u16(self.offset) + u16(len(self.data)) + self.data


def join_pieces(pieces: list[EventPiece]) -> bytes:
    """A GOV_EVENTS body."""
    return b"".join(piece.encode() for piece in pieces)


def split_pieces(body: bytes) -> list[EventPiece]:
    """The pieces of a GOV_EVENTS body; ProtocolError bad-length unless each one is in range."""
    reader = Reader(body, "bad-length")
    pieces = []
    while reader.remaining():
        event_id, total, offset = reader.take(32), reader.u16(), reader.u16()
        data = reader.take(reader.u16())
        if not data or not 0 < total <= MAX_EVENT_SIZE or offset + len(data) > total:
            raise ProtocolError("bad-length", "event piece out of range")
        pieces.append(EventPiece(event_id, total, offset, data))
    if not pieces:
        raise ProtocolError("bad-length", "no events")
    return pieces
