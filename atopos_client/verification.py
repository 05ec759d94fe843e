"""A client's checks of what the relay hands it against the link (PROTOCOL §3)."""

from __future__ import annotations

import hmac

from atopos_client.keys import LinkKeys
from atopos_protocol.errors import ProtocolError
from atopos_protocol.extra_lock import LockParams
from atopos_protocol.genesis import Genesis

# The parameters a relay's LOCK_REQUIRED named on this socket, and the lock key our P
# gives under them; None when the relay asked for no passphrase.
Asked = tuple[LockParams, bytes]


def verify_genesis_for_link(
    genesis_raw: bytes,
    server_shard: bytes,
    link_keys: LinkKeys,
    genesis_hash: bytes,
    origin: str,
    now_seconds: int,
    asked: Asked | None = None,
) -> Genesis:
    """The genesis, if it and V match the link; else ProtocolError with the first failure.

    ``asked`` is what the relay's LOCK_REQUIRED named on this socket and the lock key our
    passphrase gave under it: a genesis is locked exactly when the relay asked, with the
    same parameters, and its lock key is ours.
    """
    genesis = Genesis.decode(genesis_raw)
    body = genesis.body
    if not hmac.compare_digest(genesis.genesis_hash, genesis_hash):
        raise ProtocolError("genesis-hash-mismatch")
    if body.room_id != link_keys.room_id:
        raise ProtocolError("genesis-room-mismatch")
    if body.auth_pk != link_keys.auth_pk:
        raise ProtocolError("genesis-auth-mismatch")
    if not genesis.signatures_valid():
        raise ProtocolError("genesis-bad-signature")
    if body.origin != origin:
        raise ProtocolError("genesis-origin-mismatch")
    if len(server_shard) != 32 or not hmac.compare_digest(
        link_keys.vcommit(server_shard), body.vcommit
    ):
        raise ProtocolError("shard-mismatch")
    if (body.lock is None) != (asked is None):
        raise ProtocolError("lock-mismatch")
    if body.lock is not None and asked is not None:
        params, lock_pk = asked
        if params != body.lock.params:
            raise ProtocolError("lock-mismatch")
        if not hmac.compare_digest(lock_pk, body.lock.lock_pk):
            raise ProtocolError("wrong-passphrase")
    if body.expires_at <= now_seconds:
        raise ProtocolError("genesis-expired")
    return genesis
