"""Invite tickets as the log sees them: a public key and a redeem signature (PROTOCOL §8.4).

The server and the log only ever see the ticket's public key. Redeeming
proves knowledge of the secret with a signature that binds the redeemer's own
member keys, so a ticket proof cannot be lifted for someone else. The secret
and the signing side live on a participant's device (``atopos_client.tickets``).
"""

from __future__ import annotations

from atopos_protocol.codec import u64
from atopos_protocol.signatures import Prefix, verify_prefixed_cached


def redeem_body(room_id: bytes, member: bytes, x_pk: bytes, time_ms: int) -> bytes:
    return room_id + member + x_pk + u64(time_ms)


def redeem_valid(
    ticket_pk: bytes, signature: bytes, room_id: bytes, member: bytes, x_pk: bytes, time_ms: int
) -> bool:
    """True when ``signature`` proves the ticket for exactly this member."""
    body = redeem_body(room_id, member, x_pk, time_ms)
    return verify_prefixed_cached(ticket_pk, Prefix.TICKET, body, signature)
