"""C06: once a room ends, nothing about it is left in Redis.

After the scripted room ends, no key may name the room, hold its id, its
server shard, its genesis or anything its members sent. What remains is
only documented and room-free: rate-limit counters (keyed client hashes) and
the tombstone, a keyed hash of the room id that refuses re-creation and
expires when the room would have. Expiry needs no code of ours: every key of
a live room carries the room's TTL (keyspace_ttls_bounded), so Redis drops
them all when it ends.
"""

from __future__ import annotations

from collections import Counter

import pytest

from evidence.check import CheckResult, judged
from tests.claims.live.keyspace import KeyRecord
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.keys import family_of, mentions

ALLOWED_AFTER_END = {"tombstone", "rate-join", "rate-create"}


def judge(after_end: list[KeyRecord], room_id: bytes, server_shard: bytes) -> CheckResult:
    violations, families = [], Counter[str]()
    for record in after_end:
        family = family_of(record.key) or "undocumented"
        families[family] += 1
        if family not in ALLOWED_AFTER_END:
            violations.append(f"a {family} key survived the end of its room")
        if mentions(record, room_id):
            violations.append(f"a {family} key still holds the room id")
        if mentions(record, server_shard):
            violations.append(f"a {family} key still holds the server shard")
    counts = {"keys_after_end": len(after_end), **{f"{k}_keys": v for k, v in families.items()}}
    if not room_id or not server_shard:
        violations.append("the scripted room was not recorded")
    return judged(
        violations, counts,
        "after the end only room-free keys remain (rate counters, a keyed tombstone)",
        "the ended room left data behind",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    session = ctx.live().session
    return judge(session.after_end, session.room_id, session.server_shard)


pytestmark = pytest.mark.check("An ended room leaves nothing behind", "storage")


def test_ended_room_leaves_nothing(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
