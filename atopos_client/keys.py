"""A participant's key material: from the link shard to epoch keys (PROTOCOL §2, §4.1).

Only a participant's device runs this: the server holds V and auth_pk and
checks room ids with ``atopos_protocol.room_id``; the import contracts in
pyproject.toml keep every server package away from this one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import nacl.public

from atopos_client.labels import ClientLabel
from atopos_protocol.codec import u32
from atopos_protocol.labels import kdf
from atopos_protocol.room_id import room_id_for
from atopos_protocol.signatures import SigningKey

SHARD_SIZE = 32
EPOCH_ID_SIZE = 12


@dataclass(frozen=True, slots=True)
class LinkKeys:
    """Everything a link holder derives from the link shard L alone."""

    link_shard: bytes
    room_id: bytes
    auth_seed: bytes
    auth_pk: bytes
    pwsalt: bytes

    def vcommit(self, server_shard: bytes) -> bytes:
        """The link holder's MAC of the server shard V, kept in the genesis."""
        return kdf(self.link_shard, ClientLabel.VCOMMIT, server_shard)

    def auth_key(self) -> SigningKey:
        """The room's auth key pair, which signs join proofs and the genesis."""
        return SigningKey(self.auth_seed)


def derive_link_keys(link_shard: bytes) -> LinkKeys:
    """Room id, auth key pair and Argon2id salt from L. Extra Lock's key comes from L and P
    (atopos_client.extra_lock): the room id must be found before anyone asks for P."""
    if len(link_shard) != SHARD_SIZE:
        raise ValueError("the link shard is 32 bytes")
    auth_seed = kdf(link_shard, ClientLabel.AUTH)
    auth_pk = SigningKey(auth_seed).public_key
    return LinkKeys(
        link_shard=link_shard,
        room_id=room_id_for(auth_pk),
        auth_seed=auth_seed,
        auth_pk=auth_pk,
        pwsalt=kdf(link_shard, ClientLabel.PWSALT, size=16),
    )


def room_secret(
    link_shard: bytes, server_shard: bytes, genesis_hash: bytes, passphrase_shard: bytes = b""
) -> bytes:
    """S = KDF(L, atopos1-secret, V ‖ P ‖ g): the keyed shard combiner."""
    if len(server_shard) != SHARD_SIZE or len(genesis_hash) != 16:
        raise ValueError("V is 32 bytes and g is 16")
    return kdf(link_shard, ClientLabel.SECRET, server_shard + passphrase_shard + genesis_hash)


@dataclass(frozen=True, slots=True)
class EpochKeys:
    """The keys of one epoch, all derived from its secret E."""

    counter: int
    secret: bytes
    msg_key: bytes
    confirm: bytes
    bind_key: bytes
    kcv: bytes

    @classmethod
    def from_secret(cls, secret: bytes, counter: int) -> EpochKeys:
        """Derive msg, confirm, bind and kcv from E."""
        return cls(
            counter=counter,
            secret=secret,
            msg_key=kdf(secret, ClientLabel.MSG),
            confirm=kdf(secret, ClientLabel.CONFIRM),
            bind_key=kdf(secret, ClientLabel.BIND),
            kcv=kdf(secret, ClientLabel.KCV, size=16),
        )

    @property
    def epoch_id(self) -> bytes:
        """counter (u32) ‖ confirm[0:8]: two branches may both reach the same counter."""
        return u32(self.counter) + self.confirm[:8]

    def bind_tag(self, room_id: bytes, ed_pk: bytes, x_pk: bytes) -> bytes:
        """A member's bind tag: only holders of E can make it."""
        return kdf(self.bind_key, ClientLabel.BINDTAG, room_id + ed_pk + x_pk)


def first_epoch(room_secret_value: bytes) -> EpochKeys:
    """Epoch 0, from the room secret S."""
    return EpochKeys.from_secret(kdf(room_secret_value, ClientLabel.EPOCH0), 0)


@dataclass(frozen=True, slots=True)
class MemberKeys:
    """A member's fresh per-room, per-tab keys: Ed25519 to sign, X25519 to receive re-keys."""

    ed_seed: bytes
    x_secret: bytes

    @classmethod
    def generate(cls) -> MemberKeys:
        """New random keys."""
        return cls(ed_seed=os.urandom(32), x_secret=os.urandom(32))

    @property
    def signing_key(self) -> SigningKey:
        return SigningKey(self.ed_seed)

    @property
    def ed_pk(self) -> bytes:
        return self.signing_key.public_key

    @property
    def x_pk(self) -> bytes:
        return bytes(nacl.public.PrivateKey(self.x_secret).public_key)
