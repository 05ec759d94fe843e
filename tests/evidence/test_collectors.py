"""The collectors the evidence runner reads: pytest's plugin and node's reporter, run for real.

Each test writes a tiny suite into a temporary tree, runs it through
``_suites.run_pytest`` or ``_suites.run_node_tests`` (real pytest and node
processes, hence the integration mark) and asserts every test's file, name
and outcome exactly, as pytest and node themselves reported them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.claims.support import suites as _suites
from tests.claims.support.context import PROJECT_ROOT
from tests.claims.support.suites import Case, Outcome

pytestmark = pytest.mark.integration

PYTHON_SUITE = """
import pytest

def test_ok():
    pass

@pytest.mark.claim("C16")
def test_claimed():
    pass

def test_bad():
    assert 1 == 2

@pytest.mark.parametrize("case", ["x"])
def test_skip(case):
    pytest.skip("not here")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown")

def test_teardown(broken_teardown):
    pass
"""

ATTACKS = """
[[attack]]
id = "A01"
title = "t"
threat = "t"
claim = "C22"
tests = ["tests/test_b.py::test_ok"]
"""

NODE_SUITE = """
import { describe, it, test } from 'node:test';
import assert from 'node:assert';
describe('outer', () => {
  describe('inner # hash', () => {
    it('leaf one', () => assert.fail('no'));
    it('leaf two', () => {});
  });
  it('skipped', { skip: true }, () => {});
});
test('alone', () => {});
"""


def python_tree(tmp_path: Path) -> Path:
    """A project with the evidence plugin, one test file and an attack catalogue."""
    root = tmp_path / "tree"
    (root / "tests").mkdir(parents=True)
    (root / "evidence").mkdir()
    shutil.copy2(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "tests" / "test_b.py").write_text(PYTHON_SUITE, encoding="utf-8")
    (root / "tests" / "test_c.py").write_text("import nowhere_at_all\n", encoding="utf-8")
    (root / "evidence" / "attacks.toml").write_text(ATTACKS, encoding="utf-8")
    return root


def test_the_pytest_plugin_reports_every_test_by_node_id_with_its_outcome(tmp_path):
    root = python_tree(tmp_path)
    suite = _suites.run_pytest(
        root, tmp_path / "work", ["tests"], "b", options=("--continue-on-collection-errors",)
    )
    assert suite.problem == ""
    assert sorted(suite.cases, key=lambda case: (case.file, case.name)) == [
        Case("tests/test_b.py", "test_bad", Outcome.FAILED),
        Case("tests/test_b.py", "test_claimed", Outcome.PASSED),
        Case("tests/test_b.py", "test_ok", Outcome.PASSED),
        Case("tests/test_b.py", "test_skip[x]", Outcome.SKIPPED),
        Case("tests/test_b.py", "test_teardown", Outcome.ERROR),
        Case("tests/test_c.py", "(collection)", Outcome.ERROR),
    ]


def test_the_report_names_the_claims_of_marked_and_catalogued_tests(tmp_path):
    root = python_tree(tmp_path)
    _suites.run_pytest(root, tmp_path / "work", ["tests/test_b.py"], "claims")
    report = json.loads((tmp_path / "work" / "pytest-claims" / "report.json").read_text())
    claims = {test["nodeid"]: test["claims"] for test in report["tests"]}
    assert claims["tests/test_b.py::test_claimed"] == ["C16"]
    assert claims["tests/test_b.py::test_ok"] == ["C22"]  # from the attack catalogue
    assert claims["tests/test_b.py::test_bad"] == []
    assert report["exitstatus"] == 1
    assert all(test["duration"] >= 0 for test in report["tests"])


needs_node = pytest.mark.skipif(not shutil.which("node"), reason="needs node")


@needs_node
def test_the_node_reporter_names_leaves_by_their_suites_and_leaves_suites_out(tmp_path):
    root = tmp_path / "tree"
    (root / "tests" / "js").mkdir(parents=True)
    (root / "tests" / "js" / "x.test.js").write_text(NODE_SUITE, encoding="utf-8")
    suite = _suites.run_node_tests(root, tmp_path / "work", ["tests/js/x.test.js"], "x")
    assert suite.problem == ""
    assert list(suite.cases) == [
        Case("tests/js/x.test.js", "outer > inner # hash > leaf one", Outcome.FAILED),
        Case("tests/js/x.test.js", "outer > inner # hash > leaf two", Outcome.PASSED),
        Case("tests/js/x.test.js", "outer > skipped", Outcome.SKIPPED),
        Case("tests/js/x.test.js", "alone", Outcome.PASSED),
    ]


@needs_node
def test_a_node_file_that_fails_to_load_is_one_failure_and_an_empty_file_is_nothing(tmp_path):
    root = tmp_path / "tree"
    (root / "tests" / "js").mkdir(parents=True)
    (root / "tests" / "js" / "bad.test.js").write_text("import x from './gone.js';\n")
    (root / "tests" / "js" / "empty.test.js").write_text("\n")
    files = ["tests/js/bad.test.js", "tests/js/empty.test.js"]
    suite = _suites.run_node_tests(root, tmp_path / "work", files, "load")
    assert suite.problem == ""
    assert list(suite.cases) == [
        Case("tests/js/bad.test.js", "(the file failed to load or run)", Outcome.FAILED)
    ]
