"""Run the checks that live on pytest (tests/claims/) and read their results from its report.

One pytest process runs every such check, sharing one live site, and writes
through evidence.pytest_plugin what each test recorded. Here that report
becomes one CheckResult per check: the worst outcome of its tests, their
counts added up, their summaries and violations. Nothing is parsed from
pytest's output; the output is kept in a scratch log for whoever debugs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.check import Check, CheckResult, Kind, Status
from evidence.pytest_plugin import check_id as check_of
from evidence.registry import claims_test

# Bounded: every check of a local run together takes a few minutes.
TIMEOUT_S = 1800.0
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    """What a run examines: the tree (tests point it at a seeded copy), a scratch
    directory, and a deployment we do not run (then only the remote checks run)."""

    root: Path = PROJECT_ROOT
    work: Path = PROJECT_ROOT / "var" / "evidence-work"
    base_url: str | None = None

    @property
    def remote(self) -> bool:
        return self.base_url is not None


@dataclass
class Collected:
    """What one pytest run of the checks gave: results by check id, and planted secrets."""

    results: dict[str, tuple[Check | None, CheckResult, float]] = field(default_factory=dict)
    secrets: list[bytes] = field(default_factory=list)


def tested(ctx: Target, check_ids: list[str]) -> list[str]:
    """The checks among ``check_ids`` that run on pytest in the tree examined."""
    return [check_id for check_id in check_ids if claims_test(check_id, ctx.root).is_file()]


def run_tested(ctx: Target, check_ids: list[str], log: Any = print) -> Collected:
    """Run these checks' test modules in one pytest process; their results."""
    if not check_ids:
        return Collected()
    work = ctx.work / "claims"
    work.mkdir(parents=True, exist_ok=True)
    report, secrets = work / "report.json", work / "secrets.txt"
    for stale in (report, secrets):
        stale.unlink(missing_ok=True)
    files = [str(claims_test(check_id, ctx.root).relative_to(ctx.root)) for check_id in check_ids]
    command = [
        sys.executable, "-m", "pytest", "--claims", "-v", "-p", "no:cacheprovider",
        "--evidence-report", str(report), "--evidence-secrets", str(secrets),
        *(["--base-url", ctx.base_url] if ctx.base_url else []), *files,
    ]  # fmt: skip
    log(f"  pytest: {len(files)} checks ...")
    started = time.monotonic()
    finished = _run_bounded(command, ctx.root, work / "pytest.log")
    seconds = round(time.monotonic() - started, 2)
    log(f"  pytest: exit {finished} after {seconds} s (output in {work / 'pytest.log'})")
    collected = Collected(secrets=_secrets(secrets))
    try:
        document = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        reason = "pytest wrote no report" if finished is not None else "pytest did not finish"
        for check_id in check_ids:
            collected.results[check_id] = (None, CheckResult(Status.ERROR, reason, {}, [reason]), 0)
        return collected
    collected.results = results_from_report(document, check_ids, remote=ctx.remote)
    for check_id, (_, result, took) in collected.results.items():
        log(f"  {check_id}: {result.status.value} ({took} s) {result.summary}")
    return collected


def results_from_report(
    document: dict[str, Any], check_ids: list[str], remote: bool = False
) -> dict[str, tuple[Check | None, CheckResult, float]]:
    """One result per check from the plugin's report; a remote run leaves out skipped checks."""
    tests: dict[str, list[dict[str, Any]]] = {}
    for test in document.get("tests", []):
        owner = check_of(str(test.get("nodeid", "")))
        if owner is not None:
            tests.setdefault(owner, []).append(test)
    results: dict[str, tuple[Check | None, CheckResult, float]] = {}
    for check_id in check_ids:
        entries = tests.get(check_id, [])
        ran = [test for test in entries if test.get("outcome") != "skipped"]
        if remote and entries and not ran:
            continue
        seconds = round(sum(float(test.get("duration", 0.0)) for test in entries), 2)
        results[check_id] = (_described(check_id, entries), _result(ran), seconds)
    return results


def _result(tests: list[dict[str, Any]]) -> CheckResult:
    if not tests:
        reason = "no test of this check ran"
        return CheckResult(Status.ERROR, reason, {}, [reason])
    counts: Counter[str] = Counter()
    details: dict[str, Any] = {}
    verdicts: dict[str, str] = {}  # a check that judges each claim on its own (attacks_refused)
    summaries, violations, statuses = [], [], []
    for test in tests:
        recorded = test.get("recorded", {})
        counts.update({name: int(value) for name, value in recorded.get("counts", {}).items()})
        details.update(recorded.get("details", {}))
        verdicts.update(recorded.get("claims", {}))
        status = _status(test)
        statuses.append(status)
        name = str(test["nodeid"]).partition("::")[2]
        summaries.append(str(recorded.get("summary") or _unjudged(status, name)))
        found = recorded.get("violations")
        violations += [str(item) for item in found] if found else []
        if status is not Status.PASS and not found:
            violations.append(_unjudged(status, name))
    worst = min(statuses, key=[Status.ERROR, Status.FAIL, Status.PASS].index)
    summary = "; ".join(dict.fromkeys(summaries))
    return CheckResult(
        worst, summary, dict(counts), sorted(set(violations))[:200], details, verdicts
    )


def _status(test: dict[str, Any]) -> Status:
    recorded = test.get("recorded", {})
    if recorded.get("status") == "error" or test.get("outcome") == "error":
        return Status.ERROR
    if test.get("outcome") != "passed":
        return Status.FAIL
    # A test that passed without handing the evidence fixture a finding examined nothing
    # we can show: it proves no claim.
    return Status.PASS if "status" in recorded else Status.ERROR


def _unjudged(status: Status, name: str) -> str:
    """What a test that recorded no judgement says (no output: it may name paths)."""
    if status is Status.PASS:
        return f"{name} passed"
    if status is Status.ERROR:
        return f"{name} recorded no finding or stopped before its judgement"
    return f"{name} stopped before its judgement ({status.value})"


def _described(check_id: str, tests: list[dict[str, Any]]) -> Check | None:
    """The check's title and kind, as its module's check marker declares them."""
    for test in tests:
        declared = test.get("recorded", {}).get("check")
        if isinstance(declared, dict) and declared.get("kind") in Kind.__members__.values():
            return Check(check_id, str(declared["title"]), Kind(declared["kind"]))
    return None


def _secrets(path: Path) -> list[bytes]:
    try:
        lines = path.read_text(encoding="ascii").split()
    except OSError:
        return []
    finally:
        path.unlink(missing_ok=True)
    return [bytes.fromhex(line) for line in lines]


def _run_bounded(command: list[str], cwd: Path, log: Path) -> int | None:
    """Run ``command`` in its own process group, killed whole after TIMEOUT_S; its exit code."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 -- our own interpreter, fixed arguments
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            return process.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return None
