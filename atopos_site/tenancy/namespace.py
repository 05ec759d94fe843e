"""Tenant prefixes for Redis keys and pub/sub channels.

Slugs hold only ``[a-z0-9-]`` and parts only ``[A-Za-z0-9_-]``, so neither can
contain a separator and two different (tenant, parts) pairs never produce the
same key: one tenant cannot address another tenant's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
_PART = re.compile(r"[A-Za-z0-9_-]{1,64}")
KEY_PREFIX = "atopos"


def _checked(parts: tuple[str, ...]) -> tuple[str, ...]:
    if not parts:
        raise ValueError("at least one part is required")
    for part in parts:
        if not _PART.fullmatch(part):
            raise ValueError(f"namespace part {part!r} must match {_PART.pattern}")
    return parts


@dataclass(frozen=True, slots=True)
class TenantNamespace:
    """Builds the names one tenant's data lives under."""

    slug: str

    def __post_init__(self) -> None:
        if not SLUG_PATTERN.fullmatch(self.slug):
            raise ValueError(f"tenant slug {self.slug!r} must match {SLUG_PATTERN.pattern}")

    def key(self, *parts: str) -> str:
        """A Redis key: ``atopos:<slug>:<part>:...``."""
        return ":".join((KEY_PREFIX, self.slug, *_checked(parts)))

    def tagged_key(self, prefix: str, tag: str, field: str) -> str:
        """``atopos:<slug>:<prefix>:{<tag>}:<field>``; a shared tag means a shared cluster slot."""
        _checked((prefix, tag, field))
        return f"{KEY_PREFIX}:{self.slug}:{prefix}:{{{tag}}}:{field}"
