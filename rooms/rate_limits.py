"""The per-connection frame limit, counted where the connection lives.

A WebSocket belongs to exactly one server process and its event loop handles
one frame at a time, so a counter here is exact and atomic; keeping it in
Redis would add a round trip to every relayed frame and change nothing.
Limits that span connections (joins and rooms per client) stay in Redis.
"""

from __future__ import annotations

WINDOW_SECONDS = 60.0


class FrameBudget:
    """At most ``per_minute`` frames in any fixed one-minute window of this connection."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.window_start: float | None = None
        self.used = 0

    def take(self, now: float) -> bool:
        """Spend one frame; False once the window's budget is gone."""
        if self.window_start is None or now - self.window_start >= WINDOW_SECONDS:
            self.window_start, self.used = now, 0
        self.used += 1
        return self.used <= self.per_minute
