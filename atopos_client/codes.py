"""Member codes: the part of a member's key that people read to each other.

A member code is the first 8 bytes (64 bits) of the member's Ed25519 public
key as 16 lowercase hex digits in four groups of four: ``5f3a 9c01 7b2e d4c8``.
Matching a chosen code means grinding about 2^64 keys; the 6-digit codes used
before took an impostor 212 s on one core. The browser shows the same format.

Commands that take a code (``/admit``, ``/decline``) accept the whole code or
a prefix of at least ``MIN_PREFIX_DIGITS`` hex digits, spaces allowed, and
refuse a prefix that fits more than one candidate.
"""

from __future__ import annotations

import string
from collections.abc import Iterable

CODE_BYTES = 8
GROUP_DIGITS = 4
MIN_PREFIX_DIGITS = 4


def member_code(ed_pk: bytes) -> str:
    """The member's code: 16 hex digits in groups of four."""
    digits = ed_pk[:CODE_BYTES].hex()
    return " ".join(digits[i : i + GROUP_DIGITS] for i in range(0, len(digits), GROUP_DIGITS))


class CodeNotFound(LookupError):
    """A typed code names no candidate, is too short, or names more than one."""


def resolve(typed: str, candidates: Iterable[bytes]) -> bytes:
    """The one candidate key whose code starts with ``typed`` (spaces ignored).

    Raises CodeNotFound with a sentence for the user when the prefix is not
    hex, shorter than MIN_PREFIX_DIGITS, matches nothing, or is ambiguous
    (the sentence then lists every matching code in full).
    """
    prefix = "".join(typed.split()).lower()
    if len(prefix) < MIN_PREFIX_DIGITS or any(c not in string.hexdigits for c in prefix):
        raise CodeNotFound(f"type at least {MIN_PREFIX_DIGITS} hex digits of the code")
    if len(prefix) > CODE_BYTES * 2:
        raise CodeNotFound(f"a code has {CODE_BYTES * 2} hex digits")
    matches = sorted({key for key in candidates if key[:CODE_BYTES].hex().startswith(prefix)})
    if not matches:
        raise CodeNotFound("no one waiting has that code")
    if len(matches) > 1:
        listed = ", ".join(member_code(key) for key in matches)
        raise CodeNotFound(f"more than one code starts with that; type more of it ({listed})")
    return matches[0]
