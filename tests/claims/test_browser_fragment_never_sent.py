"""C01: the link fragment never leaves the browser.

Two Chromium profiles create and join a room by link. Every request they
make (URL, headers including Referer, body) and every WebSocket message they
send is searched for the fragment and for the link shard it encodes, in any
encoding. Runs against a deployment we do not run too (--base-url).
"""

from __future__ import annotations

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.live.browser import RecordedRequest, search_sent
from tests.claims.live.canaries import Canaries
from tests.claims.live.wire import WireFrame
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence

SECRETS = ("browser-fragment", "browser-link-shard")


def judge(
    requests: list[RecordedRequest], frames: list[WireFrame], canaries: Canaries
) -> CheckResult:
    search = search_sent(requests, frames, canaries, SECRETS)
    violations = search.violations
    if not any(name in canaries.values for name in SECRETS):
        violations.append("nothing to search for: the fragment was not recorded")
    return judged(
        violations, {"requests": search.requests, "frames_sent": search.frames_sent},
        f"the fragment was in none of {search.requests} requests and {search.frames_sent} frames",
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
