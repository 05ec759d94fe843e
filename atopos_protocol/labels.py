"""Derivation labels (PROTOCOL §1.1) and the one KDF that uses them.

PROTOCOL §1.1 is one table: no label serves two purposes. It lives in three
enums so that each side holds only its own: ``Label`` here (what both the
relay and participants hash), ``atopos_client.labels.ClientLabel`` (key
material only a participant derives) and ``rooms.server_keys.ServerLabel``
(the server's own keys). tests/protocol/test_labels.py holds the three
to one table without repeats.
"""

from __future__ import annotations

from enum import Enum

import nacl.encoding
import nacl.hash


class DerivationLabel(Enum):
    """A label's value is ASCII, NUL-padded to 16 bytes on use."""

    @property
    def personal(self) -> bytes:
        """The 16-byte BLAKE2b personalisation."""
        raw = str(self.value).encode("ascii")
        if len(raw) > 16:
            raise AssertionError(f"label {self.value} is longer than 16 bytes")
        return raw.ljust(16, b"\0")


class Label(DerivationLabel):
    """Labels of public values that the relay and every participant compute alike."""

    RID = "atopos1-rid"
    GENESIS = "atopos1-genesis"
    EVENT = "atopos1-event"
    STATE = "atopos1-state"
    RETIRED_OWNERCAP = "atopos1-ownercap"  # protocol v1 only: never to be reused


_SALT = bytes(16)


def kdf(key: bytes, label: DerivationLabel, message: bytes = b"", size: int = 32) -> bytes:
    """BLAKE2b(message, key, personal=label, salt=0^16, digest_size=size)."""
    if not 1 <= len(key) <= 64:
        raise ValueError("a KDF key is 1 to 64 bytes")
    return _blake2b(message, key, label, size)


def unkeyed_hash(label: DerivationLabel, message: bytes, size: int = 32) -> bytes:
    """BLAKE2b(message, personal=label, salt=0^16, digest_size=size), without a key."""
    return _blake2b(message, b"", label, size)


def _blake2b(message: bytes, key: bytes, label: DerivationLabel, size: int) -> bytes:
    digest: bytes = nacl.hash.blake2b(
        message,
        digest_size=size,
        key=key,
        salt=_SALT,
        person=label.personal,
        encoder=nacl.encoding.RawEncoder,
    )
    return digest
