"""Every attack in the catalogue (evidence/attacks.toml) is refused: its tests run and pass.

Each attack names the tests that perform it end to end (a malicious relay, a
removed member, a link holder, a flood...) in the Python reference and the
browser client. The check runs every file those tests live in, under pytest
and node, on the examined tree, and finds each listed test by its exact name
in the reports. An attack is *refused* when every one of its tests ran and
passed; *not refused* when one failed, errored or was skipped; *missing* when
one was not collected (renamed, deleted, or its file is gone), which fails
like a refusal that did not happen; *could not run* when its suite could not
run at all.

Each claim gets its own verdict from its attacks (``CheckResult.claims``):
pass when all were refused, fail when one was not refused or is missing,
error when one could not run. A failing attack of one claim therefore leaves
the others' verdicts alone, while the check as a whole fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import pytest

from evidence.attacks import Attack, CatalogueError, Runner, TestRef, by_claim, load_attacks
from evidence.check import CheckResult, Status, could_not_run
from evidence.claims import ClaimsFileError, load_claims
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.suites import (
    Outcome,
    SuiteCounts,
    conclude,
    run_node_tests,
    run_pytest,
)

CATALOGUE = "evidence/attacks.toml"
CLAIMS = "evidence/claims.toml"
# What the suites report for a file that could not be loaded at all.
LOAD_FAILURES = ("(collection)", "(the file failed to load or run)")
MISSING = "missing"
NOT_RUN = "not run"


class Verdict(StrEnum):
    """What happened to one attack."""

    REFUSED = "refused"
    NOT_REFUSED = "not refused"
    MISSING = "missing"
    COULD_NOT_RUN = "could not run"


def verdict_of(outcomes: Iterable[str]) -> Verdict:
    """Refused only if every test passed; a test that ran and did not pass comes first."""
    found = set(outcomes)
    if found - {Outcome.PASSED.value, MISSING, NOT_RUN}:
        return Verdict.NOT_REFUSED
    if MISSING in found:
        return Verdict.MISSING
    if NOT_RUN in found:
        return Verdict.COULD_NOT_RUN
    return Verdict.REFUSED


def outcome_of(test: TestRef, suite: SuiteCounts, present: set[str]) -> str:
    """passed, failed, error or skipped as reported; missing; or not run (suite problem)."""
    if test.file not in present:
        return MISSING
    if suite.problem:
        return NOT_RUN
    in_file = [case for case in suite.cases if case.file == test.file]
    named = [case.outcome for case in in_file if case.name == test.name]
    if not named:  # not collected: renamed or deleted, unless the whole file failed to load
        unloaded = any(case.name in LOAD_FAILURES for case in in_file)
        return Outcome.ERROR.value if unloaded else MISSING
    for outcome in (Outcome.ERROR, Outcome.FAILED, Outcome.SKIPPED):
        if outcome in named:
            return outcome.value
    return Outcome.PASSED.value


CLAIM_STATUS = {
    Verdict.REFUSED: Status.PASS,
    Verdict.NOT_REFUSED: Status.FAIL,
    Verdict.MISSING: Status.FAIL,
    Verdict.COULD_NOT_RUN: Status.ERROR,
}


def claim_status(verdicts: Iterable[Verdict]) -> Status:
    """A claim's verdict from its attacks': the worst of them (fail before error)."""
    statuses = {CLAIM_STATUS[verdict] for verdict in verdicts}
    for status in (Status.FAIL, Status.ERROR):
        if status in statuses:
            return status
    return Status.PASS


def judge(
    attacks: list[Attack], outcomes: dict[str, str], suites: dict[str, SuiteCounts]
) -> CheckResult:
    """Each attack's verdict from its tests' outcomes (``str(test)`` -> outcome)."""
    verdicts = {
        attack.id: verdict_of(outcomes.get(str(test), MISSING) for test in attack.tests)
        for attack in attacks
    }
    violations: list[str] = []
    problems: list[str] = []
    for attack in attacks:
        verdict = verdicts[attack.id]
        if verdict is Verdict.REFUSED:
            continue
        unpassed = [
            f"{test} ({outcomes.get(str(test), MISSING)})"
            for test in attack.tests
            if outcomes.get(str(test), MISSING) != Outcome.PASSED.value
        ]
        line = f"{attack.id} {verdict.value}: {'; '.join(unpassed)}"
        (problems if verdict is Verdict.COULD_NOT_RUN else violations).append(line)
    problems += [f"{label}: {suite.problem}" for label, suite in suites.items() if suite.problem]
    counts = {verdict.value.replace(" ", "_"): 0 for verdict in Verdict}
    for verdict in verdicts.values():
        counts[verdict.value.replace(" ", "_")] += 1
    counts |= {
        "attacks": len(attacks),
        "tests": len(outcomes),
        "tests_passed": sum(1 for o in outcomes.values() if o == Outcome.PASSED.value),
        "claims": len(by_claim(attacks)),
    }
    claims = {
        claim: claim_status(verdicts[attack.id] for attack in listed).value
        for claim, listed in sorted(by_claim(attacks).items())
    }
    details = {
        "attacks": {
            attack.id: {
                "claim": attack.claim,
                "verdict": verdicts[attack.id].value,
                "tests": {str(test): outcomes.get(str(test), MISSING) for test in attack.tests},
            }
            for attack in attacks
        },
        **{label: suite.details() for label, suite in suites.items()},
    }
    refused = counts["refused"]
    result = conclude(
        violations,
        problems,
        counts,
        f"all {len(attacks)} attacks refused ({counts['tests_passed']} tests passed)",
        f"{len(attacks) - refused} of {len(attacks)} attacks not shown refused (failed, "
        "missing or not run)",
        details,
    )
    return replace(result, claims=claims)


def run(ctx: Context) -> CheckResult:
    """Run the suites the catalogue's tests live in and judge every attack."""
    try:
        claims = load_claims(ctx.root / CLAIMS)
        attacks = load_attacks(ctx.root / CATALOGUE, claims)
    except (ClaimsFileError, CatalogueError) as error:
        return could_not_run(f"the attack catalogue cannot be used: {error}")
    tests = [test for attack in attacks for test in attack.tests]
    present = {test.file for test in tests if (ctx.root / test.file).is_file()}
    work = ctx.work / "attacks_refused"
    suites = {
        "python": _run(ctx.root, work, Runner.PYTEST, _files(tests, Runner.PYTEST, present)),
        "js": _run(ctx.root, work, Runner.NODE, _files(tests, Runner.NODE, present)),
    }
    outcomes = {
        str(test): outcome_of(test, suites["python" if test.runner is Runner.PYTEST else "js"],
                              present)
        for test in tests
    }  # fmt: skip
    return judge(attacks, outcomes, suites)


def _files(tests: list[TestRef], runner: Runner, present: set[str]) -> list[str]:
    return sorted({test.file for test in tests if test.runner is runner and test.file in present})


def _run(root: Path, work: Path, runner: Runner, files: list[str]) -> SuiteCounts:
    if not files:
        return SuiteCounts(runner.value)
    if runner is Runner.PYTEST:
        # A file that fails to import makes its own attacks fail, not every other one.
        return run_pytest(
            root, work, files, "attacks", options=("--continue-on-collection-errors",)
        )
    return run_node_tests(root, work, files, "attacks")


pytestmark = pytest.mark.check(
    "Every catalogued attack is refused: each of its tests runs and passes", "build"
)


def test_attacks_refused(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
