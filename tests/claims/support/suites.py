"""Run the project's own test suites (pytest, node --test) and count what they report.

Several checks prove a claim by re-running tests against the tree under
examination: this module starts those runs and reads the JSON reports that
evidence/pytest_plugin.py and evidence/node_reporter.mjs write into one shape,
``SuiteCounts``. Nothing here
judges: a check decides what the counts mean for its claim.

Every run is bounded by a timeout, runs in its own process group (so a
timed-out run leaves no children behind), never talks to the shared Redis
(REDIS_URL is removed, so the suite starts its own embedded one) and imports
the project from the examined tree (PYTHONPATH puts ``ctx.root`` first).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from atopos_site.testing.processes import base_env
from evidence.check import CheckResult, could_not_run, judged

PYTEST_TIMEOUT = 600.0
NODE_TIMEOUT = 300.0


class Outcome(StrEnum):
    """How one test ended."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Case:
    """One reported test: the file it lives in (relative to the root), its name, its outcome."""

    file: str
    name: str
    outcome: Outcome


@dataclass(frozen=True)
class SuiteCounts:
    """What one suite run reported; ``problem`` says why it could not run, if it could not."""

    runner: str
    cases: tuple[Case, ...] = ()
    problem: str = ""
    files: tuple[str, ...] = field(default=())

    def count(self, outcome: Outcome) -> int:
        return sum(1 for case in self.cases if case.outcome is outcome)

    @property
    def total(self) -> int:
        return len(self.cases)

    @property
    def passed(self) -> int:
        return self.count(Outcome.PASSED)

    @property
    def broken(self) -> int:
        """Failed or errored tests: any of them means the property did not hold."""
        return self.count(Outcome.FAILED) + self.count(Outcome.ERROR)

    def per_file(self) -> dict[str, dict[str, int]]:
        """Counts by outcome for every file run (a file that reported nothing shows zeros)."""
        table: dict[str, Counter[str]] = {name: Counter() for name in self.files}
        for case in self.cases:
            table.setdefault(case.file, Counter())[case.outcome.value] += 1
        return {
            name: {outcome.value: counts[outcome.value] for outcome in Outcome}
            for name, counts in sorted(table.items())
        }

    def failures(self, label: str) -> list[str]:
        """One publishable line per failed or errored test."""
        return [
            f"{label} {case.file}: {case.outcome.value}: {case.name}"
            for case in self.cases
            if case.outcome in (Outcome.FAILED, Outcome.ERROR)
        ]

    def counts(self, prefix: str) -> dict[str, int]:
        """Totals for a CheckResult's ``counts``, keyed ``<prefix>_<outcome>``."""
        totals = {f"{prefix}_{outcome.value}": self.count(outcome) for outcome in Outcome}
        return {f"{prefix}_tests": self.total, **totals}

    def details(self) -> dict[str, Any]:
        return {"runner": self.runner, "files": self.per_file(), "problem": self.problem}


# --- processes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    """A finished subprocess: its exit status and its combined output (None on timeout)."""

    returncode: int | None
    output: str


def suite_env(root: Path) -> dict[str, str]:
    """The environment for a suite run: test settings, a private Redis, the examined tree first."""
    path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH", "")]))
    env = base_env(REDIS_URL="", ATOPOS_ENV="test", PYTHONPATH=path, PYTHONDONTWRITEBYTECODE="1")
    env.pop("NODE_OPTIONS", None)  # a debugger or loader hook here would change what node runs
    return env


def run_bounded(
    command: list[str], cwd: Path, env: dict[str, str], timeout: float, log: Path | None = None
) -> Finished:
    """Run ``command`` in its own process group; on timeout kill the whole group.

    The output is kept in ``log`` (a scratch file) for whoever debugs a failed
    run; it is never put in a result, as it may name paths of this machine.
    """
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        returncode: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        returncode = None
    text = output.decode("utf-8", "replace")
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(text, encoding="utf-8")
    return Finished(returncode, text)


def scratch(work: Path, name: str) -> Path:
    """An empty scratch directory ``work/name`` (emptied if a previous run left one)."""
    directory = work / name
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory


# --- pytest -----------------------------------------------------------------------------


def run_pytest(
    root: Path,
    work: Path,
    paths: list[str],
    name: str,
    timeout: float = PYTEST_TIMEOUT,
    options: tuple[str, ...] = (),
) -> SuiteCounts:
    """Run pytest on ``paths`` (relative to ``root``, node ids allowed) and read its report.

    The report is the one evidence/pytest_plugin.py writes from pytest's own
    hooks. The run starts in a scratch directory so that nothing (hypothesis'
    database, caches) is written into the examined tree; pytest still finds
    the project's configuration from the paths' pyproject.toml.
    """
    missing = [path for path in paths if not (root / path.split("::")[0]).exists()]
    files = tuple(sorted({path.split("::")[0] for path in paths if ".py" in path}))
    if missing:
        return SuiteCounts("pytest", problem=f"missing test paths: {', '.join(missing)}")
    cwd = scratch(work, f"pytest-{name}")
    report = cwd / "report.json"
    # -v names each test as it starts, so a run that times out can say which test hung.
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider"]
    command += [f"--evidence-report={report}", *options]
    command += [str(root / path) for path in paths]
    env = suite_env(root) | {"PYTHONUNBUFFERED": "1"}  # a killed run keeps its last line
    finished = run_bounded(command, cwd, env, timeout, cwd / "output.log")
    if finished.returncode is None:
        hung = unfinished_test(finished.output, cwd, root)
        during = f" ({hung} had not finished)" if hung else ""
        return SuiteCounts("pytest", problem=f"pytest did not finish within {timeout:.0f}s{during}")
    if not report.is_file():
        return SuiteCounts(
            "pytest", problem=f"pytest exited with {finished.returncode} and wrote no report"
        )
    cases = [_pytest_case(test) for test in json.loads(report.read_text(encoding="utf-8"))["tests"]]
    problem = (
        "" if finished.returncode in (0, 1, 2, 5) else f"pytest exited with {finished.returncode}"
    )
    return SuiteCounts("pytest", tuple(cases), problem, files)


def unfinished_test(output: str, cwd: Path, root: Path) -> str:
    """The test ``pytest -v`` (run in ``cwd``) had started and not finished, if any.

    Verbose pytest writes a test's id when it starts and its outcome when it
    ends, so an id alone on the last line is the test that was running. It is
    given relative to ``root``, naming no path of this machine.
    """
    lines = output.rstrip().splitlines()
    last = lines[-1].strip() if lines else ""
    path, separator, name = last.partition("::")
    if not separator or " " in last:
        return ""
    try:
        relative = (cwd / path).resolve().relative_to(root.resolve())
    except ValueError:
        return ""
    return f"{relative.as_posix()}::{name}"


def _pytest_case(test: dict[str, Any]) -> Case:
    """``tests/a/test_b.py::test_c[x]`` -> the file and the test's name in it."""
    file, _, name = str(test["nodeid"]).partition("::")
    return Case(file, name, Outcome(test["outcome"]))


# --- node --test ------------------------------------------------------------------------

NODE_REPORTER = Path(__file__).resolve().parents[3] / "evidence" / "node_reporter.mjs"


def run_node_tests(
    root: Path,
    work: Path,
    files: list[str],
    name: str,
    pattern: dict[str, str] | None = None,
    timeout: float = NODE_TIMEOUT,
) -> SuiteCounts:
    """Run ``node --test`` once per file (so each test is attributed to its file).

    ``pattern`` maps a file to a ``--test-name-pattern``: only matching tests
    (or tests in matching suites) run there, the rest are reported skipped.
    Results come from evidence/node_reporter.mjs, which writes them as JSON.
    """
    node = shutil.which("node")
    if node is None:
        return SuiteCounts("node", problem="node is not installed")
    missing = [path for path in files if not (root / path).is_file()]
    if missing:
        return SuiteCounts("node", problem=f"missing test files: {', '.join(missing)}")
    cwd = scratch(work, f"node-{name}")
    reporter = root / "evidence" / "node_reporter.mjs"
    reporter = reporter if reporter.is_file() else NODE_REPORTER
    cases: list[Case] = []
    for index, path in enumerate(files):
        report = cwd / f"{index}.json"
        command = [node, "--test", f"--test-reporter={reporter}"]
        command.append(f"--test-reporter-destination={report}")
        if pattern and path in pattern:
            command.append(f"--test-name-pattern={pattern[path]}")
        command.append(str(root / path))
        finished = run_bounded(command, root, suite_env(root), timeout, cwd / f"{index}.log")
        if finished.returncode is None:
            return SuiteCounts("node", problem=f"{path} did not finish within {timeout:.0f}s")
        if not report.is_file() or not report.stat().st_size:
            return SuiteCounts("node", problem=f"{path}: node wrote no report")
        tests = json.loads(report.read_text(encoding="utf-8"))["tests"]
        cases.extend(_node_cases(tests, path, root))
    return SuiteCounts("node", tuple(cases), "", tuple(files))


def _node_cases(tests: list[dict[str, Any]], file: str, root: Path) -> list[Case]:
    """The reporter's tests as cases; node names the file itself when it could not run it."""
    whole_file = {str(root / file), str((root / file).resolve())}
    cases: list[Case] = []
    for test in tests:
        name, outcome = str(test["name"]), Outcome(test["outcome"])
        if name in whole_file:
            if outcome is Outcome.PASSED:  # a file with no test in it
                continue
            name = "(the file failed to load or run)"
        cases.append(Case(file, name, outcome))
    return cases


# --- verdicts ---------------------------------------------------------------------------


def suite_problems(label: str, suite: SuiteCounts) -> list[str]:
    """Why ``suite`` is no evidence at all: it could not run, or it ran no test."""
    if suite.problem:
        return [f"{label}: {suite.problem}"]
    if suite.total == 0:
        return [f"{label}: no test was collected"]
    if suite.passed == 0 and suite.broken == 0:
        return [f"{label}: every test was skipped"]
    return []


def conclude(
    violations: list[str],
    problems: list[str],
    counts: dict[str, int],
    clean: str,
    dirty: str,
    details: dict[str, Any],
) -> CheckResult:
    """FAIL on any violation (naming what could not run too), else ERROR on any problem."""
    if violations:
        noted = [f"could not run: {problem}" for problem in problems]
        return judged(violations + noted, counts, clean, dirty, details)
    if problems:
        return replace(could_not_run("; ".join(problems), counts), details=details)
    return judged([], counts, clean, dirty, details)
