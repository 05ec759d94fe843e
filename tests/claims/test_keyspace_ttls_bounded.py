"""C05: every Redis key expires, and no later than its room (or its documented window).

The keyspace is read while the scripted room is alive, so every family of
keys the relay writes is present. Each key must belong to a documented
family (docs/PROTOCOL.md §7), carry a TTL, and the TTL must not exceed the
room's lifetime (room keys, tombstones) or the family's window (rate limits).
"""

from __future__ import annotations

from collections import Counter

import pytest

from evidence.check import CheckResult, judged
from tests.claims.live.keyspace import KeyRecord
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.keys import FAMILIES, family_of

# Time between the room's creation and the snapshot never adds to a TTL.
SLACK_MS = 1000


def judge(records: list[KeyRecord], room_lifetime_s: int) -> CheckResult:
    violations, families = [], Counter[str]()
    for record in records:
        family = family_of(record.key)
        if family is None:
            violations.append(f"an undocumented key family ({record.type})")
            continue
        families[family] += 1
        limit_s = FAMILIES[family][1] or room_lifetime_s
        if record.ttl_ms < 0:
            violations.append(f"a {family} key has no TTL")
        elif record.ttl_ms > limit_s * 1000 + SLACK_MS:
            violations.append(f"a {family} key lives {record.ttl_ms // 1000} s, over {limit_s} s")
    counts = {"keys": len(records), **{f"{name}_keys": n for name, n in sorted(families.items())}}
    if not families.get("room"):
        violations.append("no room key was seen: the scan did not observe a live room")
    return judged(
        violations, counts,
        f"all {len(records)} keys expire within their room's life or documented window",
        "some keys outlive their room or never expire",
        {"room_lifetime_s": room_lifetime_s},
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    live = ctx.live()
    return judge(live.session.during, live.session.lifetime_seconds)


pytestmark = pytest.mark.check("Every Redis key has a bounded TTL", "storage")


def test_keyspace_ttls_bounded(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
