"""The join and peek proofs: the auth key's signatures over a fresh challenge (PROTOCOL §5.2)."""

from __future__ import annotations

from atopos_protocol.codec import u8
from atopos_protocol.signatures import Prefix, SigningKey, verify_prefixed

CHALLENGE_SIZE = 32


def join_proof_body(
    origin: str, room_id: bytes, challenge: bytes, ed_pk: bytes, x_pk: bytes
) -> bytes:
    """origin_len ‖ origin ‖ room_id ‖ challenge ‖ ed_pk ‖ x_pk (signed after the prefix)."""
    return peek_proof_body(origin, room_id, challenge) + ed_pk + x_pk


def sign_join(
    auth: SigningKey, origin: str, room_id: bytes, challenge: bytes, ed_pk: bytes, x_pk: bytes
) -> bytes:
    """The join signature a member sends in JOIN or CREATE."""
    return auth.sign(Prefix.JOIN, join_proof_body(origin, room_id, challenge, ed_pk, x_pk))


def verify_join(
    auth_pk: bytes,
    signature: bytes,
    origin: str,
    room_id: bytes,
    challenge: bytes,
    ed_pk: bytes,
    x_pk: bytes,
) -> bool:
    """True if ``signature`` proves knowledge of the link for exactly these values."""
    body = join_proof_body(origin, room_id, challenge, ed_pk, x_pk)
    return verify_prefixed(auth_pk, Prefix.JOIN, body, signature)


def peek_proof_body(origin: str, room_id: bytes, challenge: bytes) -> bytes:
    """origin_len ‖ origin ‖ room_id ‖ challenge (signed after the PEEK prefix)."""
    raw_origin = origin.encode("ascii")
    if not 1 <= len(raw_origin) <= 255:
        raise ValueError("an origin is 1 to 255 ASCII characters")
    return u8(len(raw_origin)) + raw_origin + room_id + challenge


def sign_peek(auth: SigningKey, origin: str, room_id: bytes, challenge: bytes) -> bytes:
    """The peek signature: proves the link without offering member keys."""
    return auth.sign(Prefix.PEEK, peek_proof_body(origin, room_id, challenge))


def verify_peek(
    auth_pk: bytes, signature: bytes, origin: str, room_id: bytes, challenge: bytes
) -> bool:
    """True if ``signature`` proves knowledge of the link for exactly these values."""
    return verify_prefixed(
        auth_pk, Prefix.PEEK, peek_proof_body(origin, room_id, challenge), signature
    )


def sign_unlock(
    lock: SigningKey, origin: str, room_id: bytes, challenge: bytes, ed_pk: bytes, x_pk: bytes
) -> bytes:
    """The Extra Lock key's signature over the same join proof body (UNLOCK)."""
    return lock.sign(Prefix.UNLOCK, join_proof_body(origin, room_id, challenge, ed_pk, x_pk))


def verify_unlock(
    lock_pk: bytes,
    signature: bytes,
    origin: str,
    room_id: bytes,
    challenge: bytes,
    ed_pk: bytes,
    x_pk: bytes,
) -> bool:
    """True if ``signature`` proves the passphrase for exactly this join."""
    body = join_proof_body(origin, room_id, challenge, ed_pk, x_pk)
    return verify_prefixed(lock_pk, Prefix.UNLOCK, body, signature)
