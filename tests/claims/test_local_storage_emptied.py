"""C32: nothing of a room stays in the browser after leaving it, or after Delete local keys.

One Chromium profile on the site under examination: Alice creates a room she does not ask
to keep and leaves it; then she closes its tab; then she keeps a room on this device (the
vault must hold something, or the last step proves nothing) and presses Delete local keys.
After each, the site's IndexedDB, localStorage, sessionStorage, Cache Storage and cookies
are read through the page and through Chromium's DevTools protocol: all must be empty.
"""

from __future__ import annotations

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.live.storage import StorageRecord, record_storage_session
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence

STORES = ("databases", "local", "session", "caches", "cookies")
KEPT = "while a room is kept on this device (Chromium)"


def judge(record: StorageRecord) -> CheckResult:
    violations = []
    emptied = {
        moment: seen for moment, seen in record.snapshots.items() if not moment.startswith("while")
    }
    for moment, seen in emptied.items():
        for store in STORES:
            if seen.get(store):
                violations.append(f"{moment}: the site's {store} still holds something")
        if seen.get("usage", 0) > 0:
            violations.append(
                f"{moment}: Chromium counts {seen['usage']} bytes stored for the site"
            )
    if not record.snapshots.get(KEPT, {}).get("databases"):
        violations.append("the kept room left no database: Delete local keys was not tested")
    if len(emptied) < 6:
        violations.append("the session did not reach every moment it checks")
    return judged(
        violations, {"moments": len(emptied)},
        f"all five stores were empty at each of {len(emptied)} looks (page and Chromium)",
        "something of a room stayed in the browser",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    try:
        record = record_storage_session(ctx.origin())
    except Exception as error:
        return could_not_run(f"the browser session could not run ({type(error).__name__})")
    return judge(record)


pytestmark = pytest.mark.check(
    "Nothing of a room stays in the browser after leaving it or after Delete local keys",
    "runtime",
)


def test_local_storage_emptied(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
