"""C30: the Extra Lock passphrase and the passphrase shard P never leave the browser.

In the scripted browser session Alice locks a room with a passphrase, Bob
types it to get in, Mallory types a wrong one. Every request the three
profiles make and every WebSocket message they send is searched for both
passphrases, and for P (Argon2id of the right one, with the parameters the
relay named), in any encoding. Runs against a deployment we do not run too.
"""

from __future__ import annotations

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.live.browser import RecordedRequest, search_sent
from tests.claims.live.canaries import Canaries
from tests.claims.live.wire import WireFrame
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence

SECRETS = ("browser-passphrase", "browser-wrong-passphrase", "browser-passphrase-shard")


def judge(
    requests: list[RecordedRequest], frames: list[WireFrame], canaries: Canaries
) -> CheckResult:
    search = search_sent(requests, frames, canaries, SECRETS)
    violations = search.violations
    missing = [name for name in SECRETS if name not in canaries.values]
    if missing:
        violations.append(f"nothing to search for: {', '.join(missing)} was not recorded")
    return judged(
        violations, {"requests": search.requests, "frames_sent": search.frames_sent},
        f"neither passphrase nor P was in any of {search.requests} requests and "
        f"{search.frames_sent} frames",
        "a passphrase or the passphrase shard left the browser",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    try:
        record, canaries, wire = ctx.browser()
    except Exception as error:
        return could_not_run(f"the browser session could not run ({type(error).__name__})")
    return judge(record.requests, wire.frames, canaries)


pytestmark = pytest.mark.check(
    "The Extra Lock passphrase and its shard never leave the browser", "runtime", remote=True
)


def test_passphrase_never_sent(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
