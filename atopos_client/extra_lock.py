"""Extra Lock on a participant's device: passphrase to shard P, P to the lock key (PROTOCOL §2.1).

The passphrase never leaves this module's caller: only the lock key's
signature over a join challenge goes to the relay.
"""

from __future__ import annotations

import unicodedata

import nacl.pwhash

from atopos_client.labels import ClientLabel
from atopos_protocol.extra_lock import LockParams
from atopos_protocol.labels import kdf
from atopos_protocol.signatures import SigningKey

SHARD_SIZE = 32
MIN_PASSPHRASE_CHARACTERS = 8
# What a new room asks for (the browser's DEFAULT_LOCK_PARAMS too): docs/PERFORMANCE.md
# ("Extra Lock") measures it in Chromium with and without its JIT.
DEFAULT_LOCK_PARAMS = LockParams(memory_kib=12288, passes=1)


# Stripped from both ends: every character Python's str.isspace() or JavaScript's trim()
# counts as white space, spelled out so that both clients drop exactly the same ones
# (they disagree on U+001C-U+001F, U+0085 and U+FEFF).
SURROUNDING_SPACE = (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(code) for code in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def _normalised(passphrase: str) -> str:
    return unicodedata.normalize("NFC", passphrase).strip(SURROUNDING_SPACE)


def passphrase_bytes(passphrase: str) -> bytes:
    """UTF-8 of the NFC form, without surrounding white space (what a paste adds)."""
    text = _normalised(passphrase)
    if not text:
        raise ValueError("the passphrase is empty")
    return text.encode("utf-8")


def check_new_passphrase(passphrase: str) -> None:
    """A creator's passphrase: at least MIN_PASSPHRASE_CHARACTERS after normalising."""
    if len(_normalised(passphrase)) < MIN_PASSPHRASE_CHARACTERS:
        raise ValueError(f"a passphrase has at least {MIN_PASSPHRASE_CHARACTERS} characters")


def passphrase_shard(passphrase: str, salt: bytes, params: LockParams) -> bytes:
    """P = Argon2id(passphrase, pwsalt; m, t, p = 1) of 32 bytes (libsodium runs one lane)."""
    return bytes(
        nacl.pwhash.argon2id.kdf(
            SHARD_SIZE,
            passphrase_bytes(passphrase),
            salt,
            opslimit=params.passes,
            memlimit=params.memory_kib * 1024,
        )
    )


def lock_key(link_shard: bytes, shard: bytes) -> SigningKey:
    """The key that proves the passphrase to the relay: seed KDF(L, atopos1-lock, P)."""
    if len(shard) != SHARD_SIZE:
        raise ValueError("the passphrase shard is 32 bytes")
    return SigningKey(kdf(link_shard, ClientLabel.LOCK, shard))
