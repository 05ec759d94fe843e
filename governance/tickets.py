"""Invite tickets: a secret in the invite link, a key pair derived from it (PROTOCOL §8.4).

The server and the log only ever see the ticket's public key. Redeeming
proves knowledge of the secret with a signature that binds the redeemer's own
member keys, so a ticket proof cannot be lifted for someone else.
"""

from __future__ import annotations

from rooms.protocol.codec import u64
from rooms.protocol.labels import Label, kdf
from rooms.protocol.signatures import Prefix, SigningKey, verify_prefixed_cached


def ticket_key(secret: bytes) -> SigningKey:
    """The ticket's key pair, from the 32-byte secret in the invite link."""
    if len(secret) != 32:
        raise ValueError("a ticket secret is 32 bytes")
    return SigningKey(kdf(secret, Label.TICKET))


def redeem_body(room_id: bytes, member: bytes, x_pk: bytes, time_ms: int) -> bytes:
    return room_id + member + x_pk + u64(time_ms)


def sign_redeem(secret: bytes, room_id: bytes, member: bytes, x_pk: bytes, time_ms: int) -> bytes:
    """The ticket's signature over the redeemer's keys."""
    return ticket_key(secret).sign(Prefix.TICKET, redeem_body(room_id, member, x_pk, time_ms))


def redeem_valid(
    ticket_pk: bytes, signature: bytes, room_id: bytes, member: bytes, x_pk: bytes, time_ms: int
) -> bool:
    """True when ``signature`` proves the ticket for exactly this member."""
    body = redeem_body(room_id, member, x_pk, time_ms)
    return verify_prefixed_cached(ticket_pk, Prefix.TICKET, body, signature)
