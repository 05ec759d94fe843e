"""What travels inside an envelope: hello, text and bye bodies (PROTOCOL §4.3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from rooms.protocol.codec import Reader, u8, u16
from rooms.protocol.errors import ProtocolError
from rooms.protocol.frames import BUCKETS
from rooms.routing_modes import RoutingMode

PLAINTEXT_HEADER_SIZE = 1 + 32 + 8 + 32 + 8 + 4
MAX_TEXT_BYTES = 8000
MAX_NAME_BYTES = 64
HELLO_WANTS_REPLY = 0x01


class InnerKind(IntEnum):
    """The first plaintext byte."""

    HELLO = 1
    TEXT = 2
    BYE = 3
    GOV_REQUEST = 4  # "I do not hold this head; send me the events you have"
    GOV_EVENTS = 5  # governance events, each prefixed by its u16 length


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
        split_events(body)
    elif body:
        raise ProtocolError("bad-length", "bye has no body")


def join_events(events: list[bytes]) -> bytes:
    """A GOV_EVENTS body: each event prefixed by its u16 length."""
    return b"".join(u16(len(event)) + event for event in events)


def split_events(body: bytes) -> list[bytes]:
    """The events of a GOV_EVENTS body; ProtocolError bad-length if it does not split exactly."""
    reader = Reader(body, "bad-length")
    events = []
    while reader.remaining():
        events.append(reader.take(reader.u16()))
    if not events:
        raise ProtocolError("bad-length", "no events")
    return events
