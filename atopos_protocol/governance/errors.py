"""One exception whose ``code`` names why an event was refused (the vectors use the codes)."""

from __future__ import annotations


class GovernanceError(ValueError):
    """An event that is malformed, badly signed, or not allowed in the state it meets."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
