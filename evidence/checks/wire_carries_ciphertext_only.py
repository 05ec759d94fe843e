"""C03: every WebSocket message, both ways, for Python and browser clients, is opaque.

Names, messages, keys and shards the clients hold are planted as canaries
and searched for in every recorded frame in any encoding. Nothing is
exempt: since protocol v2 no frame hands the server a secret (rooms end by the
owner's signed END_ROOM event, not by a capability).
"""

from __future__ import annotations

from collections import Counter

from evidence.check import Check, CheckResult, Kind, judged
from evidence.context import Context
from evidence.live.canaries import Canaries
from evidence.live.wire import WireFrame


def judge(frames: list[WireFrame], canaries: Canaries) -> CheckResult:
    searched = list(canaries.values)
    violations, seen = [], Counter[str]()
    for frame in frames:
        seen[f"{frame.source}_{frame.direction}"] += 1
        for name in canaries.found_in(frame.data, searched):
            violations.append(
                f"{name} crossed the wire in a {frame.source} frame ({frame.direction})"
            )
    if not frames or not searched:
        violations.append("nothing to search: no frames or no canaries were recorded")
    counts = {"frames": len(frames), "canaries": len(searched), **dict(sorted(seen.items()))}
    return judged(
        violations, counts,
        f"no plaintext, name or key in {len(frames)} frames",
        "plaintext or key material crossed the relay",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    live = ctx.live()
    return judge(live.wire.frames, live.canaries)


CHECK = Check("wire_carries_ciphertext_only", "The relay sees ciphertext only", Kind.RUNTIME, run)
