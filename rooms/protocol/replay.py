"""Dropping replayed, stale and future frames (PROTOCOL §4.4)."""

from __future__ import annotations

from rooms.protocol.envelope import Plaintext
from rooms.protocol.errors import ProtocolError

MAX_AGE_MS = 120_000
MAX_AHEAD_MS = 120_000
ADMISSION_ALLOWANCE_MS = 30_000


class ReplayGuard:
    """One receiver's memory of the highest sequence number seen per sender and epoch."""

    def __init__(self, admitted_at_ms: int) -> None:
        self.admitted_at_ms = admitted_at_ms
        self._highest: dict[tuple[bytes, bytes], int] = {}

    def note_seen(self, epoch_id: bytes, sender: bytes, seq: int) -> None:
        """Record that ``sender`` reached ``seq`` in this epoch (restoring a receiver's state)."""
        key = (epoch_id, sender)
        self._highest[key] = max(seq, self._highest.get(key, 0))

    def accept(self, epoch_id: bytes, plaintext: Plaintext, now_ms: int) -> None:
        """Record the frame, or raise ProtocolError replay, stale, before-admission or future."""
        key = (epoch_id, plaintext.sender)
        if plaintext.seq <= self._highest.get(key, 0):
            raise ProtocolError("replay")
        if plaintext.time_ms < now_ms - MAX_AGE_MS:
            raise ProtocolError("stale")
        if plaintext.time_ms < self.admitted_at_ms - ADMISSION_ALLOWANCE_MS:
            raise ProtocolError("before-admission")
        if plaintext.time_ms > now_ms + MAX_AHEAD_MS:
            raise ProtocolError("future")
        self._highest[key] = plaintext.seq
