"""What travels inside an envelope: hello, text, bye and governance bodies (PROTOCOL §4.3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from atopos_protocol.codec import Reader, u8, u16, u32, u64
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
# A text body starts with its message's id, number, predecessor and first sending time.
TEXT_HEADER_SIZE = 8 + 4 + 8 + 8
SYNC_ENTRY_SIZE = 32 + 8 + 4
SYNCED_HEADER_SIZE = 8 + 8 + 4
# A message's id is the seq of the envelope that first carried it, which lies
# between that envelope's time and 60 s after it (§4.3).
SEQ_AHEAD_MS = 60_000


class InnerKind(IntEnum):
    """The first plaintext byte."""

    HELLO = 1
    TEXT = 2
    BYE = 3
    GOV_REQUEST = 4  # "I do not hold this head; send me the events you have"
    GOV_EVENTS = 5  # pieces of governance events (an event may span envelopes)
    SYNC = 6  # "the last message I hold from each of you": senders answer with what follows
    SYNCED = 7  # "I have sent again all I hold after this id": the end of an answer


def max_text_bytes(mode: RoutingMode) -> int:
    """The longest text body a room of ``mode`` carries in one envelope, resends included."""
    return min(MAX_TEXT_BYTES, max(BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE - TEXT_HEADER_SIZE)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A chat message as its sender numbered it (PROTOCOL §4.5).

    ``id`` is unique per sender (the seq of the envelope that first carried the
    message), ``number`` counts the sender's messages from 1, ``prev`` is the id
    of message ``number - 1`` (0 for the first), ``sent_ms`` the time of the
    first sending. A resend travels in a new envelope with all four unchanged.
    """

    id: int
    number: int
    prev: int
    sent_ms: int
    text: str

    def encode(self, mode: RoutingMode) -> bytes:
        body = self.text.encode("utf-8")
        if not 1 <= len(body) <= max_text_bytes(mode):
            raise ValueError(f"a message is 1 to {max_text_bytes(mode)} bytes of UTF-8")
        return u64(self.id) + u32(self.number) + u64(self.prev) + u64(self.sent_ms) + body

    @classmethod
    def decode(cls, body: bytes, mode: RoutingMode) -> ChatMessage:
        reader = Reader(body, "bad-length")
        id_, number, prev, sent_ms = reader.u64(), reader.u32(), reader.u64(), reader.u64()
        raw = reader.rest()
        if not 1 <= len(raw) <= max_text_bytes(mode):
            raise ProtocolError("bad-length", "text size")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("bad-length", "text is not UTF-8") from None
        first = number == 1
        if number == 0 or first != (prev == 0) or prev >= id_:
            raise ProtocolError("bad-message-id", "number and predecessor disagree")
        if not sent_ms <= id_ <= sent_ms + SEQ_AHEAD_MS:
            raise ProtocolError("bad-message-id", "id outside its sending time's window")
        return cls(id_, number, prev, sent_ms, text)

    def check_carried_by(self, seq: int, time_ms: int) -> None:
        """A message travels in an envelope no older than its first one: ``bad-message-id``
        for a message claiming to be sent after the envelope that carries it."""
        if self.id > seq or self.sent_ms > time_ms:
            raise ProtocolError("bad-message-id", "message newer than its envelope")


@dataclass(frozen=True, slots=True)
class SyncEntry:
    """The last message the asker holds from ``sender`` (id and number; 0 and 0: none)."""

    sender: bytes
    after_id: int
    after_number: int

    def encode(self) -> bytes:
        return self.sender + u64(self.after_id) + u32(self.after_number)


def encode_sync(entries: list[SyncEntry]) -> bytes:
    """A SYNC body."""
    return b"".join(entry.encode() for entry in entries)


def decode_sync(body: bytes) -> list[SyncEntry]:
    """The entries of a SYNC body: at least one, each complete, no sender twice."""
    if not body or len(body) % SYNC_ENTRY_SIZE:
        raise ProtocolError("bad-length", "sync entries")
    reader = Reader(body, "bad-length")
    entries = []
    while reader.remaining():
        sender, after_id, after_number = reader.take(32), reader.u64(), reader.u32()
        if (after_id == 0) != (after_number == 0):
            raise ProtocolError("bad-length", "sync entry")
        entries.append(SyncEntry(sender, after_id, after_number))
    if len({entry.sender for entry in entries}) != len(entries):
        raise ProtocolError("bad-length", "a sender named twice")
    return entries


@dataclass(frozen=True, slots=True)
class Synced:
    """The end of an answer to the syncs of ``askers``: every message its sender still
    holds after ``after_id`` went again (before this frame, on the same connection); its
    last message is ``last_id`` (number ``last_number``; 0 and 0 if it has sent none).

    Only the askers it names may conclude that what they still lack is gone: the sender
    answered after their sync reached it, so they were in the room for every resend. A
    member who came in during the answer to someone else saw only part of it.
    """

    after_id: int
    last_id: int
    last_number: int
    askers: tuple[bytes, ...]

    def encode(self) -> bytes:
        head = u64(self.after_id) + u64(self.last_id) + u32(self.last_number)
        return head + b"".join(self.askers)

    @classmethod
    def decode(cls, body: bytes) -> Synced:
        reader = Reader(body, "bad-length")
        after_id, last_id, last_number = reader.u64(), reader.u64(), reader.u32()
        rest = reader.rest()
        if not rest or len(rest) % 32:
            raise ProtocolError("bad-length", "synced: askers")
        askers = tuple(rest[i : i + 32] for i in range(0, len(rest), 32))
        if len(set(askers)) != len(askers):
            raise ProtocolError("bad-length", "synced: an asker named twice")
        decoded = cls(after_id, last_id, last_number, askers)
        if (decoded.last_id == 0) != (decoded.last_number == 0):
            raise ProtocolError("bad-message-id", "synced: last message")
        if decoded.after_id > decoded.last_id:
            raise ProtocolError("bad-message-id", "synced: after its last message")
        return decoded


def sync_entries_per_envelope(mode: RoutingMode) -> int:
    return (max(BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE) // SYNC_ENTRY_SIZE


def synced_askers_per_envelope(mode: RoutingMode) -> int:
    return (max(BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE - SYNCED_HEADER_SIZE) // 32


@dataclass(frozen=True, slots=True)
class Hello:
    """A member introducing itself: keys, bind tag, the last chat message it sent (so that
    others know what to expect from it) and a self-chosen name."""

    x_pk: bytes
    bind: bytes
    name: str
    wants_reply: bool
    last_id: int = 0  # 0 and 0: it has sent nothing yet
    last_number: int = 0

    def encode(self) -> bytes:
        name = self.name.encode("utf-8")
        if len(name) > MAX_NAME_BYTES:
            raise ValueError(f"a display name is at most {MAX_NAME_BYTES} bytes of UTF-8")
        flags = HELLO_WANTS_REPLY if self.wants_reply else 0
        last = u64(self.last_id) + u32(self.last_number)
        return self.x_pk + self.bind + u8(flags) + last + u8(len(name)) + name

    @classmethod
    def decode(cls, body: bytes) -> Hello:
        reader = Reader(body, "bad-length")
        x_pk, bind, flags = reader.take(32), reader.take(32), reader.u8()
        last_id, last_number = reader.u64(), reader.u32()
        raw_name = reader.take(reader.u8())
        reader.end()
        if len(raw_name) > MAX_NAME_BYTES or flags & ~HELLO_WANTS_REPLY:
            raise ProtocolError("bad-length", "hello")
        if (last_id == 0) != (last_number == 0):
            raise ProtocolError("bad-message-id", "hello's last message")
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("bad-length", "name is not UTF-8") from None
        return cls(x_pk, bind, name, bool(flags & HELLO_WANTS_REPLY), last_id, last_number)


def check_body(kind: InnerKind, body: bytes, mode: RoutingMode, seq: int, time_ms: int) -> None:
    """Raise ProtocolError (bad-length, bad-message-id) unless ``body`` is valid for ``kind``
    in an envelope numbered ``seq`` and sealed at ``time_ms``."""
    if kind is InnerKind.HELLO:
        if Hello.decode(body).last_id >= seq:
            raise ProtocolError("bad-message-id", "a hello names a message sent after it")
    elif kind is InnerKind.TEXT:
        ChatMessage.decode(body, mode).check_carried_by(seq, time_ms)
    elif kind is InnerKind.SYNC:
        decode_sync(body)
    elif kind is InnerKind.SYNCED:
        if Synced.decode(body).last_id >= seq:
            raise ProtocolError("bad-message-id", "synced names a message sent after it")
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
