"""C01: the link fragment never leaves the browser.

Two Chromium profiles create and join a room by link. Every request they
make (URL, headers including Referer, body) and every WebSocket message they
send is searched for the fragment and for the link shard it encodes, in any
encoding. Runs against a deployment we do not run too (--base-url).
"""

from __future__ import annotations

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.live.browser import RecordedRequest
from tests.claims.live.canaries import Canaries
from tests.claims.live.wire import WireFrame
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence

SECRETS = ("browser-fragment", "browser-link-shard")


def judge(
    requests: list[RecordedRequest], frames: list[WireFrame], canaries: Canaries
) -> CheckResult:
    violations = []
    for request in requests:
        for name in canaries.found_in(request.blob, SECRETS):
            violations.append(f"{name} left the browser in a {request.method} request")
    sent = [frame for frame in frames if frame.source == "browser" and frame.direction == "sent"]
    for frame in sent:
        for name in canaries.found_in(frame.data, SECRETS):
            violations.append(f"{name} left the browser in a WebSocket message")
    if not requests or not sent:
        violations.append("nothing to search: the browsers made no request or sent no frame")
    if not any(name in canaries.values for name in SECRETS):
        violations.append("nothing to search for: the fragment was not recorded")
    counts = {"requests": len(requests), "frames_sent": len(sent)}
    return judged(
        violations, counts,
        f"the fragment was in none of {len(requests)} requests and {len(sent)} frames",
        "the fragment left the browser",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    try:
        record, canaries, wire = ctx.browser()
    except Exception as error:
        return could_not_run(f"the browser session could not run ({type(error).__name__})")
    return judge(record.requests, wire.frames, canaries)


pytestmark = pytest.mark.check("The link fragment never leaves the browser", "runtime", remote=True)


def test_browser_fragment_never_sent(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
