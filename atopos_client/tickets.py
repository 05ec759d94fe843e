"""Invite tickets on a participant's device: the secret in an invite link and its key pair.

The secret never leaves the device; the log holds only the ticket's public
key, and the relay checks redeem signatures with ``atopos_protocol.governance.tickets``.
"""

from __future__ import annotations

from atopos_client.labels import ClientLabel
from atopos_protocol.governance.tickets import redeem_body
from atopos_protocol.labels import kdf
from atopos_protocol.signatures import Prefix, SigningKey


def ticket_key(secret: bytes) -> SigningKey:
    """The ticket's key pair, from the 32-byte secret in the invite link."""
    if len(secret) != 32:
        raise ValueError("a ticket secret is 32 bytes")
    return SigningKey(kdf(secret, ClientLabel.TICKET))


def sign_redeem(secret: bytes, room_id: bytes, member: bytes, x_pk: bytes, time_ms: int) -> bytes:
    """The ticket's signature over the redeemer's keys."""
    return ticket_key(secret).sign(Prefix.TICKET, redeem_body(room_id, member, x_pk, time_ms))
