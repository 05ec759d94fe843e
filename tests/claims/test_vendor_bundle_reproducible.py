"""C19: the vendored client bundle is exactly what the locked packages build to.

static/vendor/ holds the third-party crypto, QR code and confusable-character
map, bundled by tools/vendor/build.mjs from the versions package-lock.json
pins. A reviewer can only trust those files if anyone can rebuild them: the
check runs the examined tree's build script on its locked node_modules
(installing them with ``npm ci`` when they are missing or do not match the
lock) into scratch, and compares every file byte for byte with the committed
ones. A stray committed file the build does not produce counts as a difference
too.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.suites import Finished, run_bounded, scratch, suite_env

VENDOR = "static/vendor"
BUILD_SCRIPT = "tools/vendor/build.mjs"
LOCK = "package-lock.json"
NPM_CI = ["ci", "--no-audit", "--no-fund", "--loglevel=error"]
NPM_TIMEOUT = 600.0
BUILD_TIMEOUT = 120.0


def run(ctx: Context) -> CheckResult:
    """Rebuild the bundle from the examined tree and compare it with the committed files."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return could_not_run("node and npm are needed to rebuild the vendored bundle")
    missing = [
        name for name in (BUILD_SCRIPT, LOCK, "package.json") if not (ctx.root / name).is_file()
    ]
    if missing:
        return could_not_run(f"cannot rebuild without {', '.join(missing)}")
    committed = read_bundle(ctx.root / VENDOR)
    if not committed:
        return could_not_run(f"{VENDOR} holds no committed files to compare")
    work = scratch(ctx.work, "vendor_bundle_reproducible")
    installed, problem = ensure_node_modules(ctx.root, work)
    if problem:
        return could_not_run(problem)
    out = work / "rebuilt"
    finished = rebuild(ctx.root, out, work / "build.log")
    if finished.returncode != 0:
        return could_not_run(f"{BUILD_SCRIPT} {_exit(finished)}")
    rebuilt = read_bundle(out)
    violations = bundle_differences(committed, rebuilt)
    counts = {
        "committed_files": len(committed),
        "rebuilt_files": len(rebuilt),
        "identical_files": sum(1 for name, data in committed.items() if rebuilt.get(name) == data),
    }
    details = {
        "files": file_hashes(committed, rebuilt),
        "differ": sorted(line.split(":", 1)[0] for line in violations),
        "npm_ci_ran": installed,
        "node_version": _node_version(),
    }
    return judged(
        violations,
        counts,
        f"all {len(committed)} vendored files are byte-identical to a fresh build",
        "the vendored bundle is not what the locked packages build to",
        details,
    )


def read_bundle(directory: Path) -> dict[str, bytes]:
    """Every file directly in ``directory`` (file name -> bytes); empty when it is missing."""
    if not directory.is_dir():
        return {}
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}


def rebuild(root: Path, out: Path, log: Path | None = None) -> Finished:
    """Run ``root``'s build script with ``root``'s node_modules, writing into ``out``."""
    if out.exists():
        shutil.rmtree(out)
    command = [shutil.which("node") or "node", str(root / BUILD_SCRIPT), str(out)]
    return run_bounded(command, root, suite_env(root), BUILD_TIMEOUT, log)


def bundle_differences(committed: dict[str, bytes], rebuilt: dict[str, bytes]) -> list[str]:
    """One line per file that is not the same in both, named by its path in the tree."""
    lines = []
    for name in sorted(committed.keys() | rebuilt.keys()):
        if name not in rebuilt:
            lines.append(f"{VENDOR}/{name}: committed, but the build does not produce it")
        elif name not in committed:
            lines.append(f"{VENDOR}/{name}: produced by the build, but not committed")
        elif committed[name] != rebuilt[name]:
            lines.append(f"{VENDOR}/{name}: differs from a fresh build")
    return lines


def file_hashes(committed: dict[str, bytes], rebuilt: dict[str, bytes]) -> dict[str, Any]:
    """sha256 of every file as committed and as rebuilt (None when absent)."""
    return {
        name: {"committed": _sha256(committed.get(name)), "rebuilt": _sha256(rebuilt.get(name))}
        for name in sorted(committed.keys() | rebuilt.keys())
    }


def stale_packages(root: Path) -> list[str]:
    """Locked packages that node_modules lacks or holds at another version.

    The build reads the installed packages, so they, not the lock file, decide
    its output: a missing or different one must be reinstalled first. Optional
    packages for other platforms (esbuild's binaries) are never installed.
    """
    try:
        locked = json.loads((root / LOCK).read_text(encoding="utf-8"))["packages"]
    except (OSError, ValueError, KeyError):
        return [LOCK]
    stale = []
    for path, entry in sorted(locked.items()):
        if not path.startswith("node_modules/") or not isinstance(entry, dict):
            continue
        installed = _installed_version(root / path / "package.json")
        if installed is None and entry.get("optional"):
            continue
        if installed != entry.get("version"):
            stale.append(path.removeprefix("node_modules/"))
    return stale


def ensure_node_modules(root: Path, work: Path) -> tuple[bool, str]:
    """Install the locked packages when they are stale: (whether npm ci ran, problem)."""
    if not stale_packages(root):
        return False, ""
    npm = shutil.which("npm") or "npm"
    finished = run_bounded([npm, *NPM_CI], root, suite_env(root), NPM_TIMEOUT, work / "npm.log")
    if finished.returncode != 0:
        return True, f"npm ci {_exit(finished)}"
    still = stale_packages(root)
    if still:
        return True, f"node_modules still differs from {LOCK} after npm ci ({len(still)} packages)"
    return True, ""


def _installed_version(manifest: Path) -> str | None:
    try:
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, str) else None


def _node_version() -> str:
    node = shutil.which("node") or "node"
    try:
        finished = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return finished.stdout.strip() or "unknown"


def _exit(finished: Finished) -> str:
    return "timed out" if finished.returncode is None else f"exited with {finished.returncode}"


def _sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


pytestmark = pytest.mark.check(
    "The vendored client bundle is byte-identical to a rebuild from the lock file", "build"
)


def test_vendor_bundle_reproducible(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
