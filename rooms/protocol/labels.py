"""The derivation label table (PROTOCOL §1.1) and the one KDF that uses it."""

from __future__ import annotations

from enum import Enum

import nacl.encoding
import nacl.hash


class Label(Enum):
    """Each label has one purpose; values are ASCII, NUL-padded to 16 bytes on use."""

    RID = "atopos1-rid"
    AUTH = "atopos1-auth"
    VCOMMIT = "atopos1-vcommit"
    PWSALT = "atopos1-pwsalt"
    GENESIS = "atopos1-genesis"
    EVENT = "atopos1-event"
    SECRET = "atopos1-secret"  # noqa: S105 -- a label, not a secret  # nosec B105
    EPOCH0 = "atopos1-epoch0"
    MSG = "atopos1-msg"
    CONFIRM = "atopos1-confirm"
    BIND = "atopos1-bind"
    BINDTAG = "atopos1-bindtag"
    KCV = "atopos1-kcv"
    STATE = "atopos1-state"
    TICKET = "atopos1-ticket"
    EPOCH = "atopos1-epoch"
    REKEY = "atopos1-rekey"
    KEYSHARE = "atopos1-keyshare"
    RETIRED_OWNERCAP = "atopos1-ownercap"  # protocol v1 only: never to be reused
    # Server-only: never on the wire, listed so that no label is reused.
    SERVER = "atopos1-server"
    TOMBKEY = "atopos1-tombkey"
    TOMB = "atopos1-tomb"
    RLDAY = "atopos1-rlday"
    CLIENT = "atopos1-client"

    @property
    def personal(self) -> bytes:
        """The 16-byte BLAKE2b personalisation."""
        raw = self.value.encode("ascii")
        if len(raw) > 16:
            raise AssertionError(f"label {self.value} is longer than 16 bytes")
        return raw.ljust(16, b"\0")


_SALT = bytes(16)


def kdf(key: bytes, label: Label, message: bytes = b"", size: int = 32) -> bytes:
    """BLAKE2b(message, key, personal=label, salt=0^16, digest_size=size)."""
    if not 1 <= len(key) <= 64:
        raise ValueError("a KDF key is 1 to 64 bytes")
    return _blake2b(message, key, label, size)


def unkeyed_hash(label: Label, message: bytes, size: int = 32) -> bytes:
    """BLAKE2b(message, personal=label, salt=0^16, digest_size=size), without a key."""
    return _blake2b(message, b"", label, size)


def _blake2b(message: bytes, key: bytes, label: Label, size: int) -> bytes:
    digest: bytes = nacl.hash.blake2b(
        message,
        digest_size=size,
        key=key,
        salt=_SALT,
        person=label.personal,
        encoder=nacl.encoding.RawEncoder,
    )
    return digest
