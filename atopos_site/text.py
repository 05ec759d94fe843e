"""Small phrases built from numbers, for pages."""

from __future__ import annotations

_UNITS = ((86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second"))


def describe_duration(seconds: int) -> str:
    """``7200`` -> ``"2 hours"``, ``5400`` -> ``"1 hour 30 minutes"`` (two units at most)."""
    if seconds <= 0:
        return "0 seconds"
    parts: list[str] = []
    remaining = seconds
    for size, name in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
        if len(parts) == 2:
            break
    return " ".join(parts)
