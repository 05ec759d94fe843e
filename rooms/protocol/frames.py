"""WebSocket frames, sizes and close codes (PROTOCOL §4.3, §5).

Everything here is safe for the server: it encodes and checks the shape of
frames, and never touches a key that decrypts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from rooms.protocol import VERSION
from rooms.protocol.codec import Reader, u8, u16, u32, u64
from rooms.protocol.errors import ProtocolError
from rooms.routing_modes import RoutingMode

TRANSPORT_MAX_FRAME = 64 * 1024
ENVELOPE_HEADER_SIZE = 2 + 12 + 24
TAG_SIZE = 16
ENVELOPE_OVERHEAD = ENVELOPE_HEADER_SIZE + TAG_SIZE
MIX_BUCKET = 1024
BUCKETS: dict[RoutingMode, tuple[int, ...]] = {
    RoutingMode.DIRECT: (256, 1024, 4096, 16384),
    RoutingMode.TOR: (256, 1024, 4096, 16384),
    RoutingMode.MIX: (MIX_BUCKET,),
}
MAX_CREATE_SIZE = 2 + 2 + 512 + 32 + 32 + 64
JOIN_SIZE = 2 + 16 + 32 + 32 + 64
END_SIZE = 2 + 32
DECLINE_SIZE = 2 + 32
MIN_EVENT_FRAME = 2 + 1 + 1 + 16 + 32 + 32 + 2 + 64


class Kind(IntEnum):
    """The second byte of every frame."""

    CREATE = 0x01
    JOIN = 0x02
    END = 0x03
    EVENT = 0x04
    DECLINE = 0x05
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


CLIENT_KINDS = frozenset(
    {Kind.CREATE, Kind.JOIN, Kind.END, Kind.EVENT, Kind.DECLINE, Kind.ENVELOPE}
)


class CloseCode(IntEnum):
    """WebSocket close codes the relay uses (PROTOCOL §5.5)."""

    NORMAL = 1000
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
    NOT_OWNER = 4110
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
        Kind.END: size == END_SIZE,
        Kind.EVENT: MIN_EVENT_FRAME <= size <= TRANSPORT_MAX_FRAME,
        Kind.DECLINE: size == DECLINE_SIZE,
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
    owner_capability_hash: bytes
    join_signature: bytes

    def encode(self) -> bytes:
        return b"".join(
            (
                _prefix(Kind.CREATE),
                u16(len(self.genesis)),
                self.genesis,
                self.server_shard,
                self.owner_capability_hash,
                self.join_signature,
            )
        )

    @classmethod
    def decode(cls, frame: bytes) -> CreateFrame:
        reader = _body(frame, Kind.CREATE, "malformed")
        genesis = reader.take(reader.u16())
        decoded = cls(genesis, reader.take(32), reader.take(32), reader.take(64))
        reader.end()
        return decoded


@dataclass(frozen=True, slots=True)
class JoinFrame:
    room_id: bytes
    ed_pk: bytes
    x_pk: bytes
    join_signature: bytes

    def encode(self) -> bytes:
        return _prefix(Kind.JOIN) + self.room_id + self.ed_pk + self.x_pk + self.join_signature

    @classmethod
    def decode(cls, frame: bytes) -> JoinFrame:
        reader = _body(frame, Kind.JOIN, "malformed")
        decoded = cls(reader.take(16), reader.take(32), reader.take(32), reader.take(64))
        reader.end()
        return decoded


@dataclass(frozen=True, slots=True)
class EndFrame:
    owner_capability: bytes

    def encode(self) -> bytes:
        return _prefix(Kind.END) + self.owner_capability

    @classmethod
    def decode(cls, frame: bytes) -> EndFrame:
        reader = _body(frame, Kind.END, "malformed")
        decoded = cls(reader.take(32))
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
class KeyFrame:
    """KNOCK (server: ed_pk ‖ x_pk of a newcomer) and DECLINE (client: the newcomer's ed_pk)."""

    kind: Kind
    ed_pk: bytes
    x_pk: bytes = b""

    def encode(self) -> bytes:
        return _prefix(self.kind) + self.ed_pk + self.x_pk

    @classmethod
    def decode(cls, frame: bytes, kind: Kind) -> KeyFrame:
        reader = _body(frame, kind, "malformed")
        ed_pk = reader.take(32)
        x_pk = reader.take(32) if kind is Kind.KNOCK else b""
        reader.end()
        return cls(kind, ed_pk, x_pk)


@dataclass(frozen=True, slots=True)
class RefusedFrame:
    """An event the server would not append: why (a governance error code) and its head."""

    head: bytes
    reason: str

    def encode(self) -> bytes:
        return _prefix(Kind.REFUSED) + self.head + self.reason.encode("ascii")

    @classmethod
    def decode(cls, frame: bytes) -> RefusedFrame:
        reader = _body(frame, Kind.REFUSED, "malformed")
        return cls(reader.take(32), reader.rest().decode("ascii", errors="replace"))


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


def created_frame() -> bytes:
    """CREATED: the room exists and the creator is in it."""
    return _prefix(Kind.CREATED)
