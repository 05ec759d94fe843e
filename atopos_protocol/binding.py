"""A member's key binding: which X25519 key receives a member's re-keys (PROTOCOL §5.2, §8.2).

A member key pair (Ed25519 ``ed_pk`` to sign, X25519 ``x_pk`` to receive
new epochs) is bound to a room by two signatures over the same message

    "atopos/v2/member\\0" ‖ room_id ‖ ed_pk ‖ x_pk

- ``member_sig`` by ``ed_pk`` itself: nobody else can bind another X25519
  key to someone's signing key, so a re-key sealed to a bound key reaches the
  member who signs with ``ed_pk`` and nobody else;
- ``link_sig`` by the room's ``auth`` key: only a link holder can make it, so
  a relay cannot invent a newcomer (a KNOCK) for keys it controls.

Clients seal re-keys and key shares only to keys a binding in the signed
log names (genesis, ADMIT, REDEEM, BIND); a hello can no longer change them.
Server-safe: signature checks only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import nacl.bindings
import nacl.exceptions

from atopos_protocol.codec import Reader
from atopos_protocol.signatures import (
    Prefix,
    SigningKey,
    is_valid_point,
    verify_prefixed_cached,
)

BINDING_SIZE = 32 + 64 + 64


# Any fixed scalar: X25519 with a low-order point gives all zeros whatever the scalar.
_PROBE_SCALAR = bytes(range(1, 33))


@lru_cache(maxsize=4096)
def x25519_usable(x_pk: bytes) -> bool:
    """Not a low-order point: a re-key sealed to it would carry no secret (and fail)."""
    if len(x_pk) != 32:
        return False
    try:
        shared: bytes = nacl.bindings.crypto_scalarmult(_PROBE_SCALAR, x_pk)
    except (nacl.exceptions.RuntimeError, nacl.exceptions.CryptoError, ValueError):
        return False
    return any(shared)


def binding_message(room_id: bytes, ed_pk: bytes, x_pk: bytes) -> bytes:
    """What both signatures of a binding cover (after the MEMBER prefix)."""
    return room_id + ed_pk + x_pk


def sign_member(signer: SigningKey, room_id: bytes, x_pk: bytes) -> bytes:
    """``signer``'s own signature binding ``x_pk`` to it in ``room_id``."""
    return signer.sign(Prefix.MEMBER, binding_message(room_id, signer.public_key, x_pk))


def sign_link(auth: SigningKey, room_id: bytes, ed_pk: bytes, x_pk: bytes) -> bytes:
    """The room auth key's signature: a link holder vouches for this key pair."""
    return auth.sign(Prefix.MEMBER, binding_message(room_id, ed_pk, x_pk))


def link_sig_valid(auth_pk: bytes, room_id: bytes, ed_pk: bytes, x_pk: bytes, sig: bytes) -> bool:
    """True when the room's auth key signed this key pair."""
    return verify_prefixed_cached(
        auth_pk, Prefix.MEMBER, binding_message(room_id, ed_pk, x_pk), sig
    )


@dataclass(frozen=True, slots=True)
class Binding:
    """``x_pk ‖ member_sig ‖ link_sig``: a member's X25519 key, vouched for twice."""

    x_pk: bytes
    member_sig: bytes
    link_sig: bytes

    def encode(self) -> bytes:
        return self.x_pk + self.member_sig + self.link_sig

    @classmethod
    def read(cls, reader: Reader) -> Binding:
        return cls(reader.take(32), reader.take(64), reader.take(64))

    @classmethod
    def make(cls, signer: SigningKey, auth: SigningKey, room_id: bytes, x_pk: bytes) -> Binding:
        """The binding a member presents when it joins."""
        return cls(
            x_pk,
            sign_member(signer, room_id, x_pk),
            sign_link(auth, room_id, signer.public_key, x_pk),
        )

    def valid(self, room_id: bytes, auth_pk: bytes, ed_pk: bytes) -> bool:
        """Both signatures verify strictly and both keys are usable points."""
        if not is_valid_point(ed_pk) or not x25519_usable(self.x_pk):
            return False
        message = binding_message(room_id, ed_pk, self.x_pk)
        return verify_prefixed_cached(ed_pk, Prefix.MEMBER, message, self.member_sig) and (
            verify_prefixed_cached(auth_pk, Prefix.MEMBER, message, self.link_sig)
        )
