"""Run the project's own test suites (pytest, node --test) and count what they report.

Several checks prove a claim by re-running tests against the tree under
examination: this module starts those runs and reads their reports (pytest's
junit XML, node's TAP stream) into one shape, ``SuiteCounts``. Nothing here
judges: a check decides what the counts mean for its claim.

Every run is bounded by a timeout, runs in its own process group (so a
timed-out run leaves no children behind), never talks to the shared Redis
(REDIS_URL is removed, so the suite starts its own embedded one) and imports
the project from the examined tree (PYTHONPATH puts ``ctx.root`` first).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
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
    process = subprocess.Popen(  # noqa: S603 - fixed argument lists built by the checks
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
    """Run pytest on ``paths`` (relative to ``root``, node ids allowed) and read its junit XML.

    The run starts in a scratch directory so that nothing (hypothesis'
    database, caches) is written into the examined tree; pytest still finds
    the project's configuration from the paths' pyproject.toml.
    """
    missing = [path for path in paths if not (root / path.split("::")[0]).exists()]
    files = tuple(sorted({path.split("::")[0] for path in paths if ".py" in path}))
    if missing:
        return SuiteCounts("pytest", problem=f"missing test paths: {', '.join(missing)}")
    cwd = scratch(work, f"pytest-{name}")
    report = cwd / "junit.xml"
    # -v names each test as it starts, so a run that times out can say which test hung.
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider"]
    command += [f"--junitxml={report}", "-o", "junit_family=xunit2", *options]
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
    cases = parse_junit(report.read_text(encoding="utf-8"), root)
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


def parse_junit(xml: str, root: Path) -> list[Case]:
    """Every testcase of a pytest junit report, with the file it came from."""
    tree = ET.fromstring(xml)  # noqa: S314 - written by our own pytest run, not by a stranger
    return [_junit_case(element, root) for element in tree.iter("testcase")]


def _junit_case(element: ET.Element, root: Path) -> Case:
    classname, name = element.get("classname", ""), element.get("name", "")
    if not classname:  # a collection error: the name is the module's dotted path
        classname, name = name, "(collection)"
    outcome = Outcome.PASSED
    for child, meaning in (("skipped", Outcome.SKIPPED), ("failure", Outcome.FAILED)):
        if element.find(child) is not None:
            outcome = meaning
    if element.find("error") is not None:
        outcome = Outcome.ERROR
    return Case(_module_file(classname, root), name, outcome)


def _module_file(dotted: str, root: Path) -> str:
    """``tests.a.test_b.TestC`` -> ``tests/a/test_b.py`` (the longest prefix that is a file)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = "/".join(parts[:end]) + ".py"
        if (root / candidate).is_file():
            return candidate
    return "/".join(parts) + ".py"


# --- node --test ------------------------------------------------------------------------

_SUBTEST = re.compile(r"^(?P<indent> *)# Subtest: (?P<name>.*)$")
_RESULT = re.compile(
    r"^(?P<indent> *)(?P<status>ok|not ok) \d+ - (?P<name>.*?)"
    r"(?: # (?P<directive>SKIP|TODO)\b.*)?$"
)
_ESCAPED = re.compile(r"\\([\\#])")
_SUMMARY = re.compile(r"^# (?P<key>tests|suites|pass|fail|cancelled|skipped|todo) (?P<n>\d+)$")


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
    """
    node = shutil.which("node")
    if node is None:
        return SuiteCounts("node", problem="node is not installed")
    missing = [path for path in files if not (root / path).is_file()]
    if missing:
        return SuiteCounts("node", problem=f"missing test files: {', '.join(missing)}")
    cwd = scratch(work, f"node-{name}")
    cases: list[Case] = []
    for index, path in enumerate(files):
        command = [node, "--test", "--test-reporter=tap"]
        if pattern and path in pattern:
            command.append(f"--test-name-pattern={pattern[path]}")
        command.append(str(root / path))
        finished = run_bounded(command, root, suite_env(root), timeout, cwd / f"{index}.tap")
        if finished.returncode is None:
            return SuiteCounts("node", problem=f"{path} did not finish within {timeout:.0f}s")
        parsed, problem = parse_tap(finished.output, path, root)
        if problem:
            return SuiteCounts("node", problem=problem)
        cases.extend(parsed)
    return SuiteCounts("node", tuple(cases), "", tuple(files))


def parse_tap(text: str, file: str, root: Path) -> tuple[list[Case], str]:
    """The leaf tests of node's TAP stream, checked against its closing summary."""
    lines = text.splitlines()
    stack: list[str] = []
    cases: list[Case] = []
    summary: dict[str, int] = {}
    whole_file = {str(root / file), str((root / file).resolve())}
    empty_files = 0
    for index, line in enumerate(lines):
        if match := _SUBTEST.match(line):
            level = len(match["indent"]) // 4
            stack = [*stack[:level], _unescape(match["name"])]
        elif match := _RESULT.match(line):
            if _is_suite(lines, index + 1, len(match["indent"])):
                continue
            level = len(match["indent"]) // 4
            name = _unescape(match["name"])
            outcome = _tap_outcome(match["status"], match["directive"])
            if name in whole_file:  # node names the file itself when it ran no test in it
                if outcome is Outcome.PASSED:
                    empty_files += 1
                    continue
                name = "(the file failed to load or run)"
            qualified = " > ".join([*stack[:level], name])
            cases.append(Case(file, _relative(qualified, root), outcome))
        elif match := _SUMMARY.match(line):
            summary[match["key"]] = int(match["n"])
    if "tests" not in summary:
        return [], f"{file}: node printed no test summary"
    if summary["tests"] != len(cases) + empty_files:
        return (
            [],
            f"{file}: node counts {summary['tests']} tests but reports {len(cases)}",
        )
    return cases, ""


def _is_suite(lines: list[str], start: int, indent: int) -> bool:
    """Whether the YAML block after a result line marks it as a suite (describe)."""
    prefix = " " * (indent + 2)
    if start >= len(lines) or lines[start] != prefix + "---":
        return False
    for line in lines[start + 1 :]:
        if line == prefix + "...":
            return False
        if line == prefix + "type: 'suite'":
            return True
    return False


def _tap_outcome(status: str, directive: str | None) -> Outcome:
    if directive is not None:
        return Outcome.SKIPPED
    return Outcome.PASSED if status == "ok" else Outcome.FAILED


def _unescape(name: str) -> str:
    """Undo TAP's escaping of ``#`` and ``\\`` in test names."""
    return _ESCAPED.sub(r"\1", name)


def _relative(name: str, root: Path) -> str:
    """A file-level failure is named by its absolute path: keep only the part in the tree."""
    return name.replace(f"{root.resolve()}/", "").replace(f"{root}/", "")


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
