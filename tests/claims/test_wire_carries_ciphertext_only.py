"""C03: every WebSocket message, both ways, for Python and browser clients, is opaque.

Names, messages, keys and shards the clients hold are planted as canaries
and searched for in every recorded frame in any encoding. Nothing is
exempt: since protocol v2 no frame hands the server a secret (rooms end by the
owner's signed END_ROOM event, not by a capability).
"""

from __future__ import annotations

from collections import Counter

import pytest

from evidence.check import CheckResult, judged
from tests.claims.live.canaries import Canaries
from tests.claims.live.wire import WireFrame
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence


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


pytestmark = pytest.mark.check("The relay sees ciphertext only", "runtime")


def test_wire_carries_ciphertext_only(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
