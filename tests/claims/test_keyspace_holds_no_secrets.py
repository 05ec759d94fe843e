"""C02: nothing the clients keep secret is ever in Redis.

The scripted session plants every secret its clients hold as a canary: the
link shard, the room secret S, every epoch secret and message key, the
members' private keys, their names and messages. The whole keyspace, read
while the room is alive and again after it ended, must hold none of them in
any encoding. The server shard V is allowed: holding it is the server's job.
"""

from __future__ import annotations

import pytest

from evidence.check import CheckResult, judged
from tests.claims.live.canaries import Canaries
from tests.claims.live.keyspace import KeyRecord
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence


def judge(snapshots: dict[str, list[KeyRecord]], canaries: Canaries) -> CheckResult:
    violations, scanned = [], 0
    for moment, records in snapshots.items():
        for record in records:
            scanned += 1
            for name in canaries.found_in(record.blob):
                violations.append(f"{name} found in a {record.type} key ({moment})")
    counts = {"keys_scanned": scanned, "canaries": len(canaries.values)}
    if not canaries.values or not scanned:
        violations.append("nothing to search: no canaries or no keys were recorded")
    return judged(
        violations, counts,
        f"none of {len(canaries.values)} planted secrets in {scanned} keys",
        "secrets found in Redis",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    live = ctx.live()
    snapshots = {"room alive": live.session.during, "room ended": live.session.after_end}
    return judge(snapshots, live.canaries)


pytestmark = pytest.mark.check("Redis holds no client secret", "storage")


def test_keyspace_holds_no_secrets(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
