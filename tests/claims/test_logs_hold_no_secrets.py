"""C08: the server's log output holds no plaintext, secret, room id or client address.

The site runs at DEBUG, the most it ever logs, while the scripted sessions
run; everything it printed is then searched for every canary (names,
messages, keys, shards), the server shard, the room
id, and anything shaped like an IP address.
"""

from __future__ import annotations

import pytest

from evidence.check import CheckResult, judged
from evidence.publish_safe import addresses_in, encodings
from tests.claims.live.canaries import Canaries
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence


def judge(log: str, canaries: Canaries, room_values: dict[str, bytes]) -> CheckResult:
    data = log.encode()
    violations = [f"{name} appears in the log" for name in canaries.found_in(data)]
    for name, value in room_values.items():
        if any(form in data for form in encodings(value)):
            violations.append(f"the {name} appears in the log")
    addresses = addresses_in(log)
    violations += (
        [f"an IP address appears in the log ({len(addresses)} times)"] if addresses else []
    )
    lines = log.count("\n")
    if not lines:
        violations.append("the server printed nothing: no log was captured")
    counts = {"log_lines": lines, "canaries": len(canaries.values), "addresses": len(addresses)}
    return judged(
        violations, counts,
        f"{lines} log lines hold no secret, room id or address",
        "the log leaks",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    live = ctx.live()
    session = live.session
    room_values = {"room id": session.room_id, "server shard": session.server_shard}
    return judge(live.log_text(), live.canaries, room_values)


pytestmark = pytest.mark.check("Logs hold no secrets or addresses", "runtime")


def test_logs_hold_no_secrets(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
