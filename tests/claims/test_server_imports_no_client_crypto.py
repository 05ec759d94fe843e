"""C02, C03: no server module reaches a participant's device code.

The server holds the server shard V and relays ciphertext; combining V with
the link shard into the room secret S, deriving epoch keys from S, and
opening envelopes are a participant's work (docs/PROTOCOL.md §2, §4), and
all of it lives in ``atopos_client``. The layout states the boundary and a
kept tool holds it: this check runs ``lint-imports`` (import-linter) on the
tree with the contracts in its pyproject.toml, which follows every direct and
indirect import of the server packages (``atopos_protocol``, ``atopos_site``,
``rooms``, ``governance`` and the evidence pages) and fails on any path into
``atopos_client``.
"""

from __future__ import annotations

import re
import shutil
import subprocess  # runs import-linter with a fixed argument list, no shell  # nosec B404
import sys
import tomllib
from pathlib import Path

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence

BOUNDARY_CONTRACT = "server-never-imports-client"
TIMEOUT_SECONDS = 300
_ANALYSED = re.compile(r"Analyzed (\d+) files, (\d+) dependencies")
_CHAIN = re.compile(r"^-\s+\S+ -> ")


def contracts(root: Path) -> list[dict[str, object]]:
    """The import contracts the tree at ``root`` declares."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    declared: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return declared


def server_modules(root: Path, declared: list[dict[str, object]]) -> int:
    """How many modules the boundary contract holds: its source packages' modules, counted."""
    boundary = next(c for c in declared if c.get("id") == BOUNDARY_CONTRACT)
    sources = [str(name) for name in boundary.get("source_modules", [])]  # type: ignore[attr-defined]
    count = 0
    for name in sources:
        path = root / name.replace(".", "/")
        if path.is_dir():
            count += sum(1 for _ in path.rglob("*.py") if "__pycache__" not in _.parts)
        elif path.with_suffix(".py").is_file():
            count += 1
    return count


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the tree at ``root``: its packages shadow any installed copy."""
    tool = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if tool is None:
        raise FileNotFoundError("lint-imports (import-linter) is not installed")
    return subprocess.run(
        [tool, "pyproject.toml", "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )


def run(ctx: Context) -> CheckResult:
    """Run the import contracts of ``ctx.root`` and judge the boundary by them."""
    try:
        declared = contracts(ctx.root)
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        return could_not_run(f"no import contracts in pyproject.toml: {error}")
    if not any(c.get("id") == BOUNDARY_CONTRACT for c in declared):
        return could_not_run(f"the contract {BOUNDARY_CONTRACT} is not declared")
    try:
        completed = lint_imports(ctx.root)
    except (OSError, subprocess.SubprocessError) as error:
        return could_not_run(f"lint-imports did not run: {error}")
    analysed = _ANALYSED.search(completed.stdout)
    if analysed is None:
        return could_not_run(f"lint-imports could not analyse the tree: {completed.stderr[-300:]}")
    # A broken contract lists each offending import chain on a line of its own, "-   a -> b".
    broken = [line for line in completed.stdout.splitlines() if _CHAIN.match(line)]
    if completed.returncode != 0 and not broken:
        broken = [completed.stdout.strip().splitlines()[-1]]
    counts = {
        "modules_scanned": server_modules(ctx.root, declared),
        "modules_in_graph": int(analysed.group(1)),
        "imports_inspected": int(analysed.group(2)),
        "contracts_kept": 0 if completed.returncode else len(declared),
        "violations": len(broken),
    }
    return judged(
        [line.strip() for line in broken],
        counts,
        f"all {len(declared)} import contracts hold: none of {counts['modules_scanned']} "
        "server modules imports a participant's device code, directly or indirectly",
        "an import contract is broken: server code reaches a participant's device code",
        {"contracts": [str(c.get("name")) for c in declared]},
    )


pytestmark = pytest.mark.check(
    "No server module imports a participant's device code (import contracts)", "static"
)


def test_server_imports_no_client_crypto(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
