"""Extra Lock's parameters as the genesis carries them (PROTOCOL §2.1, §3).

Server and clients both read them: the relay to check a CREATE and to tell a
joiner what to derive, clients to derive the passphrase shard P. The bounds
are what keeps a crafted genesis (or a lying relay) from making a browser
derive for minutes: memory times passes is capped, not each on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from atopos_protocol.codec import Reader, u32
from atopos_protocol.errors import ProtocolError

MIN_MEMORY_KIB = 4 * 1024
MAX_MEMORY_KIB = 64 * 1024
MIN_PASSES = 1
MAX_PASSES = 16
# 64 MiB-passes: about 1 s in Chromium with its JIT and 15 s without (PERFORMANCE.md).
MAX_WORK_KIB = 64 * 1024
LANES = 1
PARAMS_SIZE = 8


def within_bounds(memory_kib: int, passes: int) -> bool:
    """Memory, passes and their product inside PROTOCOL §2.1's bounds."""
    return (
        MIN_MEMORY_KIB <= memory_kib <= MAX_MEMORY_KIB
        and MIN_PASSES <= passes <= MAX_PASSES
        and memory_kib * passes <= MAX_WORK_KIB
    )


@dataclass(frozen=True, slots=True)
class LockParams:
    """Argon2id memory (KiB) and passes; lanes are always 1."""

    memory_kib: int
    passes: int

    def __post_init__(self) -> None:
        if not within_bounds(self.memory_kib, self.passes):
            raise ValueError("Argon2id parameters outside the documented bounds")

    def encode(self) -> bytes:
        """memory_kib u32 ‖ passes u32, as LOCK_REQUIRED carries them."""
        return u32(self.memory_kib) + u32(self.passes)

    @classmethod
    def read(cls, reader: Reader) -> LockParams:
        """Parse from ``reader``; out-of-bounds values fail like any malformed field."""
        memory_kib, passes = reader.u32(), reader.u32()
        try:
            return cls(memory_kib, passes)
        except ValueError:
            raise ProtocolError(reader.error, "argon2id parameters") from None
