"""What the fuzzer feeds: each target takes any bytes and may fail only in a documented way.

A target raises only when the code under it does something its contract does
not allow: a decoder may refuse input with ProtocolError or GovernanceError,
the relay's frame checks with FrameRejected (a close code), an HTTP route with
any 4xx; anything else (an IndexError, a struct error, a 500) is a bug and the
fuzzer keeps the input that found it. Fixed keys stand in for a room, so a
target can seal or sign what the fuzzer wrote and reach the parsers behind
the AEAD tag and the signature, where a member (not the relay) attacks.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable

import nacl.bindings as sodium

from atopos_client.envelope import AAD_PREFIX, open_envelope
from atopos_client.keys import EpochKeys
from atopos_protocol import VERSION
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import (
    BUCKETS,
    CLIENT_KINDS,
    CreateFrame,
    DeclineFrame,
    EventFrame,
    FrameRejected,
    JoinFrame,
    Kind,
    PeekFrame,
    classify_client_frame,
)
from atopos_protocol.genesis import Genesis
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.payloads import parse_payload
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.routing_modes import RoutingMode
from atopos_protocol.signatures import SigningKey
from atopos_site.tenancy.policy import RateLimits, TenantPolicy
from rooms.admission import (
    check_create,
    join_proof_valid,
    parse_join,
    parse_peek,
    peek_proof_valid,
)
from rooms.store import StoredRoom

Target = Callable[[bytes], None]

MODES = tuple(RoutingMode)
ROOM_ID = hashlib.blake2b(b"fuzz room", digest_size=16).digest()
EPOCH = EpochKeys.from_secret(hashlib.blake2b(b"fuzz epoch secret", digest_size=32).digest(), 0)
AUTHOR = SigningKey(hashlib.blake2b(b"fuzz author", digest_size=32).digest())
# The relay turns a ProtocolError from these decoders into a close code (rooms/admission.py);
# the others it decodes unguarded once the frame is classified.
WRAPPED = frozenset({Kind.CREATE, Kind.JOIN, Kind.PEEK})
DECODERS: dict[Kind, Callable[[bytes], object]] = {
    Kind.CREATE: CreateFrame.decode,
    Kind.JOIN: JoinFrame.decode,
    Kind.DECLINE: DeclineFrame.decode,
    Kind.PEEK: PeekFrame.decode,
    Kind.EVENT: EventFrame.decode,
}


def frames(data: bytes) -> None:
    """The relay's first look at a client frame, then the decoder for its kind."""
    if not data:
        return
    mode = (None, *MODES)[data[0] % (len(MODES) + 1)]
    frame = data[1:]
    try:
        kind = classify_client_frame(frame, mode)
    except FrameRejected:
        return
    if kind not in CLIENT_KINDS:
        raise AssertionError(f"classified a frame as {kind!r}, not a client kind")
    decoder = DECODERS.get(kind)
    if decoder is None:
        return
    if kind in WRAPPED:
        with contextlib.suppress(ProtocolError):
            decoder(frame)
    else:
        decoder(frame)  # the relay decodes these unguarded: classification must be enough


def envelope(data: bytes) -> None:
    """A member's envelope: any padded plaintext, sealed with the room's epoch key, opened."""
    if len(data) < 2:
        return
    mode = MODES[data[0] % len(MODES)]
    buckets = sorted(BUCKETS[mode])
    bucket = buckets[data[1] % len(buckets)]
    padded = data[2 : 2 + bucket].ljust(bucket, b"\0")
    nonce = hashlib.blake2b(data, digest_size=24).digest()
    header = bytes([VERSION, Kind.ENVELOPE]) + EPOCH.epoch_id + nonce
    sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        padded, AAD_PREFIX + ROOM_ID + header, nonce, EPOCH.msg_key
    )
    with contextlib.suppress(ProtocolError):
        open_envelope(header + sealed, ROOM_ID, mode, {EPOCH.epoch_id: EPOCH})


def governance(data: bytes) -> None:
    """A governance event as the relay and members read it, and a signed payload's parser."""
    with contextlib.suppress(GovernanceError):
        Event.decode(data)
    if not data:
        return
    kinds = list(EventKind)
    kind = kinds[data[0] % len(kinds)]
    event = Event.create(kind, ROOM_ID, bytes(32), AUTHOR, data[1:][:4096])
    with contextlib.suppress(GovernanceError):
        parse_payload(event)


def genesis(data: bytes) -> None:
    """The genesis a CREATE carries and a WELCOME hands every newcomer."""
    with contextlib.suppress(ProtocolError):
        Genesis.decode(data)


ORIGIN = "https://chat.example.org"
CHALLENGE = hashlib.blake2b(b"fuzz challenge", digest_size=32).digest()
POLICY = TenantPolicy(
    default_room_ttl_seconds=3600,
    max_room_ttl_seconds=86_400,
    max_members_per_room=50,
    routing_modes=frozenset(RoutingMode),
    default_join_rule=JoinRule.OPEN,
    rate_limits=RateLimits(messages_per_minute=120, joins_per_minute=30, rooms_per_hour=20),
)
NOW_SECONDS = 1_800_000_000
STORED = StoredRoom(
    genesis=b"",
    server_shard=bytes(32),
    auth_pk=AUTHOR.public_key,
    mode=RoutingMode.DIRECT,
    expires_at_ms=(NOW_SECONDS + 3600) * 1000,
    head=bytes(32),
)


def handshake(data: bytes) -> None:
    """The relay's admission rules on a CREATE, JOIN or PEEK, for a room that is there or not."""
    if not data:
        return
    frame = data[1:]
    room = (None, STORED)[data[0] & 1]
    try:
        if data[0] % 3 == 0:
            check_create(frame, ORIGIN, CHALLENGE, POLICY, NOW_SECONDS)
        elif data[0] % 3 == 1:
            join_proof_valid(parse_join(frame), room, ORIGIN, CHALLENGE)
        else:
            peek_proof_valid(parse_peek(frame), room, ORIGIN, CHALLENGE)
    except FrameRejected:
        pass


TARGETS: dict[str, Target] = {
    "handshake": handshake,
    "frames": frames,
    "envelope": envelope,
    "governance": governance,
    "genesis": genesis,
}
