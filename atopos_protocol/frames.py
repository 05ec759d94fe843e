"""WebSocket frames, sizes and close codes (PROTOCOL §4.3, §5).

Everything here is safe for the server: it encodes and checks the shape of
frames, and never touches a key that decrypts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from atopos_protocol import VERSION
from atopos_protocol.binding import BINDING_SIZE, Binding
from atopos_protocol.codec import Reader, u8, u16, u32, u64
from atopos_protocol.errors import ProtocolError
from atopos_protocol.extra_lock import LockParams
from atopos_protocol.routing_modes import RoutingMode

TRANSPORT_MAX_FRAME = 64 * 1024
ENVELOPE_HEADER_SIZE = 2 + 12 + 24
ENVELOPE_NONCE_OFFSET = 2 + 12  # the nonce names an envelope in the relay's ACK
NONCE_SIZE = 24
TAG_SIZE = 16
ENVELOPE_OVERHEAD = ENVELOPE_HEADER_SIZE + TAG_SIZE
MIX_BUCKET = 1024
BUCKETS: dict[RoutingMode, tuple[int, ...]] = {
    RoutingMode.DIRECT: (256, 1024, 4096, 16384),
    RoutingMode.TOR: (256, 1024, 4096, 16384),
    RoutingMode.MIX: (MIX_BUCKET,),
}
MAX_CREATE_SIZE = 2 + 2 + 512 + 32 + 64
JOIN_SIZE = 2 + 16 + 32 + BINDING_SIZE + 64
DECLINE_SIZE = 2 + 32
PEEK_SIZE = 2 + 16 + 64
UNLOCK_SIZE = 2 + 64 + 64
_REASON = re.compile(rb"[a-z0-9-]{1,40}")
MIN_EVENT_FRAME = 2 + 1 + 1 + 16 + 32 + 32 + 2 + 64
MAX_EVENT_SIZE = 32 * 1024  # one governance event (a REKEY to 256 members is ~26.8 KiB)
MAX_EVENT_FRAME = 2 + MAX_EVENT_SIZE


class Kind(IntEnum):
    """The second byte of every frame."""

    CREATE = 0x01
    JOIN = 0x02
    # 0x03 was END (owner capability) in protocol v1: rooms now end by a signed END_ROOM event.
    EVENT = 0x04
    DECLINE = 0x05
    PEEK = 0x06
    UNLOCK = 0x07
    ENVELOPE = 0x10
    CHALLENGE = 0x81
    WELCOME = 0x82
    CREATED = 0x83
    LEFT = 0x84
    PENDING = 0x85
    GOVERNANCE = 0x86
    KNOCK = 0x87
    REFUSED = 0x88
    INVITE_REQUIRED = 0x89
    AVAILABLE = 0x8A
    ACK = 0x8B
    LOCK_REQUIRED = 0x8C


CLIENT_KINDS = frozenset(
    {Kind.CREATE, Kind.JOIN, Kind.EVENT, Kind.DECLINE, Kind.PEEK, Kind.UNLOCK, Kind.ENVELOPE}
)


class CloseCode(IntEnum):
    """WebSocket close codes the relay uses (PROTOCOL §5.5)."""

    NORMAL = 1000
    # Not 1013: autobahn (daphne) sends only 1000 and 3000-4999, so 1013 never left the
    # server and the member sat on a socket that would not close.
    TRY_AGAIN_LATER = 4013  # the relay lost its Redis: nothing was refused, come back
    ROOM_ENDED = 4000
    ROOM_EXPIRED = 4001
    ROOM_UNAVAILABLE = 4004
    ROOM_FULL = 4009
    RATE_LIMITED = 4029
    TEXT_FRAME = 4100
    BAD_VERSION = 4101
    BAD_KIND = 4102
    BAD_SIZE = 4103
    MALFORMED = 4104
    UNEXPECTED_FRAME = 4105
    CREATE_REFUSED = 4107
    POLICY_REFUSED = 4108
    SLOW_READER = 4200
    KICKED = 4003
    ADMISSION_REFUSED = 4403


class FrameRejected(Exception):
    """A client frame the relay refuses; the connection closes with ``close_code``."""

    def __init__(self, close_code: CloseCode) -> None:
        super().__init__(close_code.name)
        self.close_code = close_code


def envelope_frame_sizes(mode: RoutingMode) -> frozenset[int]:
    """The sizes an envelope frame may have in a room of ``mode``."""
    return frozenset(bucket + ENVELOPE_OVERHEAD for bucket in BUCKETS[mode])


def classify_client_frame(frame: bytes, mode: RoutingMode | None) -> Kind:
    """Version, kind and size of a client frame, checked before anything else.

    ``mode`` is the room's routing mode once the socket is in a room, else None
    (then an envelope's size cannot be judged and the caller refuses it anyway).
    """
    if len(frame) < 2:
        raise FrameRejected(CloseCode.MALFORMED)
    if len(frame) > TRANSPORT_MAX_FRAME:
        raise FrameRejected(CloseCode.BAD_SIZE)
    if frame[0] != VERSION:
        raise FrameRejected(CloseCode.BAD_VERSION)
    try:
        kind = Kind(frame[1])
    except ValueError:
        raise FrameRejected(CloseCode.BAD_KIND) from None
    if kind not in CLIENT_KINDS:
        raise FrameRejected(CloseCode.BAD_KIND)
    size = len(frame)
    allowed = {
        Kind.CREATE: 4 <= size <= MAX_CREATE_SIZE,
        Kind.JOIN: size == JOIN_SIZE,
        Kind.EVENT: MIN_EVENT_FRAME <= size <= MAX_EVENT_FRAME,
        Kind.DECLINE: size == DECLINE_SIZE,
        Kind.PEEK: size == PEEK_SIZE,
        Kind.UNLOCK: size == UNLOCK_SIZE,
        Kind.ENVELOPE: mode is None or size in envelope_frame_sizes(mode),
    }[kind]
    if not allowed:
        raise FrameRejected(CloseCode.BAD_SIZE)
    return kind


def _prefix(kind: Kind) -> bytes:
    return u8(VERSION) + u8(kind)


def _body(frame: bytes, kind: Kind, error: str) -> Reader:
    if len(frame) < 2 or frame[0] != VERSION or frame[1] != kind:
        raise ProtocolError(error, f"not a {kind.name} frame")
    return Reader(frame[2:], error)


@dataclass(frozen=True, slots=True)
class CreateFrame:
    genesis: bytes
    server_shard: bytes
    join_signature: bytes

    def encode(self) -> bytes:
        return b"".join(
            (
                _prefix(Kind.CREATE),
                u16(len(self.genesis)),
                self.genesis,
                self.server_shard,
                self.join_signature,
            )
        )

    @classmethod
    def decode(cls, frame: bytes) -> CreateFrame:
        reader = _body(frame, Kind.CREATE, "malformed")
        genesis = reader.take(reader.u16())
        decoded = cls(genesis, reader.take(32), reader.take(64))
        reader.end()
        return decoded


@dataclass(frozen=True, slots=True)
class JoinFrame:
    """A link holder's proof for a fresh challenge, and the member keys it binds."""

    room_id: bytes
    ed_pk: bytes
    binding: Binding
    join_signature: bytes

    @property
    def x_pk(self) -> bytes:
        return self.binding.x_pk

    def encode(self) -> bytes:
        return b"".join(
            (
                _prefix(Kind.JOIN),
                self.room_id,
                self.ed_pk,
                self.binding.encode(),
                self.join_signature,
            )
        )

    @classmethod
    def decode(cls, frame: bytes) -> JoinFrame:
        reader = _body(frame, Kind.JOIN, "malformed")
        decoded = cls(reader.take(16), reader.take(32), Binding.read(reader), reader.take(64))
        reader.end()
        return decoded


@dataclass(frozen=True, slots=True)
class PeekFrame:
    """A link holder asks whether its room is there, without joining (PROTOCOL §5.2)."""

    room_id: bytes
    peek_signature: bytes

    def encode(self) -> bytes:
        return _prefix(Kind.PEEK) + self.room_id + self.peek_signature

    @classmethod
    def decode(cls, frame: bytes) -> PeekFrame:
        reader = _body(frame, Kind.PEEK, "malformed")
        decoded = cls(reader.take(16), reader.take(64))
        reader.end()
        return decoded


@dataclass(frozen=True, slots=True)
class ChallengeFrame:
    challenge: bytes
    server_time_ms: int

    def encode(self) -> bytes:
        return _prefix(Kind.CHALLENGE) + self.challenge + u64(self.server_time_ms)

    @classmethod
    def decode(cls, frame: bytes) -> ChallengeFrame:
        reader = _body(frame, Kind.CHALLENGE, "malformed")
        decoded = cls(reader.take(32), reader.u64())
        reader.end()
        return decoded


@dataclass(frozen=True, slots=True)
class WelcomeFrame:
    """The server shard and genesis; ``log_length`` GOVERNANCE frames follow."""

    server_shard: bytes
    genesis: bytes
    log_length: int = 0

    def encode(self) -> bytes:
        return (
            _prefix(Kind.WELCOME)
            + self.server_shard
            + u16(len(self.genesis))
            + self.genesis
            + u32(self.log_length)
        )

    @classmethod
    def decode(cls, frame: bytes) -> WelcomeFrame:
        reader = _body(frame, Kind.WELCOME, "malformed")
        shard = reader.take(32)
        genesis = reader.take(reader.u16())
        decoded = cls(shard, genesis, reader.u32())
        reader.end()
        return decoded


@dataclass(frozen=True, slots=True)
class EventFrame:
    """A governance event: appended by a client (EVENT) or relayed by the server (GOVERNANCE)."""

    event: bytes
    kind: Kind = Kind.EVENT

    def encode(self) -> bytes:
        return _prefix(self.kind) + self.event

    @classmethod
    def decode(cls, frame: bytes, kind: Kind = Kind.EVENT) -> EventFrame:
        return cls(_body(frame, kind, "malformed").rest(), kind)


@dataclass(frozen=True, slots=True)
class KnockFrame:
    """KNOCK (server): a newcomer waiting for an admin, with the binding its JOIN carried."""

    ed_pk: bytes
    binding: Binding

    def encode(self) -> bytes:
        return _prefix(Kind.KNOCK) + self.ed_pk + self.binding.encode()

    @classmethod
    def decode(cls, frame: bytes) -> KnockFrame:
        reader = _body(frame, Kind.KNOCK, "malformed")
        decoded = cls(reader.take(32), Binding.read(reader))
        reader.end()
        return decoded


@dataclass(frozen=True, slots=True)
class DeclineFrame:
    """DECLINE (client): an admin turns away the newcomer with this ed_pk."""

    ed_pk: bytes

    def encode(self) -> bytes:
        return _prefix(Kind.DECLINE) + self.ed_pk

    @classmethod
    def decode(cls, frame: bytes) -> DeclineFrame:
        reader = _body(frame, Kind.DECLINE, "malformed")
        decoded = cls(reader.take(32))
        reader.end()
        return decoded


@dataclass(frozen=True, slots=True)
class RefusedFrame:
    """An event the server would not append: why (a governance error code) and its head."""

    head: bytes
    reason: str

    def encode(self) -> bytes:
        return _prefix(Kind.REFUSED) + self.head + self.reason.encode("ascii")

    @classmethod
    def decode(cls, frame: bytes) -> RefusedFrame:
        """A reason that is not a plain error code becomes ``unknown``: no text a relay
        writes travels further than this decoder."""
        reader = _body(frame, Kind.REFUSED, "malformed")
        head, reason = reader.take(32), reader.rest()
        code = reason.decode("ascii") if _REASON.fullmatch(reason) else "unknown"
        return cls(head, code)


@dataclass(frozen=True, slots=True)
class UnlockFrame:
    """The Extra Lock key's and the member key's signatures over the socket's join proof
    (PROTOCOL §2.1): the second lets the relay tell a listed member coming back."""

    lock_signature: bytes
    member_signature: bytes

    def encode(self) -> bytes:
        return _prefix(Kind.UNLOCK) + self.lock_signature + self.member_signature

    @classmethod
    def decode(cls, frame: bytes) -> UnlockFrame:
        reader = _body(frame, Kind.UNLOCK, "malformed")
        decoded = cls(reader.take(64), reader.take(64))
        reader.end()
        return decoded


@dataclass(frozen=True, slots=True)
class LockRequiredFrame:
    """The room is locked: derive P with these parameters and send UNLOCK."""

    params: LockParams

    def encode(self) -> bytes:
        return _prefix(Kind.LOCK_REQUIRED) + self.params.encode()

    @classmethod
    def decode(cls, frame: bytes) -> LockRequiredFrame:
        reader = _body(frame, Kind.LOCK_REQUIRED, "malformed")
        decoded = cls(LockParams.read(reader))
        reader.end()
        return decoded


def head_frame(kind: Kind, head: bytes) -> bytes:
    """PENDING (no head) or INVITE_REQUIRED (the head to redeem on top of)."""
    return _prefix(kind) + head


@dataclass(frozen=True, slots=True)
class LeftFrame:
    ed_pk: bytes

    def encode(self) -> bytes:
        return _prefix(Kind.LEFT) + self.ed_pk

    @classmethod
    def decode(cls, frame: bytes) -> LeftFrame:
        reader = _body(frame, Kind.LEFT, "malformed")
        decoded = cls(reader.take(32))
        reader.end()
        return decoded


def available_frame() -> bytes:
    """AVAILABLE: the room a PEEK proved the link of is there; the relay then closes."""
    return _prefix(Kind.AVAILABLE)


def created_frame() -> bytes:
    """CREATED: the room exists and the creator is in it."""
    return _prefix(Kind.CREATED)


@dataclass(frozen=True, slots=True)
class AckFrame:
    """ACK: the relay fanned out the sender's envelope with this nonce (PROTOCOL §5.3)."""

    nonce: bytes

    @classmethod
    def for_envelope(cls, envelope: bytes) -> AckFrame:
        return cls(envelope[ENVELOPE_NONCE_OFFSET:ENVELOPE_HEADER_SIZE])

    def encode(self) -> bytes:
        return _prefix(Kind.ACK) + self.nonce

    @classmethod
    def decode(cls, frame: bytes) -> AckFrame:
        reader = _body(frame, Kind.ACK, "malformed")
        decoded = cls(reader.take(NONCE_SIZE))
        reader.end()
        return decoded
