"""Sealing and opening envelopes (PROTOCOL §4.2-4.4). Client-side only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions

from atopos_client.keys import EPOCH_ID_SIZE, EpochKeys
from atopos_client.messages import PLAINTEXT_HEADER_SIZE, InnerKind, check_body
from atopos_protocol import VERSION
from atopos_protocol.codec import Reader, u8, u32, u64
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import BUCKETS, ENVELOPE_HEADER_SIZE, NONCE_SIZE, TAG_SIZE, Kind
from atopos_protocol.routing_modes import RoutingMode

AAD_PREFIX = b"atopos/v2"


@dataclass(frozen=True, slots=True)
class Plaintext:
    """The inside of an envelope."""

    inner_kind: InnerKind
    sender: bytes
    seq: int
    head: bytes
    time_ms: int
    body: bytes

    def encode(self) -> bytes:
        """Header and body, unpadded."""
        return b"".join(
            (
                u8(self.inner_kind),
                self.sender,
                u64(self.seq),
                self.head,
                u64(self.time_ms),
                u32(len(self.body)),
                self.body,
            )
        )


def pick_bucket(length: int, mode: RoutingMode) -> int:
    """The smallest bucket of ``mode`` that holds ``length`` plaintext bytes."""
    for bucket in BUCKETS[mode]:
        if length <= bucket:
            return bucket
    raise ValueError(f"{length} bytes do not fit any bucket of {mode.value} mode")


def _aad(room_id: bytes, header: bytes) -> bytes:
    return AAD_PREFIX + room_id + header


def seal(
    epoch: EpochKeys,
    room_id: bytes,
    plaintext: Plaintext,
    mode: RoutingMode,
    nonce: bytes | None = None,
) -> bytes:
    """An envelope frame; ``nonce`` is random unless a test vector fixes it."""
    inner = plaintext.encode()
    padded = inner.ljust(pick_bucket(len(inner), mode), b"\0")
    nonce = os.urandom(NONCE_SIZE) if nonce is None else nonce
    header = u8(VERSION) + u8(Kind.ENVELOPE) + epoch.epoch_id + nonce
    ciphertext: bytes = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        padded, _aad(room_id, header), nonce, epoch.msg_key
    )
    return header + ciphertext


def open_envelope(
    frame: bytes, room_id: bytes, mode: RoutingMode, epochs: Mapping[bytes, EpochKeys]
) -> tuple[EpochKeys, Plaintext]:
    """The epoch and plaintext of ``frame``, or ProtocolError with the first failed check."""
    if len(frame) < ENVELOPE_HEADER_SIZE + TAG_SIZE:
        raise ProtocolError("truncated")
    if frame[0] != VERSION:
        raise ProtocolError("bad-version")
    if frame[1] != Kind.ENVELOPE:
        raise ProtocolError("bad-kind")
    header, ciphertext = frame[:ENVELOPE_HEADER_SIZE], frame[ENVELOPE_HEADER_SIZE:]
    if len(ciphertext) - TAG_SIZE not in BUCKETS[mode]:
        raise ProtocolError("bad-size")
    epoch = epochs.get(header[2 : 2 + EPOCH_ID_SIZE])
    if epoch is None:
        raise ProtocolError("unknown-epoch")
    nonce = header[2 + EPOCH_ID_SIZE :]
    try:
        padded: bytes = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ciphertext, _aad(room_id, header), nonce, epoch.msg_key
        )
    except nacl.exceptions.CryptoError:
        raise ProtocolError("bad-tag") from None
    return epoch, _parse_plaintext(padded, mode)


def _parse_plaintext(padded: bytes, mode: RoutingMode) -> Plaintext:
    reader = Reader(padded, "bad-length")
    kind_code = reader.u8()
    try:
        kind = InnerKind(kind_code)
    except ValueError:
        raise ProtocolError("bad-inner-kind") from None
    sender, seq, head, time_ms = reader.take(32), reader.u64(), reader.take(32), reader.u64()
    body_len = reader.u32()
    if body_len > len(padded) - PLAINTEXT_HEADER_SIZE:
        raise ProtocolError("bad-length", "body overruns the bucket")
    body = reader.take(body_len)
    check_body(kind, body, mode, seq, time_ms)
    if any(reader.rest()):
        raise ProtocolError("bad-padding")
    return Plaintext(kind, sender, seq, head, time_ms, body)
