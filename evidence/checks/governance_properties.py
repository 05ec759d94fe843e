"""C14: the governance invariants hold, in the Python reference and in the browser client.

The invariants (convergence, authority, revocation, ticket uses, nothing
admitted after a lock or accepted after an end) are hypothesis property tests
over random event sets, branchings and orderings; the fork-choice scenario
vectors pin the exact merge result both implementations must reach. The check
re-runs them on the examined tree and also insists that each invariant still
has a passing property test and that every recorded scenario ran on both
sides, so deleting a test cannot turn into a silent pass.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from evidence.check import Check, CheckResult, Kind
from evidence.checks._suites import (
    Case,
    Outcome,
    SuiteCounts,
    conclude,
    run_node_tests,
    run_pytest,
    suite_problems,
)
from evidence.context import Context

PROPERTY_TESTS = "tests/governance/test_invariants.py"
PYTHON_SUITES = [
    PROPERTY_TESTS,
    "tests/governance/test_forkchoice.py",
    "tests/governance/test_rules.py",
    "tests/governance/test_vectors.py",
]
JS_SUITES = ["tests/js/governance-vectors.test.js"]
SCENARIOS = "tests/vectors/governance.json"
# Each invariant of the claim, and the name its property test starts with.
INVARIANTS = {
    name: re.compile(f"^{re.escape(PROPERTY_TESTS)}::{prefix}")
    for name, prefix in (
        ("convergence", "test_convergence"),
        ("authority", "test_authority"),
        ("revocation", "test_revocation"),
        ("ticket uses", "test_tickets"),
        ("nothing after lock or end", "test_no_admission_after_lock"),
    )
}


def run(ctx: Context) -> CheckResult:
    """Run the property tests and both sides' scenario vectors; judge what they report."""
    python = run_pytest(ctx.root, ctx.work / CHECK.id, PYTHON_SUITES, "governance")
    js = run_node_tests(ctx.root, ctx.work / CHECK.id, JS_SUITES, "governance")
    scenarios = scenario_names(ctx.root)
    violations = python.failures("Python") + js.failures("JS")
    violations += uncovered_invariants(python) + unrun_scenarios(scenarios, python, js)
    problems = suite_problems("Python governance suite", python)
    problems += suite_problems("JS governance suite", js)
    if not scenarios:
        problems.append(f"{SCENARIOS} holds no scenarios")
    counts = {
        "invariants": len(INVARIANTS),
        "invariants_with_passing_property": sum(
            1 for pattern in INVARIANTS.values() if python.passed_where(pattern)
        ),
        "scenarios": len(scenarios),
        **python.counts("python"),
        **js.counts("js"),
    }
    return conclude(
        violations,
        problems,
        counts,
        f"every governance invariant and {len(scenarios)} fork scenarios hold in both clients",
        "a governance invariant or fork scenario does not hold",
        {"python": python.details(), "js": js.details(), "invariants": sorted(INVARIANTS)},
    )


def uncovered_invariants(python: SuiteCounts) -> list[str]:
    """Invariants of the claim with no property test that ran (a failed one is reported too)."""
    if python.problem or python.total == 0:
        return []
    violations = []
    for name, pattern in INVARIANTS.items():
        outcomes = {case.outcome for case in python.matching(pattern)}
        if not outcomes & {Outcome.PASSED, Outcome.FAILED, Outcome.ERROR}:
            violations.append(f"{PROPERTY_TESTS}: no property test for {name} ran")
    return violations


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


CHECK = Check(
    id="governance_properties",
    title="Governance invariants hold in the Python reference and the browser client",
    kind=Kind.BUILD,
    run=run,
)
