"""The attack catalogue: its loader, and how its check turns test outcomes into verdicts.

The check itself runs the suites (tests/evidence/test_build_checks.py runs it
on a seeded tree); here its pure parts are fed outcomes directly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evidence.attacks import (
    ATTACKS_FILE,
    CHECK_ID,
    CatalogueError,
    Runner,
    load_attacks,
    parse_test,
)
from evidence.check import CheckResult, Status
from evidence.claims import Claim, judge, load_claims
from evidence.runner import build_summary
from tests.claims import test_attacks_refused as attacks_refused
from tests.claims.support.context import PROJECT_ROOT
from tests.claims.support.suites import Case, Outcome, SuiteCounts

CLAIMS = load_claims()
ATTACKS = load_attacks(claims=CLAIMS)
PY = "tests/attacks/test_a.py"
JS = "tests/js/a.test.js"

ENTRY = """
[[attack]]
id = "A01"
title = "Mallory tries"
threat = "Mallory, a link holder, tries something."
claim = "C22"
tests = ["tests/attacks/test_a.py::test_refused"]
"""


def catalogue(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "attacks.toml"
    path.write_text(text, encoding="utf-8")
    return path


# The project's catalogue ---------------------------------------------------------------------


def test_the_catalogue_agrees_with_the_claims_matrix():
    """Every attack names a claim that lists attacks_refused, and each such claim has one."""
    attacked = {attack.claim for attack in ATTACKS}
    listing = {claim.id for claim in CLAIMS if CHECK_ID in claim.checks}
    assert attacked == listing
    assert "C22" in attacked
    assert [attack.id for attack in ATTACKS] == [f"A{n:02d}" for n in range(1, len(ATTACKS) + 1)]


def test_every_catalogued_python_test_is_defined_where_the_catalogue_says():
    """A quick guard for typos, without running anything (the check runs them all, and
    finds node tests, whose names may come from the vectors, in node's own report)."""
    for attack in ATTACKS:
        for test in attack.tests:
            source = (PROJECT_ROOT / test.file).read_text(encoding="utf-8")
            if test.runner is Runner.PYTEST:
                function = test.name.split("[")[0]
                assert re.search(rf"^(async )?def {function}\(", source, re.M), test


def test_c22_is_proven_by_its_attacks_and_no_pattern():
    """C22 names the catalogue's check only; the relay attacks it lists are its proof."""
    c22 = next(claim for claim in CLAIMS if claim.id == "C22")
    assert c22.checks == (CHECK_ID,)
    titles = [attack.title for attack in ATTACKS if attack.claim == "C22"]
    assert "The relay swaps the server shard" in titles
    assert "The relay withholds a kick from some members" in titles


# The loader ----------------------------------------------------------------------------------


def test_a_test_id_names_a_file_and_an_exact_test():
    py = parse_test("tests/protocol/test_x.py::test_genesis[relay-swapped-shard]")
    js = parse_test("tests/js/attacks.test.js::a suite > a test: with a colon")
    assert (py.file, py.name, py.runner) == (
        "tests/protocol/test_x.py", "test_genesis[relay-swapped-shard]", Runner.PYTEST,
    )  # fmt: skip
    assert (js.file, js.name, js.runner) == (
        "tests/js/attacks.test.js", "a suite > a test: with a colon", Runner.NODE,
    )  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "tests/x/test_y.py",  # a file, not a test
        "tests/x/test_y.py::TestClass::test_z",  # classes are lost in the junit report
        "tests/x/test_y.py::test_*",  # no patterns
        "tests/../etc/test_y.py::test_z",
        "tests/js/x.test.js:: leading space",
        "static/js/x.js::a test",
    ],
)
def test_a_malformed_test_id_is_refused(text):
    with pytest.raises(CatalogueError, match="must be tests/"):
        parse_test(text)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('id = "A01"', 'id = "X1"'), "must look like A01"),
        (lambda t: t + t, "unique"),
        (lambda t: t.replace("threat =", "threats ="), "unknown field"),
        (lambda t: t.replace('"Mallory, a link holder, tries something."', '" "'), "threat"),
        (lambda t: t.replace('claim = "C22"', 'claim = "22"'), "claim id"),
        (lambda t: t.replace('tests = ["tests/attacks/test_a.py::test_refused"]', "tests = []"),
         "non-empty list"),
        (lambda t: t.replace('"tests/attacks/test_a.py::test_refused"',
                             '"tests/attacks/test_a.py::test_refused", '
                             '"tests/attacks/test_a.py::test_refused"'), "listed twice"),
        (lambda t: "", "lists no attack"),
        (lambda t: t + '\n[other]\nx = 1\n', "holds only"),
    ],
)  # fmt: skip
def test_a_malformed_catalogue_is_refused(tmp_path, change, message):
    with pytest.raises(CatalogueError, match=message):
        load_attacks(catalogue(tmp_path, change(ENTRY)))


def test_an_attack_must_name_a_claim_that_lists_the_check(tmp_path):
    path = catalogue(tmp_path, ENTRY)
    plain = Claim("C22", "x", ("y",), ("other_check",))
    with pytest.raises(CatalogueError, match="C22 does not list attacks_refused"):
        load_attacks(path, [plain])
    with pytest.raises(CatalogueError, match="no claim C22"):
        load_attacks(path, [])


def test_a_claim_listing_the_check_needs_an_attack(tmp_path):
    claims = [
        Claim("C22", "x", ("y",), (CHECK_ID,)),
        Claim("C05", "x", ("y",), (CHECK_ID,)),
    ]
    with pytest.raises(CatalogueError, match="C05 lists attacks_refused but no attack names it"):
        load_attacks(catalogue(tmp_path, ENTRY), claims)


def test_the_shipped_catalogue_reads_as_plain_text():
    """Multi-line TOML strings are joined into one line each."""
    assert ATTACKS_FILE.is_file()
    assert all("\n" not in attack.threat and "  " not in attack.threat for attack in ATTACKS)
    withheld = next(attack for attack in ATTACKS if attack.id == "A04")
    assert withheld.limit.startswith("Until the member left behind receives any frame")


# Verdicts ------------------------------------------------------------------------------------


def two_claims(tmp_path: Path) -> list:
    text = ENTRY + ENTRY.replace('"A01"', '"A02"').replace('"C22"', '"C16"').replace(
        "tests/attacks/test_a.py::test_refused", "tests/js/a.test.js::suite > refused too"
    )
    return load_attacks(catalogue(tmp_path, text))


def test_every_test_passing_refuses_the_attack_and_proves_its_claim(tmp_path):
    attacks = two_claims(tmp_path)
    result = attacks_refused.judge(
        attacks,
        {f"{PY}::test_refused": "passed", f"{JS}::suite > refused too": "passed"},
        {"python": SuiteCounts("pytest"), "js": SuiteCounts("node")},
    )
    assert result.status is Status.PASS
    assert result.claims == {"C16": "pass", "C22": "pass"}
    assert result.details["attacks"]["A02"] == {
        "claim": "C16",
        "verdict": "refused",
        "tests": {f"{JS}::suite > refused too": "passed"},
    }


@pytest.mark.parametrize(
    ("outcome", "verdict", "claim"),
    [
        ("failed", "not refused", "fail"),
        ("error", "not refused", "fail"),
        ("skipped", "not refused", "fail"),
        ("missing", "missing", "fail"),
        ("not run", "could not run", "error"),
    ],
)
def test_an_attack_not_shown_refused_touches_its_own_claim_only(tmp_path, outcome, verdict, claim):
    """A02's test did not pass: C16 is not proven by it, while C22 keeps its pass."""
    attacks = two_claims(tmp_path)
    result = attacks_refused.judge(
        attacks,
        {f"{PY}::test_refused": "passed", f"{JS}::suite > refused too": outcome},
        {"python": SuiteCounts("pytest"), "js": SuiteCounts("node")},
    )
    assert result.claims == {"C16": claim, "C22": "pass"}
    assert result.details["attacks"]["A02"]["verdict"] == verdict
    assert result.status is (Status.ERROR if claim == "error" else Status.FAIL)
    assert result.reasons == [f"A02 {verdict}: {JS}::suite > refused too ({outcome})"]


def test_a_test_absent_from_the_outcomes_is_missing(tmp_path):
    attacks = two_claims(tmp_path)
    result = attacks_refused.judge(
        attacks,
        {f"{PY}::test_refused": "passed"},
        {"python": SuiteCounts("pytest"), "js": SuiteCounts("node")},
    )
    assert result.claims["C16"] == "fail"
    assert result.counts["missing"] == 1


def suite(*cases: Case, problem: str = "") -> SuiteCounts:
    return SuiteCounts("pytest", cases, problem)


def test_outcomes_are_read_by_exact_name():
    test = parse_test(f"{PY}::test_refused[case]")
    present = {PY}
    passed = Case(PY, "test_refused[case]", Outcome.PASSED)
    assert attacks_refused.outcome_of(test, suite(passed), present) == "passed"
    renamed = Case(PY, "test_refused_renamed[case]", Outcome.PASSED)
    assert attacks_refused.outcome_of(test, suite(renamed), present) == "missing"
    unloaded = Case(PY, "(collection)", Outcome.ERROR)
    assert attacks_refused.outcome_of(test, suite(unloaded), present) == "error"
    assert attacks_refused.outcome_of(test, suite(passed), set()) == "missing"
    assert attacks_refused.outcome_of(test, suite(problem="pytest crashed"), present) == "not run"
    repeated = suite(passed, Case(PY, "test_refused[case]", Outcome.FAILED))
    assert attacks_refused.outcome_of(test, repeated, present) == "failed"


# How claims use the per-claim verdicts -------------------------------------------------------


def test_a_claim_takes_its_own_verdict_from_a_check_that_judges_claims():
    both = Claim("C22", "x", ("y",), ("alpha", CHECK_ID))
    statuses = {"alpha": "pass", CHECK_ID: "fail"}
    verdicts = {CHECK_ID: {"C22": "pass", "C16": "fail"}}
    assert judge(both, statuses, verdicts).proven
    other = Claim("C16", "x", ("y",), (CHECK_ID,))
    assert judge(other, statuses, verdicts).reason == f"not passed: {CHECK_ID} (fail)"
    unjudged = Claim("C05", "x", ("y",), (CHECK_ID,))
    assert judge(unjudged, statuses, verdicts).reason == f"not passed: {CHECK_ID} (no-verdict)"
    # A check without per-claim verdicts speaks through its status, as before.
    assert not judge(both, statuses, {}).proven


def test_the_run_summary_uses_the_per_claim_verdicts():
    result = CheckResult(
        Status.FAIL, "one attack not refused", claims={"C22": "pass", "C16": "fail"}
    )
    claims = [
        Claim("C22", "relay", ("y",), (CHECK_ID,)),
        Claim("C16", "replays", ("y",), (CHECK_ID,)),
    ]
    summary = build_summary(claims, {CHECK_ID: (None, result, 1.0)}, "20261123T071500Z-abcdef0",
                            "2026-11-23T07:15:00Z", "a" * 40, remote=False)  # fmt: skip
    assert [(claim["id"], claim["status"]) for claim in summary["claims"]] == [
        ("C22", "proven"),
        ("C16", "unproven"),
    ]
    assert summary["overall"] == "fail"
    assert summary["checks"][CHECK_ID]["claims"] == {"C22": "pass", "C16": "fail"}
