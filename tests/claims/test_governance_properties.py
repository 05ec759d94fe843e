"""C14: the governance invariants hold, in the Python reference and in the browser client.

The invariants (convergence, authority, revocation, ticket uses, nothing
admitted after a lock or accepted after an end) are hypothesis property tests
over random event sets, branchings and orderings; the fork-choice scenario
vectors pin the exact merge result both implementations must reach. One more
invariant is played against an adversary: a removed member never holds an
epoch started after its removal, whatever random schedule of forged hellos,
forged LEFTs, withheld, released and replayed events a relay colluding with
it plays (a property test of the Python client against a relay double).

The check re-runs them on the examined tree and insists that each invariant's
property tests, named exactly, were collected and passed, and that every
recorded scenario ran on both sides: deleting or renaming a test fails the
check instead of turning into a silent pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence.check import CheckResult
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.suites import (
    Case,
    Outcome,
    SuiteCounts,
    conclude,
    run_node_tests,
    run_pytest,
    suite_problems,
)

PROPERTY_TESTS = "tests/governance/test_invariants.py"
REMOVED_MEMBER = "tests/client/test_removed_member_never_holds_the_epoch.py"
PYTHON_SUITES = [
    PROPERTY_TESTS,
    REMOVED_MEMBER,
    "tests/governance/test_forkchoice.py",
    "tests/governance/test_rules.py",
    "tests/governance/test_vectors.py",
]
JS_SUITES = ["tests/js/governance-vectors.test.js"]
SCENARIOS = "tests/vectors/governance.json"
# Each invariant of the claim, and the property tests (file::name) that must pass for it.
INVARIANTS = {
    "convergence": (
        f"{PROPERTY_TESTS}::test_convergence_same_events_same_state_whatever_the_order",
        f"{PROPERTY_TESTS}::test_convergence_after_a_partition_heals",
    ),
    "authority": (f"{PROPERTY_TESTS}::test_authority_every_accepted_author_held_the_power",),
    "revocation": (
        f"{PROPERTY_TESTS}::test_revocation_nothing_by_a_removed_member_after_its_removal",
    ),
    "ticket uses": (f"{PROPERTY_TESTS}::test_tickets_never_admit_more_than_their_uses",),
    "nothing after lock or end": (
        f"{PROPERTY_TESTS}::test_no_admission_after_lock_and_nothing_after_end",
    ),
    "a removed member never holds the current epoch secret": (
        f"{REMOVED_MEMBER}::test_a_removed_member_never_holds_an_epoch_started_after_its_removal",
    ),
}


def run(ctx: Context) -> CheckResult:
    """Run the property tests and both sides' scenario vectors; judge what they report."""
    present = [path for path in PYTHON_SUITES if (ctx.root / path).is_file()]
    python = run_pytest(ctx.root, ctx.work / "governance_properties", present, "governance")
    js = run_node_tests(ctx.root, ctx.work / "governance_properties", JS_SUITES, "governance")
    scenarios = scenario_names(ctx.root)
    # A deleted suite fails like a deleted test; its invariants are then uncovered too.
    violations = [f"{path}: the test file is gone" for path in PYTHON_SUITES if path not in present]
    violations += python.failures("Python") + js.failures("JS")
    violations += uncovered_invariants(python) + unrun_scenarios(scenarios, python, js)
    problems = suite_problems("Python governance suite", python)
    problems += suite_problems("JS governance suite", js)
    if not scenarios:
        problems.append(f"{SCENARIOS} holds no scenarios")
    counts = {
        "invariants": len(INVARIANTS),
        "invariants_with_passing_property": passing_invariants(python),
        "scenarios": len(scenarios),
        **python.counts("python"),
        **js.counts("js"),
    }
    return conclude(
        violations,
        problems,
        counts,
        f"all {len(INVARIANTS)} governance invariants and {len(scenarios)} fork scenarios hold",
        "a governance invariant or fork scenario does not hold",
        {"python": python.details(), "js": js.details(), "invariants": sorted(INVARIANTS)},
    )


def uncovered_invariants(python: SuiteCounts) -> list[str]:
    """Invariants with a property test that was not collected (a failed one is reported too)."""
    if python.problem or python.total == 0:
        return []
    reported = {f"{case.file}::{case.name}" for case in python.cases}
    return [
        f"{test}: the property test for {name} was not collected"
        for name, tests in INVARIANTS.items()
        for test in tests
        if test not in reported
    ]


def passing_invariants(python: SuiteCounts) -> int:
    """Invariants every property test of which ran and passed."""
    passed = {
        f"{case.file}::{case.name}" for case in python.cases if case.outcome is Outcome.PASSED
    }
    return sum(1 for tests in INVARIANTS.values() if set(tests) <= passed)


def unrun_scenarios(names: list[str], python: SuiteCounts, js: SuiteCounts) -> list[str]:
    """Recorded scenarios that one side never reported (a failure is reported elsewhere)."""
    violations = []
    for label, suite in (("Python", python), ("JS", js)):
        if suite.problem or suite.total == 0:
            continue
        for name in names:
            if not any(_plays(case, name) for case in suite.cases):
                violations.append(f"{label} did not run the fork scenario {name!r}")
    return violations


def _plays(case: Case, scenario: str) -> bool:
    """Whether a reported test is the scenario's: pytest's ``[name]`` id, node's ``name: ...``."""
    leaf = case.name.split(" > ")[-1]
    return leaf.endswith(f"[{scenario}]") or leaf.startswith(f"{scenario}: ")


def scenario_names(root: Path) -> list[str]:
    """The scenario names recorded in the examined tree's governance vectors."""
    try:
        data = json.loads((root / SCENARIOS).read_text(encoding="utf-8"))
        return [str(scenario["name"]) for scenario in data["scenarios"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


pytestmark = pytest.mark.check(
    "Governance invariants hold in the Python reference and the browser client", "build"
)


def test_governance_properties(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
