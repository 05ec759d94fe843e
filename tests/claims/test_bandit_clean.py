"""C23: the bandit security linter finds nothing in the server code.

Runs ``python -m bandit -r <targets> -x <excluded> -f json -q`` from the
project root on the server code: the ``TARGETS`` packages (the site, the
rooms, governance) and the part of ``evidence`` the site loads -- its views,
URLs and app and every evidence module they import
(``tests.claims.support.source.evidence_served_files``). ``EXCLUDED`` leaves out
generated migrations, tests and test support. The rest of ``evidence`` (the
checks, the runner, the live recorder) runs on a reviewer's machine, starts
processes and builds queries by design, and is not server code.

PASS needs *zero* findings of any severity or confidence, since the claim is
"no finding". Where a finding was reviewed and is truly safe the source line
carries ``# nosec <test id>`` after its reason; bandit then skips it, and
this check lists every such line under ``details.suppressed`` and counts
them, so a suppression is always visible to a reviewer. A file bandit could
not scan, or bandit missing, is an ERROR: nothing was judged.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import subprocess  # runs our own interpreter with a fixed argument list, no shell  # nosec B404
import sys
import tokenize
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.source import (
    Unreadable,
    evidence_served_files,
    python_files,
    relative,
)

BANDIT_MODULE = "bandit"
TARGETS = ("atopos_protocol", "atopos_site", "rooms", "governance")
EXCLUDED = ("*/migrations/*", "*/tests/*", "*/testing/*")
TIMEOUT_SECONDS = 600
SEVERITIES = ("high", "medium", "low", "undefined")
_NOSEC = re.compile(r"#\s*nosec\b(?P<tests>[^#]*)")


def bandit_installed() -> bool:
    """Whether this interpreter can run bandit."""
    return importlib.util.find_spec(BANDIT_MODULE) is not None


def run_bandit(root: Path, targets: list[str]) -> dict[str, Any]:
    """Bandit's JSON report for ``targets`` (relative to ``root``, so paths stay relative)."""
    command = [sys.executable, "-m", BANDIT_MODULE, "-r", *targets]
    command += ["-x", ",".join(EXCLUDED), "-f", "json", "-q"]
    completed = subprocess.run(
        command, cwd=root, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def finding(result: dict[str, Any]) -> str:
    """``path:line test_id severity`` of one bandit result."""
    path = Path(str(result.get("filename", "?"))).as_posix().removeprefix("./")
    severity = str(result.get("issue_severity", "undefined")).lower()
    return f"{path}:{result.get('line_number', 0)} {result.get('test_id', '?')} {severity}"


def _comments(text: str) -> list[tuple[int, str]]:
    """(line, text) of every comment; none for a file that does not tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return []
    return [(token.start[0], token.string) for token in tokens if token.type == tokenize.COMMENT]


def scanned_files(root: Path, targets: list[str]) -> list[Path]:
    """The files bandit reads for ``targets`` (directories or files), outside excluded dirs."""
    return [
        path
        for target in targets
        for path in ([root / target] if target.endswith(".py") else python_files(root, target))
    ]


def suppressed(root: Path, targets: list[str]) -> list[str]:
    """Every ``# nosec`` comment in the scanned files: ``path:line nosec <tests>``."""
    lines = []
    for path in scanned_files(root, targets):
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, comment in _comments(text):
            match = _NOSEC.search(comment)
            if match:
                tests = match.group("tests").strip() or "(all tests)"
                lines.append(f"{relative(root, path)}:{number} nosec {tests}")
    return lines


def judge(report: dict[str, Any], targets: list[str], nosec: list[str]) -> CheckResult:
    """PASS only on zero findings; ERROR if bandit could not read a file."""
    errors = report.get("errors") or []
    if errors:
        names = sorted({str(error.get("filename", "?")) for error in errors})
        return could_not_run(f"bandit could not scan {len(names)} file(s): {', '.join(names)}")
    results = report.get("results") or []
    by_severity = Counter(str(r.get("issue_severity", "undefined")).lower() for r in results)
    counts = {f"{severity}_findings": by_severity.get(severity, 0) for severity in SEVERITIES}
    counts |= {"findings": len(results), "suppressed_lines": len(nosec)}
    totals = report.get("metrics", {}).get("_totals", {})
    counts["lines_of_code"] = int(totals.get("loc", 0))
    return judged(
        [finding(result) for result in results],
        counts,
        f"bandit finds nothing in {counts['lines_of_code']} lines of server code",
        f"bandit reports {len(results)} finding(s) in the server code",
        {"targets": targets, "excluded": list(EXCLUDED), "suppressed": nosec},
    )


def run(ctx: Context) -> CheckResult:
    """Run bandit on the server packages under ``ctx.root``."""
    if not bandit_installed():
        return could_not_run("bandit is not installed (pip install -e '.[dev]')")
    targets = [name for name in TARGETS if (ctx.root / name).is_dir()]
    try:
        targets += [relative(ctx.root, path) for path in evidence_served_files(ctx.root)]
    except Unreadable as error:
        return could_not_run(str(error))
    if not targets:
        return could_not_run("no server package found under the project root")
    try:
        report = run_bandit(ctx.root, targets)
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError) as error:
        return could_not_run(f"bandit did not produce a report ({type(error).__name__})")
    return judge(report, targets, suppressed(ctx.root, targets))


pytestmark = pytest.mark.check(
    "The bandit security linter finds nothing in the server code", "static"
)


def test_bandit_clean(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
