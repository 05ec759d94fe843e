"""C09: every envelope on the wire has one of the documented bucket sizes.

All recorded messages (Python and browser clients, both directions) are
sorted by kind; every ENVELOPE must be a bucket plus the fixed overhead
(docs/PROTOCOL.md §3), and every client control frame must pass the relay's
own size rules. Against a deployment (--base-url) it judges the frames of a
two-browser room there. Routing mode mix (one size only) has no room to
record yet.
"""

from __future__ import annotations

from collections import Counter

import pytest

from atopos_protocol.frames import FrameRejected, classify_client_frame, envelope_frame_sizes
from atopos_protocol.frames import Kind as FrameKind
from atopos_protocol.routing_modes import RoutingMode
from evidence.check import CheckResult, judged
from tests.claims.live.wire import WireFrame
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence


def judge(frames: list[WireFrame], mode: RoutingMode = RoutingMode.DIRECT) -> CheckResult:
    allowed = envelope_frame_sizes(mode)
    violations, envelopes, sizes = [], 0, Counter[int]()
    for frame in frames:
        if frame.kind == FrameKind.ENVELOPE:
            envelopes += 1
            sizes[len(frame.data)] += 1
            if len(frame.data) not in allowed:
                violations.append(f"an envelope of {len(frame.data)} bytes ({frame.source})")
        elif frame.direction == "sent":
            try:
                classify_client_frame(frame.data, None)
            except FrameRejected as rejected:
                violations.append(
                    f"a client frame the relay would refuse ({rejected.close_code.name})"
                )
    if not envelopes:
        violations.append("no envelope was recorded")
    counts = {"frames": len(frames), "envelopes": envelopes}
    return judged(
        violations, counts,
        f"all {envelopes} envelopes had bucket sizes",
        "frames of undocumented sizes crossed the wire",
        {"envelope_sizes": {str(size): n for size, n in sorted(sizes.items())},
         "allowed_sizes": sorted(allowed)},
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    if ctx.remote:
        _, _, wire = ctx.browser()  # a deployment we do not run: what its browsers exchange
        return judge(wire.frames)
    return judge(ctx.live().wire.frames)


pytestmark = pytest.mark.check("Envelopes take bucket sizes only", "runtime", remote=True)


def test_frame_sizes_are_buckets(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
