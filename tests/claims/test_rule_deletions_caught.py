"""Every security rule in the catalogue (evidence/rules.toml) has a test that fails when the
rule is deleted.

A test suite that passes proves little if it would also pass without the rule
it is meant to guard: nothing failed, for example, when CREATE stopped
comparing the genesis origin with the connection's. This check copies the
examined tree once, runs every listed test there as it is (each must pass:
otherwise its failure would prove nothing), then deletes one rule at a time
(its ``code`` replaced by ``deleted``), runs that rule's tests, and puts the
file back. A rule is:

- *caught* when one of its tests fails or errors with the rule deleted;
- *not caught* when all of them still pass (the check fails);
- *stale* when its code is not found exactly once (the catalogue no longer
  names the rule the file enforces: the check fails);
- *unproven* when one of its tests does not pass even with the rule in place;
- *broken* when the deletion stops a test file from loading, or the tests from
  running at all, which proves nothing about the rule (the catalogue must
  delete the rule, not the file's syntax).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pytest

from evidence.attacks import Runner, TestRef
from evidence.check import CheckResult, could_not_run
from evidence.rules import Rule, RulesError, load_rules
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.suites import (
    Case,
    Outcome,
    SuiteCounts,
    conclude,
    run_node_tests,
    run_pytest,
)

RULES = "evidence/rules.toml"
# What the copy leaves out: environments, caches, history and earlier results.
NOT_COPIED = shutil.ignore_patterns(
    ".venv", "node_modules", ".git", "var", "latest", "__pycache__", ".hypothesis",
    ".pytest_cache", ".mypy_cache", ".ruff_cache",
)  # fmt: skip
# What the suites report for a file that could not be loaded at all.
LOAD_FAILURES = frozenset({"(collection)", "(the file failed to load or run)"})
BASELINE_TIMEOUT = 900.0
DELETION_TIMEOUT = 300.0


class Verdict(StrEnum):
    """What deleting one rule showed."""

    CAUGHT = "caught"
    NOT_CAUGHT = "not caught"
    STALE = "stale"
    UNPROVEN = "unproven"
    BROKEN = "broken"


@dataclass(frozen=True)
class Run:
    """Each listed test's outcome in one run, and why the run was no evidence (if it was not)."""

    outcomes: dict[str, str]
    unloaded: bool = False
    problem: str = ""


def run(ctx: Context) -> CheckResult:
    """Copy the tree, check every rule's tests pass there, then delete each rule in turn."""
    try:
        rules = load_rules(ctx.root / RULES)
    except RulesError as error:
        return could_not_run(f"the rules catalogue cannot be used: {error}")
    work = ctx.work / "rule_deletions_caught"
    tree = work / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(ctx.root, tree, ignore=NOT_COPIED, symlinks=True)
    everything = sorted({test for rule in rules for test in rule.tests}, key=str)
    baseline = run_tests(tree, work, everything, "baseline", BASELINE_TIMEOUT)
    if baseline.problem:
        return could_not_run(f"the rules' tests could not run on the examined tree: "
                             f"{baseline.problem}")  # fmt: skip
    verdicts = {rule.id: delete_and_run(rule, tree, work, baseline) for rule in rules}
    return judge(rules, verdicts)


def delete_and_run(rule: Rule, tree: Path, work: Path, baseline: Run) -> tuple[Verdict, str]:
    """Delete ``rule`` in ``tree``, run its tests, put the file back: the verdict and why."""
    unpassed = [str(t) for t in rule.tests if baseline.outcomes.get(str(t)) != Outcome.PASSED]
    if unpassed:
        outcomes = ", ".join(f"{t} ({baseline.outcomes.get(t, 'missing')})" for t in unpassed)
        return Verdict.UNPROVEN, f"with the rule in place: {outcomes}"
    path = tree / rule.file
    if not path.is_file():
        return Verdict.STALE, f"{rule.file} does not exist"
    source = path.read_text(encoding="utf-8")
    found = source.count(rule.code)
    if found != 1:
        return Verdict.STALE, f"its code occurs {found} times in {rule.file}, not once"
    path.write_text(source.replace(rule.code, rule.deleted), encoding="utf-8")
    try:
        result = run_tests(tree, work, list(rule.tests), rule.id, DELETION_TIMEOUT)
    finally:
        path.write_text(source, encoding="utf-8")
    if result.problem:  # the same tests ran with the rule in place: the deletion did this
        return Verdict.BROKEN, f"with the rule deleted the tests could not run ({result.problem})"
    if result.unloaded:
        return Verdict.BROKEN, "with the rule deleted a test file no longer loads"
    failing = [str(t) for t in rule.tests if result.outcomes.get(str(t)) in BROKEN_OUTCOMES]
    if failing:
        return Verdict.CAUGHT, f"failed without the rule: {', '.join(failing)}"
    return Verdict.NOT_CAUGHT, "every test still passes with the rule deleted"


BROKEN_OUTCOMES = frozenset({Outcome.FAILED.value, Outcome.ERROR.value})


def run_tests(tree: Path, work: Path, tests: list[TestRef], name: str, timeout: float) -> Run:
    """Run ``tests`` in ``tree``: pytest by node id (stopping at the first failure), node by
    file. Tests the runs did not report are left out of the outcomes."""
    outcomes: dict[str, str] = {}
    unloaded = False
    python = [str(test) for test in tests if test.runner is Runner.PYTEST]
    files = sorted({test.file for test in tests if test.runner is Runner.NODE})
    suites: list[SuiteCounts] = []
    if python:
        options = () if name == "baseline" else ("-x",)
        suites.append(run_pytest(tree, work, python, name, timeout, options))
    if files:
        suites.append(run_node_tests(tree, work, files, name, timeout=timeout))
    for suite in suites:
        if suite.problem:
            return Run({}, problem=suite.problem)
        unloaded = unloaded or any(_unloaded(case) for case in suite.cases)
        for case in suite.cases:
            key = f"{case.file}::{case.name}"
            if case.outcome is not Outcome.PASSED or key not in outcomes:
                outcomes[key] = case.outcome.value
    return Run(outcomes, unloaded)


def _unloaded(case: Case) -> bool:
    return case.name in LOAD_FAILURES and case.outcome is not Outcome.PASSED


def judge(rules: list[Rule], verdicts: dict[str, tuple[Verdict, str]]) -> CheckResult:
    """FAIL unless every rule was caught."""
    violations = [
        f"{rule.id} {verdicts[rule.id][0].value} ({rule.file}: {rule.rule}): {verdicts[rule.id][1]}"
        for rule in rules
        if verdicts[rule.id][0] is not Verdict.CAUGHT
    ]
    counts = {verdict.value.replace(" ", "_"): 0 for verdict in Verdict}
    for verdict, _ in verdicts.values():
        counts[verdict.value.replace(" ", "_")] += 1
    counts["rules"] = len(rules)
    details = {
        "rules": {
            rule.id: {
                "rule": rule.rule,
                "file": rule.file,
                "verdict": verdicts[rule.id][0].value,
                "why": verdicts[rule.id][1],
                "tests": [str(test) for test in rule.tests],
            }
            for rule in rules
        }
    }
    caught = counts["caught"]
    return conclude(
        violations,
        [],
        counts,
        f"all {len(rules)} rules caught: deleting any one fails a test",
        f"{len(rules) - caught} of {len(rules)} rules not shown caught when deleted",
        details,
    )


pytestmark = pytest.mark.check(
    "Deleting any catalogued security rule fails one of its tests", "build"
)


def test_rule_deletions_caught(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
