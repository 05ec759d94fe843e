"""C13: the Python reference and the browser client agree on every shared test vector.

Agreement takes three things, all on the examined tree: the committed vector
files are exactly what the Python generator writes from its fixed inputs (so
they are the reference's own answers, not hand edits); the browser client's
modules pass every vector under node; and the Python reference passes every
vector under pytest. Each vector file must also be read by both suites, or a
file could silently drop out of the comparison.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import pytest

from evidence.check import CheckResult, could_not_run
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.suites import (
    conclude,
    run_bounded,
    run_node_tests,
    run_pytest,
    scratch,
    suite_env,
    suite_problems,
)

VECTORS = "tests/vectors"
GENERATOR = "tests.vectors.generate"
JS_SUITES = [
    "tests/js/protocol-vectors.test.js",
    "tests/js/governance-vectors.test.js",
    "tests/js/extra-lock.test.js",
]
PYTHON_SUITES = ["tests/protocol/test_vectors_in_python.py", "tests/governance/test_vectors.py"]
GENERATE_TIMEOUT = 180.0


def run(ctx: Context) -> CheckResult:
    """Regenerate, then run both implementations against the committed vectors."""
    committed = {path.name: path.read_bytes() for path in (ctx.root / VECTORS).glob("*.json")}
    if not committed:
        return could_not_run(f"no vector files under {VECTORS}")
    generated, problem = regenerate(ctx)
    violations = compare(committed, generated) if generated is not None else []
    violations += unread(ctx.root, sorted(committed))
    js = run_node_tests(ctx.root, ctx.work / "vectors_agree", JS_SUITES, "vectors")
    python = run_pytest(ctx.root, ctx.work / "vectors_agree", PYTHON_SUITES, "vectors")
    violations += js.failures("JS") + python.failures("Python")
    problems = [problem] if problem else []
    problems += suite_problems("JS vector suite", js)
    problems += suite_problems("Python vector suite", python)
    counts = {
        "vector_files": len(committed),
        "vector_files_reproduced": sum(
            1 for name, data in committed.items() if (generated or {}).get(name) == data
        ),
        **js.counts("js"),
        **python.counts("python"),
    }
    details = {
        "vector_files": hashes(committed, generated or {}),
        "js": js.details(),
        "python": python.details(),
    }
    return conclude(
        violations,
        problems,
        counts,
        f"{len(committed)} vector files reproduce; JS passed {js.passed}, Python {python.passed}",
        "the reference and the browser client disagree on the shared vectors",
        details,
    )


def regenerate(ctx: Context) -> tuple[dict[str, bytes] | None, str]:
    """Run the examined tree's generator into scratch: (file name -> bytes, problem)."""
    out = scratch(ctx.work / "vectors_agree", "generated")
    command = [sys.executable, "-m", GENERATOR, str(out)]
    finished = run_bounded(
        command, ctx.root, suite_env(ctx.root), GENERATE_TIMEOUT, out.parent / "generate.log"
    )
    if finished.returncode != 0:
        status = "timed out" if finished.returncode is None else f"exited {finished.returncode}"
        return None, f"the vector generator {status}"
    return {path.name: path.read_bytes() for path in out.glob("*.json")}, ""


def compare(committed: dict[str, bytes], generated: dict[str, bytes]) -> list[str]:
    """One violation per vector file that is not byte for byte what the generator writes."""
    violations = []
    for name in sorted(committed.keys() | generated.keys()):
        where = f"{VECTORS}/{name}"
        if name not in generated:
            violations.append(f"{where}: committed, but the generator does not write it")
        elif name not in committed:
            violations.append(f"{where}: written by the generator, but not committed")
        elif committed[name] != generated[name]:
            violations.append(f"{where}: differs from what the generator writes")
    return violations


def unread(root: Path, names: list[str]) -> list[str]:
    """Vector files that one of the two implementations' suites never loads."""
    violations = []
    for label, suites in (("JS", JS_SUITES), ("Python", PYTHON_SUITES)):
        sources = [_text(root / suite) for suite in suites]
        for name in names:
            if not any(f"'{name}'" in text or f'"{name}"' in text for text in sources):
                violations.append(f"{VECTORS}/{name}: no {label} vector suite loads it")
    return violations


def hashes(committed: dict[str, bytes], generated: dict[str, bytes]) -> dict[str, Any]:
    """sha256 of each vector file as committed and as regenerated (None when absent)."""
    return {
        name: {
            "committed": _sha256(committed.get(name)),
            "generated": _sha256(generated.get(name)),
        }
        for name in sorted(committed.keys() | generated.keys())
    }


def _sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


pytestmark = pytest.mark.check(
    "The Python reference and the browser client agree on every shared vector", "build"
)


def test_vectors_agree(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
