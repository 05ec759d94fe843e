"""Values planted in a scripted session, and searching for them in any encoding."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from evidence.publish_safe import encodings


@dataclass
class Canaries:
    """Named secrets and plaintexts that must never appear where they do not belong."""

    values: dict[str, bytes] = field(default_factory=dict)

    def plant(self, name: str, value: bytes) -> bytes:
        self.values[name] = value
        return value

    def text(self, name: str) -> str:
        """A fresh, recognisable plaintext canary."""
        value = f"canary-{name}-{secrets.token_hex(12)}"
        self.plant(name, value.encode())
        return value

    def found_in(self, haystack: bytes, only: Iterable[str] | None = None) -> list[str]:
        """The names of the canaries ``haystack`` holds, in any encoding."""
        names = (
            [name for name in only if name in self.values]
            if only is not None
            else list(self.values)
        )
        return [
            name for name in names if any(form in haystack for form in encodings(self.values[name]))
        ]
