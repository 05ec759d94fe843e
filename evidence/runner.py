"""Run every check the claims matrix names and publish the artifacts.

Artifacts are written to a staging directory first; only when the
publish-safe scan finds nothing do they replace ``<evidence dir>/latest`` and
get a copy under ``runs/<run id>``. The outcome says whether every applicable
check passed; a check that could not run never counts as passed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atopos_site import release
from atopos_site.sri import bundle_hash
from evidence import registry
from evidence.attacks import CHECK_ID as ATTACKS_CHECK
from evidence.attacks import Attack, CatalogueError, load_attacks
from evidence.check import Check, CheckResult, Status
from evidence.claims import Claim, all_check_ids, judge, load_claims
from evidence.collect import PROJECT_ROOT, Target, run_tested, tested
from evidence.prebuilt import write_pages
from evidence.publish_safe import Finding, scan_directory
from evidence.reports import evidence_summary, reviewer_pack

FORMAT = 1
KEPT_RUNS = 20
# The headline numbers of a run: what it examined, named for a reader, taken
# from the counts of the check that did the examining.
KEY_COUNTS = (
    ("secrets_planted", "keyspace_holds_no_secrets", "canaries"),
    ("websocket_frames_searched", "wire_carries_ciphertext_only", "frames"),
    ("browser_requests_searched", "browser_fragment_never_sent", "requests"),
    ("redis_keys_scanned", "keyspace_holds_no_secrets", "keys_scanned"),
    ("database_columns_scanned", "database_schema_scan", "columns"),
    ("database_rows_searched", "database_schema_scan", "rows"),
    ("log_lines_searched", "logs_hold_no_secrets", "log_lines"),
    ("envelopes_sized", "frame_sizes_are_buckets", "envelopes"),
    ("responses_with_headers_checked", "security_headers_every_route", "responses"),
    ("served_files_compared", "served_client_matches_build", "files_compared"),
    ("server_modules_analysed", "server_imports_no_client_crypto", "modules_scanned"),
    ("fuzzed_frames", "relay_fuzz", "frames_sent"),
    ("python_vector_tests", "vectors_agree", "python_tests"),
    ("js_vector_tests", "vectors_agree", "js_tests"),
    ("attacks_refused", "attacks_refused", "refused"),
    ("attack_tests_passed", "attacks_refused", "tests_passed"),
    ("rule_deletions_caught", "rule_deletions_caught", "caught"),
)


@dataclass
class Outcome:
    """What a run produced and whether it may be called a pass."""

    summary: dict[str, Any]
    published: Path | None
    unsafe: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.summary["overall"] == "pass" and not self.unsafe


def git_commit(root: Path = PROJECT_ROOT) -> str:
    """The commit the examined code is at, or "unknown" outside a git checkout."""
    return release.git_commit(root)


def worktree_state(root: Path = PROJECT_ROOT) -> str:
    """ "clean" when the examined code is exactly the commit, else "modified" (or "unknown")."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        result = subprocess.run(  # noqa: S603 -- git itself, fixed arguments
            [git, "status", "--porcelain", "--", ".", ":!evidence/latest", ":!evidence/runs"],
            cwd=root, capture_output=True, text=True, timeout=10,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if result.returncode:
        return "unknown"
    return "modified" if result.stdout.strip() else "clean"


def run_checks(
    ctx: Target, check_ids: list[str], log: Any = print, secrets: list[bytes] | None = None
) -> dict[str, tuple[Check | None, CheckResult, float]]:
    """Every named check's result, from one pytest run of their modules in tests/claims/.

    A check without a module is an error; checks that cannot examine a remote
    site are left out. The secrets the run's live site planted are added to
    ``secrets`` for the publish-safe scan.
    """
    on_pytest = tested(ctx, check_ids)
    collected = run_tested(ctx, on_pytest, log)
    if secrets is not None:
        secrets += collected.secrets
    results: dict[str, tuple[Check | None, CheckResult, float]] = {}
    for check_id in check_ids:
        if check_id in collected.results:
            results[check_id] = collected.results[check_id]
        elif check_id not in on_pytest:
            missing = f"no check module tests/claims/test_{check_id}.py"
            results[check_id] = (None, CheckResult(Status.ERROR, missing, {}, [missing]), 0.0)
    return results


def _artifact(
    check_id: str, check: Check | None, result: CheckResult, seconds: float
) -> dict[str, Any]:
    return {
        "check": check_id,
        "title": check.title if check else check_id,
        "kind": check.kind.value if check else "unknown",
        **result.to_json(),
        "duration_s": seconds,
        "source": registry.relative_source(check_id),
    }


def build_summary(
    claims: list[Claim], results: dict[str, tuple[Check | None, CheckResult, float]],
    run_id: str, run_date: str, commit: str, remote: bool,
) -> dict[str, Any]:  # fmt: skip
    statuses = {check_id: result.status.value for check_id, (_, result, _) in results.items()}
    per_claim = {check_id: result.claims for check_id, (_, result, _) in results.items()}
    verdicts = [judge(claim, statuses, per_claim) for claim in claims]
    tally = Counter(statuses.values())
    check_ids = all_check_ids(claims)
    key_counts = {
        label: results[check_id][1].counts[name]
        for label, check_id, name in KEY_COUNTS
        if check_id in results and name in results[check_id][1].counts
    }
    overall = "pass" if statuses and set(statuses.values()) == {"pass"} else "fail"
    return {
        "format": FORMAT,
        "run_id": run_id,
        "run_date": run_date,
        "git_commit": commit,
        # The client bundle hash of the examined checkout (docs/ARCHITECTURE.md, "Which code runs").
        "bundle_hash": bundle_hash(),
        "worktree": worktree_state(),
        "target": "remote" if remote else "local",
        "overall": overall,
        "completeness": {
            "checks_total": len(check_ids),
            "checks_run": len(results),
            "checks_passed": tally["pass"],
            "checks_failed": tally["fail"],
            "checks_error": tally["error"],
            "claims_total": len(claims),
            "claims_proven": sum(v.proven for v in verdicts),
            "claims_unproven": sum(not v.proven for v in verdicts),
        },
        "key_counts": key_counts,
        "checks": {
            check_id: {
                "status": result.status.value,
                "title": check.title if check else check_id,
                "kind": check.kind.value if check else "unknown",
                "summary": result.summary,
                "duration_s": seconds,
                "artifact": f"checks/{check_id}.json",
                **({"claims": result.claims} if result.claims else {}),
            }
            for check_id, (check, result, seconds) in results.items()
        },
        "claims": [
            {
                "id": v.claim.id,
                "statement": v.claim.statement,
                "threats": list(v.claim.threats),
                "checks": list(v.claim.checks),
                "status": v.status,
                "reason": v.reason,
            }
            for v in verdicts
        ],
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_run(
    staging: Path, claims: list[Claim], summary: dict[str, Any],
    results: dict[str, tuple[Check | None, CheckResult, float]],
) -> None:  # fmt: skip
    """The whole artifact set of one run, in ``staging``."""
    _write_json(staging / "summary.json", summary)
    for check_id, (check, result, seconds) in results.items():
        _write_json(
            staging / "checks" / f"{check_id}.json", _artifact(check_id, check, result, seconds)
        )
    attacks = attack_lines(results)
    (staging / "EVIDENCE_SUMMARY.md").write_text(
        evidence_summary(summary, attacks), encoding="utf-8"
    )
    (staging / "REVIEWER_PACK.md").write_text(
        reviewer_pack(claims, summary, attacks), encoding="utf-8"
    )
    write_pages(staging)  # what the pages show, rendered once rather than per request


def attack_lines(
    results: dict[str, tuple[Check | None, CheckResult, float]],
) -> list[tuple[Attack, str]]:
    """Each catalogued attack and its verdict in this run ("not run" without one)."""
    try:
        catalogue = load_attacks()
    except CatalogueError:
        return []
    _, result, _ = results.get(ATTACKS_CHECK, (None, CheckResult(Status.ERROR, ""), 0.0))
    found = result.details.get("attacks", {}) if isinstance(result.details, dict) else {}
    return [
        (attack, str(found.get(attack.id, {}).get("verdict", "not run"))) for attack in catalogue
    ]


def publish(staging: Path, evidence_dir: Path, run_id: str) -> Path:
    """Make ``staging`` the latest run and keep a copy under runs/ (the newest few)."""
    latest = evidence_dir / "latest"
    if latest.exists():
        shutil.rmtree(latest)
    runs = evidence_dir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    shutil.copytree(staging, runs / run_id)
    staging.rename(latest)
    for old in sorted(runs.iterdir(), reverse=True)[KEPT_RUNS:]:
        shutil.rmtree(old)
    return latest


def run_evidence(
    evidence_dir: Path,
    ctx: Target,
    only: list[str] | None = None,
    secrets: list[bytes] | None = None,
    log: Any = print,
) -> Outcome:
    """Run the checks, write and scan the artifacts, publish them if they are safe."""
    claims = load_claims()
    check_ids = only or all_check_ids(claims)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    commit = git_commit()
    run_id = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{commit[:7] if commit != 'unknown' else '0000000'}"
    planted: list[bytes] = []
    results = run_checks(ctx, check_ids, log, planted)
    known = [*(secrets or []), *planted]
    summary = build_summary(
        claims, results, run_id, now.strftime("%Y-%m-%dT%H:%M:%SZ"), commit, ctx.remote
    )
    staging = evidence_dir / f".staging-{run_id}"
    if staging.exists():
        shutil.rmtree(staging)
    write_run(staging, claims, summary, results)
    unsafe = scan_directory(staging, known)
    if unsafe:
        return Outcome(summary, None, unsafe)
    return Outcome(summary, publish(staging, evidence_dir, run_id))
