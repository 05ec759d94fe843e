"""Pytest plugin: claims on tests, and a JSON report of what ran (``--evidence-report PATH``).

The evidence runner reads what pytest itself reports through this plugin
instead of parsing a JUnit file: each test's node id, outcome, duration, the
claims it proves and what it recorded (``record_property``: the counts,
summary and violations of a check in tests/claims/). A test names its claim
with ``@pytest.mark.claim("C16")``; the attack tests listed in
evidence/attacks.toml get their attack's claim here, and the checks in
tests/claims/ get the claims that name them in evidence/claims.toml, so the
two catalogues stay the one place that says which test proves what.

The checks in tests/claims/ run only when asked for (``--claims``): they
start their own site and take minutes, so a plain test run leaves them out.

The report is written to a scratch path the caller chose; it holds node ids,
outcomes and what the tests recorded (no output, no paths of this machine);
the runner scans it like every artifact before anything is published.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from evidence.attacks import CatalogueError, load_attacks
from evidence.claims import ClaimsFileError, load_claims

ATTACKS = Path("evidence") / "attacks.toml"
CLAIMS = Path("evidence") / "claims.toml"
# Where the checks of the claims live: tests/claims/test_<check id>.py.
CHECKS = Path("tests") / "claims"
# The name a file that failed to load is reported under, as the one test it stands for.
COLLECTION = "(collection)"
# A failed setup or teardown is an error of the test, not a failure of what it asserts.
_PHASE_OUTCOME = {"setup": "error", "teardown": "error"}
_WORSE = ("error", "failed", "skipped", "passed")


@dataclass
class Entry:
    """One test as the report gives it."""

    nodeid: str
    outcome: str = "passed"
    claims: list[str] = field(default_factory=list)
    duration: float = 0.0
    # What the test recorded with record_property (a check's counts, summary, violations).
    recorded: dict[str, Any] = field(default_factory=dict)


class EvidenceReport:
    """Collects every test's outcome while pytest runs, and writes them when it ends.

    Registered as a plugin of its own only when a report was asked for, so a
    plain test run pays nothing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Entry] = {}

    def entry(self, nodeid: str) -> Entry:
        return self.entries.setdefault(nodeid, Entry(nodeid))

    def record(self, nodeid: str, outcome: str, duration: float) -> None:
        """Keep the worst outcome of a test's phases (error before failed before skipped)."""
        entry = self.entry(nodeid)
        entry.duration += duration
        if _WORSE.index(outcome) < _WORSE.index(entry.outcome):
            entry.outcome = outcome

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Note every test's claims once the catalogue's markers are on."""
        for item in items:
            entry = self.entry(item.nodeid)
            entry.claims = claims_of(item)
            marker = item.get_closest_marker("check")
            if marker is not None:
                title, kind = marker.args
                entry.recorded["check"] = {"title": str(title), "kind": str(kind)}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Pytest's own verdict of each phase of a test."""
        outcome: str = report.outcome
        if outcome == "failed":
            outcome = _PHASE_OUTCOME.get(report.when or "", "failed")
        if hasattr(report, "wasxfail"):  # an expected failure proves nothing either way
            outcome = "skipped"
        self.record(report.nodeid, outcome, report.duration)
        self.entry(report.nodeid).recorded.update(dict(report.user_properties))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A file that cannot be collected is one error standing for every test it holds."""
        if report.failed:
            self.record(f"{report.nodeid}::{COLLECTION}", "error", 0.0)

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        tests = [asdict(entry) for entry in self.entries.values()]
        document = {"runner": "pytest", "exitstatus": int(exitstatus), "tests": tests}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--evidence-report",
        metavar="PATH",
        default=None,
        help="write each test's node id, outcome, claims and duration to PATH as JSON",
    )

    parser.addoption(
        "--claims",
        action="store_true",
        help="also run the security claims' checks (tests/claims/; they start their own site)",
    )
    parser.addoption(
        "--evidence-secrets",
        metavar="PATH",
        default=None,
        help="with --claims: write the run's planted secrets to PATH for the publish-safe scan",
    )
    parser.addoption(
        "--base-url",
        metavar="URL",
        default=None,
        help="with --claims: examine this deployment from outside (only the checks that can)",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/claims/ only when --claims asks for it."""
    if config.getoption("--claims"):
        return None
    return True if collection_path == config.rootpath / CHECKS else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(id, ...): the security claims this test proves")
    config.addinivalue_line(
        "markers",
        "check(title, kind, remote=False): a check of tests/claims/, as reviewers read it",
    )
    path = config.getoption("--evidence-report")
    if path:
        config.pluginmanager.register(EvidenceReport(Path(path).resolve()), "evidence-report")


def attack_claims(root: Path) -> dict[str, str]:
    """node id -> claim, for every pytest test the attack catalogue under ``root`` lists.

    A catalogue that cannot be read marks nothing: the check that runs the
    catalogue reports why, and the suite itself must still run.
    """
    try:
        attacks = load_attacks(root / ATTACKS) if (root / ATTACKS).is_file() else []
    except CatalogueError:
        return {}
    return {str(test): attack.claim for attack in attacks for test in attack.tests}


def check_claims(root: Path) -> dict[str, list[str]]:
    """check id -> the claims the matrix under ``root`` proves with it (none when unreadable)."""
    try:
        claims = load_claims(root / CLAIMS) if (root / CLAIMS).is_file() else []
    except ClaimsFileError:
        return {}
    named: dict[str, list[str]] = {}
    for claim in claims:
        for check in claim.checks:
            named.setdefault(check, []).append(claim.id)
    return named


def check_id(nodeid: str) -> str | None:
    """The check a node id of tests/claims/test_<check id>.py belongs to."""
    path = nodeid.partition("::")[0]
    prefix = f"{CHECKS.as_posix()}/test_"
    if not path.startswith(prefix) or not path.endswith(".py") or "/" in path[len(prefix) :]:
        return None
    return path[len(prefix) : -len(".py")]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the catalogue's attack tests, and the claims' checks, with their claims."""
    listed = attack_claims(config.rootpath)
    checks = check_claims(config.rootpath)
    for item in items:
        claim = listed.get(item.nodeid)
        if claim is not None:
            item.add_marker(pytest.mark.claim(claim))
        check = check_id(item.nodeid)
        if check is not None and checks.get(check):
            item.add_marker(pytest.mark.claim(*checks[check]))
        marker = item.get_closest_marker("check")
        if (
            marker is not None
            and config.getoption("--base-url")
            and not marker.kwargs.get("remote")
        ):
            item.add_marker(pytest.mark.skip(reason="this check cannot examine a remote site"))


def claims_of(item: pytest.Item) -> list[str]:
    """Every claim a test's ``claim`` markers name, once each, in order."""
    found = [str(claim) for marker in item.iter_markers("claim") for claim in marker.args]
    return list(dict.fromkeys(found))
