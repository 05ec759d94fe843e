"""Strict Ed25519 (PROTOCOL §1.2) and the fixed prefixes of every signed message."""

from __future__ import annotations

from enum import Enum
from functools import lru_cache

import nacl.bindings
import nacl.exceptions
import nacl.signing


class Prefix(Enum):
    """What a signature is over; part of the signed bytes."""

    GENESIS = b"atopos/v2/genesis\0"
    JOIN = b"atopos/v2/join\0"
    PEEK = b"atopos/v2/peek\0"  # asks whether a room is there, without joining (PEEK)
    UNLOCK = b"atopos/v2/unlock\0"  # the Extra Lock key over a join proof (UNLOCK)
    EVENT = b"atopos/v2/event\0"
    TICKET = b"atopos/v2/ticket\0"
    MEMBER = b"atopos/v2/member\0"  # a member key pair bound to a room (atopos_protocol.binding)


def is_valid_point(encoded: bytes) -> bool:
    """Canonical, on the curve, not of small order, in the prime-order subgroup."""
    return len(encoded) == 32 and bool(nacl.bindings.crypto_core_ed25519_is_valid_point(encoded))


def strict_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True only for a signature valid under every rule of PROTOCOL §1.2."""
    if len(signature) != 64 or not is_valid_point(public_key):
        return False
    if not is_valid_point(signature[:32]):
        return False
    try:
        # libsodium also rejects a non-canonical S and checks the cofactorless equation.
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return False
    return True


def verify_prefixed(public_key: bytes, prefix: Prefix, body: bytes, signature: bytes) -> bool:
    """Strictly verify ``signature`` over ``prefix ‖ body``."""
    return strict_verify(public_key, prefix.value + body, signature)


@lru_cache(maxsize=8192)
def verify_prefixed_cached(
    public_key: bytes, prefix: Prefix, body: bytes, signature: bytes
) -> bool:
    """``verify_prefixed``, remembered: governance rules re-check the same bindings and
    tickets on every walk of a log, and a verdict never changes."""
    return verify_prefixed(public_key, prefix, body, signature)


class SigningKey:
    """An Ed25519 key pair made from a 32-byte seed."""

    def __init__(self, seed: bytes) -> None:
        self._key = nacl.signing.SigningKey(seed)
        self.public_key = bytes(self._key.verify_key)

    def sign(self, prefix: Prefix, body: bytes) -> bytes:
        """The 64-byte signature over ``prefix ‖ body``."""
        return bytes(self._key.sign(prefix.value + body).signature)
