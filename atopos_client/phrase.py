"""The safety phrase: five words from the state hash, to compare out of band.

Two members who see the same phrase hold the same governance state; 40 bits
make an accidental match between different states a one-in-a-trillion event.
"""

from __future__ import annotations

from atopos_client.words import WORDS

PHRASE_WORDS = 5


def safety_phrase(state_hash: bytes) -> str:
    """Five words, one per byte of the state hash."""
    return " ".join(WORDS[byte] for byte in state_hash[:PHRASE_WORDS])
