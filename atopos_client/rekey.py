"""A new epoch after a kick, and handing the current epoch to a member who lacks it (PROTOCOL §8.6).

E' = KDF(R, "atopos1-epoch", E ‖ kick_id) for fresh random R: the kicked
member knows E but never R. R travels to each remaining member j as
XChaCha20-Poly1305 under

    k_j = BLAKE2b(key = X25519(e, X_j) ‖ X25519(x_admin, X_j), person = "atopos1-rekey",
                  msg = room_id ‖ epoch_id' ‖ e_pub ‖ X_admin ‖ X_j ‖ kick_id)

with e a fresh ephemeral key. A key share uses the same construction under
its own label, carries E itself, and names no kick.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.public

from atopos_client.keys import EpochKeys
from atopos_client.labels import ClientLabel
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.payloads import KeyShare, Rekey, RekeyEntry
from atopos_protocol.labels import kdf

NONCE_SIZE = 24


@dataclass(frozen=True, slots=True)
class Recipient:
    """A member to seal a secret to: its signing key names it, its X25519 key receives."""

    ed_pk: bytes
    x_pk: bytes


def _shared(secret: bytes, public: bytes) -> bytes:
    try:
        shared: bytes = nacl.bindings.crypto_scalarmult(secret, public)
    except (nacl.exceptions.RuntimeError, nacl.exceptions.CryptoError, ValueError):
        raise GovernanceError("bad-rekey", "unusable X25519 key") from None
    if not any(shared):
        raise GovernanceError("bad-rekey", "low-order X25519 key")
    return shared


def _x_public(secret: bytes) -> bytes:
    return bytes(nacl.public.PrivateKey(secret).public_key)


def _seal_key(
    label: ClientLabel,
    shared_ephemeral: bytes,
    shared_static: bytes,
    room_id: bytes,
    epoch_id: bytes,
    ephemeral_pk: bytes,
    sender_x_pk: bytes,
    recipient_x_pk: bytes,
    context: bytes,
) -> bytes:
    message = room_id + epoch_id + ephemeral_pk + sender_x_pk + recipient_x_pk + context
    return kdf(shared_ephemeral + shared_static, label, message)


def _aead_seal(key: bytes, nonce: bytes, aad: bytes, secret: bytes) -> bytes:
    sealed: bytes = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        secret, aad, nonce, key
    )
    return sealed


def _aead_open(key: bytes, nonce: bytes, aad: bytes, ciphertext: bytes) -> bytes:
    try:
        opened: bytes = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ciphertext, aad, nonce, key
        )
    except nacl.exceptions.CryptoError:
        raise GovernanceError("bad-rekey", "entry does not open") from None
    return opened


def next_epoch(current: EpochKeys, fresh: bytes, kick_id: bytes) -> EpochKeys:
    """E' from the fresh randomness R, the old epoch and the kick."""
    return EpochKeys.from_secret(
        kdf(fresh, ClientLabel.EPOCH, current.secret + kick_id), current.counter + 1
    )


def build_rekey(
    room_id: bytes,
    current: EpochKeys,
    kick_id: bytes,
    admin_x_secret: bytes,
    recipients: list[Recipient],
    fresh: bytes | None = None,
    ephemeral_secret: bytes | None = None,
    nonces: list[bytes] | None = None,
) -> tuple[Rekey, EpochKeys]:
    """The REKEY payload for ``recipients`` and the new epoch (random unless vectors fix it)."""
    fresh = os.urandom(32) if fresh is None else fresh
    ephemeral_secret = os.urandom(32) if ephemeral_secret is None else ephemeral_secret
    new = next_epoch(current, fresh, kick_id)
    ephemeral_pk, admin_x_pk = _x_public(ephemeral_secret), _x_public(admin_x_secret)
    entries = []
    for index, recipient in enumerate(recipients):
        key = _seal_key(
            ClientLabel.REKEY,
            _shared(ephemeral_secret, recipient.x_pk),
            _shared(admin_x_secret, recipient.x_pk),
            room_id,
            new.epoch_id,
            ephemeral_pk,
            admin_x_pk,
            recipient.x_pk,
            kick_id,
        )
        nonce = os.urandom(NONCE_SIZE) if nonces is None else nonces[index]
        aad = room_id + recipient.ed_pk
        entries.append(RekeyEntry(recipient.ed_pk, nonce, _aead_seal(key, nonce, aad, fresh)))
    payload = Rekey(kick_id, new.counter, new.confirm, ephemeral_pk, admin_x_pk, tuple(entries))
    return payload, new


def open_rekey(
    payload: Rekey, room_id: bytes, current: EpochKeys, my_ed_pk: bytes, my_x_secret: bytes
) -> EpochKeys:
    """The new epoch, if this member is a recipient and the bundle checks out."""
    entry = next((e for e in payload.entries if e.recipient == my_ed_pk), None)
    if entry is None:
        raise GovernanceError("not-a-recipient")
    if payload.counter != current.counter + 1:
        raise GovernanceError("wrong-epoch")
    epoch_id = payload.counter.to_bytes(4, "big") + payload.confirm[:8]
    my_x_pk = _x_public(my_x_secret)
    key = _seal_key(
        ClientLabel.REKEY,
        _shared(my_x_secret, payload.ephemeral_pk),
        _shared(my_x_secret, payload.admin_x_pk),
        room_id,
        epoch_id,
        payload.ephemeral_pk,
        payload.admin_x_pk,
        my_x_pk,
        payload.kick_id,
    )
    fresh = _aead_open(key, entry.nonce, room_id + my_ed_pk, entry.ciphertext)
    new = next_epoch(current, fresh, payload.kick_id)
    if new.confirm != payload.confirm:
        raise GovernanceError("confirm-mismatch")
    return new


def build_keyshare(
    room_id: bytes,
    current: EpochKeys,
    sharer_x_secret: bytes,
    recipient: Recipient,
    ephemeral_secret: bytes | None = None,
    nonce: bytes | None = None,
) -> KeyShare:
    """A KEYSHARE payload giving ``recipient`` the current epoch secret."""
    ephemeral_secret = os.urandom(32) if ephemeral_secret is None else ephemeral_secret
    nonce = os.urandom(NONCE_SIZE) if nonce is None else nonce
    ephemeral_pk, sharer_x_pk = _x_public(ephemeral_secret), _x_public(sharer_x_secret)
    key = _seal_key(
        ClientLabel.KEYSHARE,
        _shared(ephemeral_secret, recipient.x_pk),
        _shared(sharer_x_secret, recipient.x_pk),
        room_id,
        current.epoch_id,
        ephemeral_pk,
        sharer_x_pk,
        recipient.x_pk,
        recipient.ed_pk,
    )
    sealed = _aead_seal(key, nonce, room_id + recipient.ed_pk, current.secret)
    return KeyShare(
        recipient.ed_pk, recipient.x_pk, current.counter, ephemeral_pk, sharer_x_pk, nonce, sealed
    )


def open_keyshare(
    payload: KeyShare, room_id: bytes, my_ed_pk: bytes, my_x_secret: bytes, confirm: bytes
) -> EpochKeys:
    """The epoch a key share carries, checked against the confirm value its REKEY published."""
    if payload.recipient != my_ed_pk:
        raise GovernanceError("not-a-recipient")
    epoch_id = payload.counter.to_bytes(4, "big") + confirm[:8]
    key = _seal_key(
        ClientLabel.KEYSHARE,
        _shared(my_x_secret, payload.ephemeral_pk),
        _shared(my_x_secret, payload.sharer_x_pk),
        room_id,
        epoch_id,
        payload.ephemeral_pk,
        payload.sharer_x_pk,
        _x_public(my_x_secret),
        my_ed_pk,
    )
    epoch = EpochKeys.from_secret(
        _aead_open(key, payload.nonce, room_id + my_ed_pk, payload.ciphertext), payload.counter
    )
    if epoch.confirm != confirm:
        raise GovernanceError("confirm-mismatch")
    return epoch
