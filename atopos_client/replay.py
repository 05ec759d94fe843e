"""Dropping replayed, stale and future frames (PROTOCOL §4.4).

A receiver remembers every (epoch, sender, seq) it accepted for as long as a
frame with that time could still pass the age check, and drops a second
frame with the same triple. It does not insist that numbers rise: any member
can seal a frame in another member's name (chat is deniable), so a guard
that kept only the highest number would let one forged frame with a huge
``seq`` mute its victim. ``seq`` is instead tied to the frame's own time
(``time_ms ≤ seq ≤ time_ms + SEQ_LEAD_MS``), which the age and future checks
tie to the receiver's clock.
"""

from __future__ import annotations

from collections import deque

from atopos_client.envelope import Plaintext
from atopos_protocol.errors import ProtocolError

MAX_AGE_MS = 120_000
MAX_AHEAD_MS = 120_000
ADMISSION_ALLOWANCE_MS = 30_000
# A sender's seq is max(previous + 1, now): it runs ahead of its clock only when it
# sends more than one frame per millisecond, which no rate limit lets it do for a minute.
SEQ_LEAD_MS = 60_000


class ReplayGuard:
    """One receiver's memory of the frames it accepted in the last MAX_AGE_MS."""

    def __init__(self, admitted_at_ms: int) -> None:
        self.admitted_at_ms = admitted_at_ms
        self._seen: set[tuple[bytes, bytes, int]] = set()
        self._by_time: deque[tuple[int, tuple[bytes, bytes, int]]] = deque()
        # Frames older than this were forgotten, so they must count as stale even if
        # the clock steps back: a forgotten frame may never pass as new.
        self._floor_ms = 0

    def note_seen(self, epoch_id: bytes, sender: bytes, seq: int, time_ms: int) -> None:
        """Record an accepted frame (restoring a receiver's state)."""
        key = (epoch_id, sender, seq)
        if key not in self._seen:
            self._seen.add(key)
            self._by_time.append((time_ms, key))

    def accept(self, epoch_id: bytes, plaintext: Plaintext, now_ms: int) -> None:
        """Record the frame, or raise ProtocolError bad-seq, replay, stale, before-admission
        or future."""
        time_ms, seq = plaintext.time_ms, plaintext.seq
        if not time_ms <= seq <= time_ms + SEQ_LEAD_MS:
            raise ProtocolError("bad-seq")
        self._forget_before(now_ms - MAX_AGE_MS)
        if (epoch_id, plaintext.sender, seq) in self._seen:
            raise ProtocolError("replay")
        if time_ms < max(now_ms - MAX_AGE_MS, self._floor_ms):
            raise ProtocolError("stale")
        if time_ms < self.admitted_at_ms - ADMISSION_ALLOWANCE_MS:
            raise ProtocolError("before-admission")
        if time_ms > now_ms + MAX_AHEAD_MS:
            raise ProtocolError("future")
        self.note_seen(epoch_id, plaintext.sender, seq, time_ms)

    def _forget_before(self, floor_ms: int) -> None:
        if floor_ms <= self._floor_ms:
            return
        self._floor_ms = floor_ms
        # Entries arrive roughly in time order; one that is out of order stays a little
        # longer, which only costs memory.
        while self._by_time and self._by_time[0][0] < floor_ms:
            _, key = self._by_time.popleft()
            self._seen.discard(key)
