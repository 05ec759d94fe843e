"""C22: a relay cannot swap the server shard, alter the genesis or hijack a re-key.

The relay is the adversary here, so the evidence is the negative tests in
which it misbehaves: the genesis vectors (a swapped server shard, an altered
or foreign genesis), a welcome carrying a swapped shard, forged, replayed or
misdirected re-keys and key shares, and a relay that shows members different
logs. They run in both the Python reference and the browser client; every
attack must have at least one passing test on each side, so a renamed or
deleted test shows up as a failure instead of a smaller count.
"""

from __future__ import annotations

import re

from evidence.check import Check, CheckResult, Kind
from evidence.checks._suites import (
    SuiteCounts,
    conclude,
    run_node_tests,
    run_pytest,
    suite_problems,
)
from evidence.context import Context

PYTHON_TESTS = [
    "tests/protocol/test_vectors_in_python.py::test_genesis_checks_against_the_link",
    "tests/governance/test_rekey.py",
    "tests/client/test_session_governance.py",
    "tests/client/test_equivocating_relay.py",
]
# Each JS file, and the tests in it that play a malicious relay (a --test-name-pattern).
JS_TESTS = {
    "tests/js/protocol-vectors.test.js": "^genesis checks against the link$",
    "tests/js/session.test.js": "swapped server shard",
    "tests/js/session-governance.test.js": "^(kick and re-key|a relay that equivocates)$",
    "tests/js/governance-vectors.test.js": "re-key",
}
# The attacks of the claim, and how the tests that play them are named (file::name).
ATTACKS = {
    "server-shard swap": re.compile(r"swapped[- ](server[- ])?shard"),
    "genesis alteration": re.compile(r"altered-genesis"),
    "re-key hijack": re.compile(r"re-?key", re.IGNORECASE),
    "equivocation": re.compile(r"equivocat"),
}


def run(ctx: Context) -> CheckResult:
    """Run the malicious-relay tests on both sides; every attack must be refused on both."""
    work = ctx.work / CHECK.id
    python = run_pytest(ctx.root, work, PYTHON_TESTS, "relay")
    js = run_node_tests(ctx.root, work, list(JS_TESTS), "relay", pattern=JS_TESTS)
    violations = python.failures("Python") + js.failures("JS")
    violations += unplayed(python, "Python") + unplayed(js, "JS")
    problems = suite_problems("Python relay suite", python) + suite_problems("JS relay suite", js)
    counts = {**python.counts("python"), **js.counts("js")}
    for attack, pattern in ATTACKS.items():
        key = attack.replace(" ", "_").replace("-", "_")
        counts[f"python_{key}_passed"] = python.passed_where(pattern)
        counts[f"js_{key}_passed"] = js.passed_where(pattern)
    return conclude(
        violations,
        problems,
        counts,
        f"{len(ATTACKS)} relay attacks refused: {python.passed} Python and {js.passed} JS tests",
        "a malicious relay's attack was not refused",
        {"python": python.details(), "js": js.details(), "attacks": sorted(ATTACKS)},
    )


def unplayed(suite: SuiteCounts, label: str) -> list[str]:
    """Attacks no passing test on this side plays (when the suite ran at all)."""
    if suite.problem or suite.total == 0:
        return []
    return [
        f"{label}: no passing test plays the {attack} attack"
        for attack, pattern in ATTACKS.items()
        if not suite.passed_where(pattern)
    ]


CHECK = Check(
    id="malicious_relay_resisted",
    title="A malicious relay cannot swap the server shard, alter the genesis or hijack a re-key",
    kind=Kind.BUILD,
    run=run,
)
