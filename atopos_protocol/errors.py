"""One exception type whose ``code`` is the error name the vectors use."""

from __future__ import annotations


class ProtocolError(ValueError):
    """A frame, link or event that the protocol rejects; ``code`` names why."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
