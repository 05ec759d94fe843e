"""The evidence pages render what the runner's files on disk say, and nothing else.

Every test writes its own artifacts into a temporary ATOPOS_EVIDENCE_DIR, so
the verdicts shown are the ones these files support: a claim is proven only
when the artifact file of each of its checks says "pass".
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.utils.html import escape

from evidence import artifacts, prebuilt, registry
from evidence.attacks import CHECK_ID as ATTACKS_CHECK
from evidence.attacks import load_attacks
from evidence.claims import load_claims
from evidence.publish_safe import scan_directory
from tests.site.test_security_headers import assert_security_headers

HOST = "alpha.localhost"
OLD_RUN = "20261121T071500Z-0a1b2c3"
NEW_RUN = "20261123T071500Z-1a2b3c4"
CLAIMS = {claim.id: claim for claim in load_claims()}
PENDING = next(claim for claim in CLAIMS.values() if not claim.checks)
TWO_CHECKS = next(claim for claim in CLAIMS.values() if len(claim.checks) >= 2)
ALL_CHECKS = list(dict.fromkeys(check for claim in CLAIMS.values() for check in claim.checks))
ATTACKS = load_attacks()


def run_date(run_id: str) -> str:
    stamp = run_id.split("-")[0]
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}Z"


def artifact(check_id: str, status: str) -> dict[str, Any]:
    return {
        "check": check_id,
        "title": f"Title of {check_id}",
        "kind": "static",
        "status": status,
        "summary": f"{check_id} says {status}",
        "counts": {"files": 3},
        "reasons": [] if status == "pass" else [f"{check_id} found something"],
        "details": {},
        "duration_s": 0.25,
        "source": f"evidence/checks/{check_id}.py",
    }


def summary(run_id: str, statuses: dict[str, str], claims_proven: int = 0) -> dict[str, Any]:
    """A summary.json of the documented shape; its own claims list is deliberately optimistic."""
    counted = list(statuses.values())
    return {
        "format": 1,
        "run_id": run_id,
        "run_date": run_date(run_id),
        "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "target": "local",
        "overall": "pass" if set(counted) <= {"pass"} else "fail",
        "completeness": {
            "checks_total": len(counted),
            "checks_run": len(counted),
            "checks_passed": counted.count("pass"),
            "checks_failed": counted.count("fail"),
            "checks_error": counted.count("error"),
            "claims_total": len(CLAIMS),
            "claims_proven": claims_proven,
            "claims_unproven": len(CLAIMS) - claims_proven,
        },
        "key_counts": {"redis_keys_scanned": 42},
        "checks": {
            check_id: {
                "status": status,
                "title": f"Title of {check_id}",
                "kind": "static",
                "summary": f"{check_id} says {status}",
                "duration_s": 0.25,
                "artifact": f"checks/{check_id}.json",
            }
            for check_id, status in statuses.items()
        },
        "claims": [
            {
                "id": claim.id,
                "statement": claim.statement,
                "threats": list(claim.threats),
                "checks": list(claim.checks),
                "status": "proven",
                "reason": "the summary says so",
            }
            for claim in CLAIMS.values()
        ],
    }


def write_json(path: Path, data: Any) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(data, indent=2).encode()
    path.write_bytes(raw)
    return raw


def write_run(
    base: Path,
    run_id: str,
    statuses: dict[str, str],
    *,
    artifacts_for: dict[str, str] | None = None,
    latest: bool = True,
    documents: dict[str, str] | None = None,
    claims_proven: int = 0,
) -> Path:
    """runs/<run_id>/ with a summary and one artifact per check, copied to latest/."""
    directory = base / "runs" / run_id
    write_json(directory / "summary.json", summary(run_id, statuses, claims_proven))
    for check_id, status in (statuses if artifacts_for is None else artifacts_for).items():
        write_json(directory / "checks" / f"{check_id}.json", artifact(check_id, status))
    for name, text in (documents or {}).items():
        (directory / name).write_text(text, encoding="utf-8")
    prebuilt.write_pages(directory)  # as the runner does for every run it writes
    if latest:
        shutil.rmtree(base / "latest", ignore_errors=True)
        shutil.copytree(directory, base / "latest")
    return directory


@pytest.fixture
def evidence_dir(settings, tmp_path: Path) -> Path:
    """An empty evidence directory the pages read from."""
    directory = tmp_path / "evidence-out"
    directory.mkdir()
    settings.ATOPOS_EVIDENCE_DIR = directory
    return directory


def get(client, path: str):
    return client.get(path, HTTP_HOST=HOST)


def html_of(client, path: str) -> str:
    response = get(client, path)
    assert response.status_code == 200
    return response.content.decode()


def security_claim(html: str, claim_id: str) -> str:
    """The security page's entry for one claim."""
    match = re.search(rf'<li id="{claim_id}" class="claim">(.*?)</li>', html, re.DOTALL)
    assert match, claim_id
    return match.group(1)


def matrix_row(html: str, claim_id: str) -> str:
    """The evidence page's claims-matrix row for one claim."""
    match = re.search(rf'<tr id="claim-{claim_id}">(.*?)</tr>', html, re.DOTALL)
    assert match, claim_id
    return match.group(1)


def assert_shows(client, claim_id: str, status: str, reason: str) -> None:
    """Both the security page and the evidence page show this status and reason."""
    label = status.capitalize()
    for block in (
        security_claim(html_of(client, "/security/"), claim_id),
        matrix_row(html_of(client, "/security/evidence/"), claim_id),
    ):
        assert f'verdict--{status}">{label}</span>' in block
        assert escape(reason[:1].upper() + reason[1:]) in block


# ---- Verdicts ----------------------------------------------------------------


def test_no_run_at_all_leaves_every_claim_unproven(client, alpha, evidence_dir):
    """Without a run, nothing is proven and both pages say why."""
    security = html_of(client, "/security/")
    evidence = html_of(client, "/security/evidence/")
    assert "No evidence run has been published here yet" in security
    assert "No evidence run has been published here yet" in evidence
    for claim_id in CLAIMS:
        assert 'verdict--unproven">Unproven' in security_claim(security, claim_id)
        assert 'verdict--unproven">Unproven' in matrix_row(evidence, claim_id)
    assert 'verdict--proven">' not in security + evidence
    report = artifacts.report()
    assert report.proven_count == 0
    assert {row.verdict.reason for row in report.claims if row.claim.checks} == {
        artifacts.NO_RUN_REASON
    }


def test_claim_whose_checks_all_pass_is_proven(client, alpha, evidence_dir):
    """Every check of the claim has a passing artifact: proven, on both pages."""
    write_run(evidence_dir, NEW_RUN, dict.fromkeys(TWO_CHECKS.checks, "pass"))
    assert_shows(client, TWO_CHECKS.id, "proven", "every check passed")
    html = html_of(client, "/security/")
    assert f"1 of {len(CLAIMS)} claims are proven" in html


def test_claim_with_a_missing_artifact_is_unproven(client, alpha, evidence_dir):
    """The summary lists both checks as passed, but one artifact file is absent."""
    first, second = TWO_CHECKS.checks[:2]
    write_run(
        evidence_dir,
        NEW_RUN,
        dict.fromkeys(TWO_CHECKS.checks, "pass"),
        artifacts_for={check: "pass" for check in TWO_CHECKS.checks if check != second},
        claims_proven=len(CLAIMS),
    )
    assert_shows(client, TWO_CHECKS.id, "unproven", f"no result for {second}")
    evidence = html_of(client, "/security/evidence/")
    assert "No artifact" in matrix_row(evidence, TWO_CHECKS.id)
    assert f'href="/security/evidence/latest/checks/{first}.json"' in evidence
    assert f'href="/security/evidence/latest/checks/{second}.json"' not in evidence
    # The runner's own count is not repeated as if it were true.
    assert "but the check artifacts support 0" in evidence


@pytest.mark.parametrize("status", ["fail", "error"])
def test_claim_whose_artifact_did_not_pass_is_unproven(client, alpha, evidence_dir, status):
    """A failing or errored artifact makes the claim unproven, even if the summary says pass."""
    second = TWO_CHECKS.checks[1]
    write_run(
        evidence_dir,
        NEW_RUN,
        dict.fromkeys(TWO_CHECKS.checks, "pass"),
        artifacts_for={**dict.fromkeys(TWO_CHECKS.checks, "pass"), second: status},
    )
    assert_shows(client, TWO_CHECKS.id, "unproven", f"not passed: {second} ({status})")
    evidence = html_of(client, "/security/evidence/")
    assert "The run summary says pass." in evidence


def test_malformed_artifact_counts_as_missing(client, alpha, evidence_dir):
    """An artifact that is not JSON, or names another check, proves nothing."""
    first, second = TWO_CHECKS.checks[:2]
    directory = write_run(evidence_dir, NEW_RUN, dict.fromkeys(TWO_CHECKS.checks, "pass"))
    (evidence_dir / "latest" / "checks" / f"{first}.json").write_text("{not json")
    write_json(
        evidence_dir / "latest" / "checks" / f"{second}.json", artifact("other_check", "pass")
    )
    report = artifacts.report()
    row = next(row for row in report.claims if row.claim.id == TWO_CHECKS.id)
    assert not row.verdict.proven
    assert {state.state for state in row.checks} == {"unreadable"}
    assert "Unreadable artifact" in matrix_row(html_of(client, "/security/evidence/"), row.claim.id)
    assert get(client, f"/security/evidence/latest/checks/{first}.json").status_code == 404
    # The archived copy in runs/ is untouched, and there the claim is proven.
    archived = artifacts.report(artifacts.run_ref(NEW_RUN))
    assert next(row for row in archived.claims if row.claim.id == TWO_CHECKS.id).verdict.proven
    assert (directory / "checks" / f"{first}.json").is_file()


def test_pending_claim_without_checks_shows_its_reason(client, alpha, evidence_dir):
    """A claim with no check yet is unproven with the reason claims.toml gives."""
    write_run(evidence_dir, NEW_RUN, dict.fromkeys(ALL_CHECKS, "pass"))
    assert_shows(client, PENDING.id, "unproven", PENDING.pending)
    assert "None yet" in security_claim(html_of(client, "/security/"), PENDING.id)


def test_malformed_summary_means_no_run(client, alpha, evidence_dir):
    """Artifacts only count inside a run whose summary.json is valid."""
    write_run(evidence_dir, NEW_RUN, dict.fromkeys(ALL_CHECKS, "pass"))
    bad = summary(NEW_RUN, dict.fromkeys(ALL_CHECKS, "pass"))
    bad["completeness"]["checks_run"] = "all"
    write_json(evidence_dir / "latest" / "summary.json", bad)
    assert artifacts.latest_summary() is None
    assert artifacts.report().proven_count == 0
    assert "No evidence run has been published here yet" in html_of(client, "/security/")
    assert get(client, "/security/evidence/latest/summary.json").status_code == 404


def test_a_summary_with_a_malformed_bundle_hash_means_no_run(client, alpha, evidence_dir):
    """A recorded bundle hash must be 64 hex digits: anything else makes the summary invalid."""
    write_run(evidence_dir, NEW_RUN, {})
    bad = {**summary(NEW_RUN, {}), "bundle_hash": "<script>"}
    write_json(evidence_dir / "latest" / "summary.json", bad)
    assert artifacts.latest_summary() is None


def test_symlink_out_of_the_evidence_dir_is_not_followed(client, alpha, evidence_dir, tmp_path):
    """A link that leads outside ATOPOS_EVIDENCE_DIR reads as missing."""
    check = TWO_CHECKS.checks[0]
    write_run(evidence_dir, NEW_RUN, dict.fromkeys(TWO_CHECKS.checks, "pass"))
    outside = tmp_path / "outside.json"
    write_json(outside, artifact(check, "pass"))
    target = evidence_dir / "latest" / "checks" / f"{check}.json"
    target.unlink()
    target.symlink_to(outside)
    assert artifacts.read_check_artifact("latest", check) is None
    assert get(client, f"/security/evidence/latest/checks/{check}.json").status_code == 404


def test_everything_passing_proves_every_claim_with_checks(client, alpha, evidence_dir):
    """Passing artifacts for every check prove exactly the claims that have checks."""
    write_run(evidence_dir, NEW_RUN, dict.fromkeys(ALL_CHECKS, "pass"))
    with_checks = sum(1 for claim in CLAIMS.values() if claim.checks)
    report = artifacts.report()
    assert report.proven_count == with_checks
    assert f"{with_checks} of {len(CLAIMS)}" in html_of(client, "/security/evidence/")


# ---- The attack catalogue ----------------------------------------------------


def attacks_artifact(verdicts: dict[str, str]) -> dict[str, Any]:
    """attacks_refused's artifact: every attack refused but those in ``verdicts``."""
    found = {
        attack.id: {
            "claim": attack.claim,
            "verdict": verdicts.get(attack.id, "refused"),
            "tests": {
                str(test): "failed" if verdicts.get(attack.id) else "passed"
                for test in attack.tests
            },
        }
        for attack in ATTACKS
    }
    claims: dict[str, str] = {}
    for attack in ATTACKS:
        failed = found[attack.id]["verdict"] != "refused"
        claims[attack.claim] = "fail" if failed or claims.get(attack.claim) == "fail" else "pass"
    data = artifact(ATTACKS_CHECK, "fail" if verdicts else "pass")
    data["details"] = {"attacks": found}
    data["claims"] = claims
    return data


def test_a_failing_attack_leaves_other_claims_proven(client, alpha, evidence_dir):
    """A06 (C16) is not refused: attacks_refused fails, C16 is unproven, C22 stays proven."""
    write_run(evidence_dir, NEW_RUN, dict.fromkeys(ALL_CHECKS, "pass"))
    failing = attacks_artifact({"A06": "not refused"})
    write_json(evidence_dir / "latest" / "checks" / f"{ATTACKS_CHECK}.json", failing)
    assert_shows(client, "C22", "proven", "every check passed")
    assert_shows(client, "C16", "unproven", f"not passed: {ATTACKS_CHECK} (fail)")
    row = matrix_row(html_of(client, "/security/evidence/"), "C22")
    assert 'verdict--pass">Pass for this claim</span>' in row
    assert '<a href="#attack-A01">A01</a>' in row


def test_the_catalogue_is_rendered_with_each_attacks_result(client, alpha, evidence_dir):
    """Every attack shows its threat, claim, tests, limit and its result in the run."""
    write_run(evidence_dir, NEW_RUN, dict.fromkeys(ALL_CHECKS, "pass"))
    failing = attacks_artifact({"A13": "missing"})
    write_json(evidence_dir / "latest" / "checks" / f"{ATTACKS_CHECK}.json", failing)
    html = html_of(client, "/security/evidence/")
    assert f"{len(ATTACKS) - 1} of {len(ATTACKS)} attacks refused in this run." in html
    for attack in ATTACKS:
        match = re.search(rf'<tr id="attack-{attack.id}">(.*?)</tr>', html, re.DOTALL)
        assert match, attack.id
        block = match.group(1)
        assert escape(attack.title) in block
        assert escape(attack.threat) in block
        assert f'<a href="#claim-{attack.claim}">{attack.claim}</a>' in block
        for test in attack.tests:
            assert f"<code>{escape(str(test))}</code>" in block
        if attack.limit:
            assert escape(attack.limit) in block
        label = "Missing test" if attack.id == "A13" else "Refused"
        assert f">{label}</span>" in block


def test_attacks_without_a_result_are_shown_not_run(client, alpha, evidence_dir):
    """No attacks_refused artifact, or one that ran another list of tests: not in this run."""
    statuses = dict.fromkeys(ALL_CHECKS, "pass")
    write_run(evidence_dir, NEW_RUN, statuses, artifacts_for={
        check: "pass" for check in ALL_CHECKS if check != ATTACKS_CHECK
    })  # fmt: skip
    rows = artifacts.report().attacks
    assert {row.state for row in rows} == {"not run"}
    changed = attacks_artifact({})
    first = next(iter(changed["details"]["attacks"]))
    changed["details"]["attacks"][first]["tests"] = {"tests/x/test_y.py::test_z": "passed"}
    write_json(evidence_dir / "latest" / "checks" / f"{ATTACKS_CHECK}.json", changed)
    states = {row.attack.id: row.state for row in artifacts.report().attacks}
    assert states[first] == "not run"
    assert set(states.values()) == {"refused", "not run"}
    assert "Not in this run" in html_of(client, "/security/evidence/")


# ---- Runs and downloads ------------------------------------------------------


def test_incomplete_run_says_how_many_checks_ran(client, alpha, evidence_dir):
    """An "overall pass" over a few checks is shown with how few ran."""
    write_run(evidence_dir, NEW_RUN, {ALL_CHECKS[0]: "pass"})
    summary_file = evidence_dir / "latest" / "summary.json"
    data = json.loads(summary_file.read_text())
    data["completeness"]["checks_total"] = len(ALL_CHECKS)
    write_json(summary_file, data)
    html = html_of(client, "/security/evidence/")
    assert f"Only 1 of {len(ALL_CHECKS)} checks ran." in html


def test_runs_are_listed_newest_first_and_each_has_a_page(client, alpha, evidence_dir):
    """The archive lists the newest run first; a run's page renders like the latest."""
    write_run(evidence_dir, OLD_RUN, {TWO_CHECKS.checks[0]: "fail"}, latest=False)
    write_run(evidence_dir, NEW_RUN, dict.fromkeys(ALL_CHECKS, "pass"))
    (evidence_dir / "runs" / "not-a-run").mkdir()
    assert [run.run_id for run in artifacts.list_runs()] == [NEW_RUN, OLD_RUN]
    html = html_of(client, "/security/evidence/")
    assert html.index(f"/security/evidence/runs/{NEW_RUN}/") < html.index(
        f"/security/evidence/runs/{OLD_RUN}/"
    )
    assert "not-a-run" not in html
    old = html_of(client, f"/security/evidence/runs/{OLD_RUN}/")
    assert f"Evidence run <code>{OLD_RUN}</code>" in old
    assert f'href="/security/evidence/runs/{OLD_RUN}/summary.json"' in old
    assert 'verdict--proven">' not in old
    assert get(client, "/security/evidence/runs/20990101T000000Z-fffffff/").status_code == 404


def test_run_whose_summary_names_another_run_is_ignored(client, alpha, evidence_dir):
    """runs/<id>/summary.json must carry the same run id as its directory."""
    directory = write_run(evidence_dir, OLD_RUN, {ALL_CHECKS[0]: "pass"}, latest=False)
    write_json(directory / "summary.json", summary(NEW_RUN, {ALL_CHECKS[0]: "pass"}))
    assert artifacts.list_runs() == []
    assert get(client, f"/security/evidence/runs/{OLD_RUN}/").status_code == 404


@pytest.mark.parametrize("prefix", ["latest", f"runs/{NEW_RUN}"])
def test_artifact_downloads_are_the_exact_bytes_as_json_attachments(
    client, alpha, evidence_dir, prefix
):
    """summary.json and checks/<id>.json come back byte for byte, as attachments."""
    check = ALL_CHECKS[0]
    write_run(evidence_dir, NEW_RUN, {check: "pass"})
    for name in ("summary.json", f"checks/{check}.json"):
        expected = (evidence_dir / prefix / name).read_bytes()
        response = get(client, f"/security/evidence/{prefix}/{name}")
        assert response.status_code == 200
        assert response.content == expected
        assert response["Content-Type"] == "application/json"
        assert response["Content-Disposition"].startswith("attachment; filename=")
        assert_security_headers(response)
        assert not response.cookies


def test_markdown_documents_download_as_attachments(client, alpha, evidence_dir):
    """EVIDENCE_SUMMARY.md and REVIEWER_PACK.md are offered as the runner wrote them."""
    documents = {"EVIDENCE_SUMMARY.md": "# Summary\n", "REVIEWER_PACK.md": "# Pack\n"}
    write_run(evidence_dir, NEW_RUN, {ALL_CHECKS[0]: "pass"}, documents=documents)
    for name, text in documents.items():
        response = get(client, f"/security/evidence/latest/{name}")
        assert response.status_code == 200
        assert response.content == text.encode()
        assert response["Content-Type"] == "text/markdown; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="latest-{name}"'


@pytest.mark.parametrize(
    "path",
    [
        "/security/evidence/latest/checks/../summary.json",
        "/security/evidence/latest/checks/%2e%2e/summary.json",
        "/security/evidence/latest/checks/..%2fsummary.json",
        "/security/evidence/runs/../latest/summary.json",
        "/security/evidence/runs/%2e%2e/summary.json",
        "/security/evidence/runs/%2e%2e/",
        "/security/evidence/%2e%2e/summary.json",
        "/security/evidence/latest/checks/unknown_check.json",
        "/security/evidence/latest/checks/Unknown.json",
        "/security/evidence/latest/other.json",
        "/security/evidence/latest/notes.md",
        "/security/evidence/runs/20261123T071500Z-zzzzzzz/summary.json",
        "/security/evidence/checks/%2e%2e/",
        "/security/evidence/checks/..%2f..%2fsettings/",
        "/security/evidence/checks/unknown_check/",
    ],
)
def test_names_outside_the_layout_are_404(client, alpha, evidence_dir, path):
    """Only validated run ids, check ids and known file names are ever served."""
    write_run(evidence_dir, NEW_RUN, {ALL_CHECKS[0]: "pass"})
    (evidence_dir / "latest" / "other.json").write_text("{}")
    (evidence_dir / "latest" / "notes.md").write_text("notes")
    response = get(client, path)
    assert response.status_code == 404
    assert_security_headers(response)


def test_malformed_artifact_is_not_offered_for_download(client, alpha, evidence_dir):
    """A file that is not a valid artifact is treated as missing: 404, not served."""
    check = ALL_CHECKS[0]
    write_run(evidence_dir, NEW_RUN, {check: "pass"})
    (evidence_dir / "latest" / "checks" / f"{check}.json").write_text("[]")
    assert get(client, f"/security/evidence/latest/checks/{check}.json").status_code == 404


# ---- Check pages -------------------------------------------------------------


FAKE_CHECK = '''"""A fake check for the page test."""

import pytest

pytestmark = pytest.mark.check("Nothing <b>bold</b> & nothing run", "storage")


def test_fake_check(examined, evidence):
    evidence.record(judged([], {}, "clean", "dirty"))
'''


def test_check_page_shows_its_source_escaped(client, alpha, evidence_dir, monkeypatch, tmp_path):
    """The page shows the check's real file, escaped, with its title and kind read from it."""
    checks_dir = tmp_path / "tests" / "claims"
    checks_dir.mkdir(parents=True)
    (checks_dir / "test_fake_check.py").write_text(FAKE_CHECK)
    monkeypatch.setattr(registry, "TESTS_DIR", checks_dir)
    write_run(evidence_dir, NEW_RUN, {})
    html = html_of(client, "/security/evidence/checks/fake_check/")
    assert escape(FAKE_CHECK) in html
    assert "<b>bold</b>" not in html
    assert "Nothing &lt;b&gt;bold&lt;/b&gt; &amp; nothing run" in html
    assert "<dd>storage</dd>" in html
    assert "No claim names this check yet." in html


def test_check_page_lists_its_claims_and_links_to_the_source(client, alpha, evidence_dir, settings):
    """A check named by claims.toml lists them, its latest result and the repository link."""
    settings.ATOPOS_SOURCE_URL = "https://git.example.org/atopos/"
    check = TWO_CHECKS.checks[0]
    write_run(evidence_dir, NEW_RUN, {check: "fail"})
    html = html_of(client, f"/security/evidence/checks/{check}/")
    assert f'href="/security/#{TWO_CHECKS.id}"' in html
    assert f'href="https://git.example.org/atopos/blob/main/tests/claims/test_{check}.py"' in html
    assert 'verdict--fail">Fail' in html
    assert f"{check} found something" in html
    path = registry.source_path(check)
    if path.is_file():
        assert escape(path.read_text(encoding="utf-8")) in html
    else:
        assert "not present in this deployment" in html


@pytest.mark.parametrize("check_id", registry.check_ids())
def test_every_real_check_page_shows_its_real_source(client, alpha, evidence_dir, check_id):
    """For each check module in the tree, its page carries the file's exact text, escaped."""
    write_run(evidence_dir, NEW_RUN, {})
    source = registry.source_path(check_id).read_text(encoding="utf-8")
    assert escape(source) in html_of(client, f"/security/evidence/checks/{check_id}/")


def test_claims_link_to_their_checks_pages(client, alpha, evidence_dir):
    """The security page links each claim to the pages that show its checks' code."""
    block = security_claim(html_of(client, "/security/"), TWO_CHECKS.id)
    for check in TWO_CHECKS.checks:
        assert f'href="/security/evidence/checks/{check}/"' in block


# ---- Reviewer pack -----------------------------------------------------------


def test_reviewer_pack_is_escaped_text(client, alpha, evidence_dir):
    """Markup in the pack is shown as text; a small markdown subset gives structure."""
    pack = (
        "# Reviewer pack\n\n"
        "Read `summary.json` first.\n<script>alert(1)</script>\n\n"
        "- one <img src=x onerror=alert(2)>\n- two **<i>bold</i>**\n\n"
        "1. first\n2. second\n\n"
        "```\n<b>code</b>\n```\n\n"
        "| a | b |\n|---|---|\n"
    )
    write_run(
        evidence_dir,
        NEW_RUN,
        {ALL_CHECKS[0]: "pass"},
        documents={"REVIEWER_PACK.md": pack, "EVIDENCE_SUMMARY.md": "# s\n"},
    )
    html = html_of(client, "/security/evidence/reviewer-pack/")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html.split('<article class="markdown"')[1]
    assert "<h2>Reviewer pack</h2>" in html
    assert "<code>summary.json</code>" in html
    assert "<li>two <strong>&lt;i&gt;bold&lt;/i&gt;</strong></li>" in html
    assert "<ol><li>first</li><li>second</li></ol>" in html
    assert '<pre tabindex="0"><code>&lt;b&gt;code&lt;/b&gt;</code></pre>' in html
    assert 'href="/security/evidence/latest/EVIDENCE_SUMMARY.md"' in html


def test_pages_serve_what_the_run_rendered_and_parse_nothing_per_request(
    client, alpha, evidence_dir, monkeypatch
):
    """Once a run is written, the pages read its pages.json: with every parser made to fail,
    the reviewer pack, a check's title and kind, and the security pages still show."""
    check = TWO_CHECKS.checks[0]
    source = registry.source_path(check).read_text(encoding="utf-8")
    title, kind = prebuilt.declared(source)
    write_run(
        evidence_dir,
        NEW_RUN,
        {check: "pass"},
        documents={"REVIEWER_PACK.md": "# Reviewer pack\n\n- **first** item\n"},
    )

    def no_parsing(*args: object) -> None:
        raise AssertionError("a page parsed a source while serving a request")

    for parser in ("markdown_blocks", "spans", "declared", "declarations", "write_pages"):
        monkeypatch.setattr(prebuilt, parser, no_parsing)
    monkeypatch.setattr(ast, "parse", no_parsing)
    pack = html_of(client, "/security/evidence/reviewer-pack/")
    assert "<h2>Reviewer pack</h2>" in pack
    assert "<li><strong>first</strong> item</li>" in pack
    page = html_of(client, f"/security/evidence/checks/{check}/")
    assert f'<p class="lead">{escape(title)}</p>' in page
    assert f"<dd>{kind}</dd>" in page
    assert escape(source) in page  # the deployment's file, read as text
    html_of(client, "/security/evidence/")
    html_of(client, "/security/")


def test_a_run_without_its_rendered_pages_shows_no_pack_and_no_declaration(
    client, alpha, evidence_dir
):
    """pages.json is the only source of both: without it nothing is parsed in its place."""
    write_run(evidence_dir, NEW_RUN, {}, documents={"REVIEWER_PACK.md": "# x\n"})
    (evidence_dir / "latest" / prebuilt.PAGES_FILE).unlink()
    pack = html_of(client, "/security/evidence/reviewer-pack/")
    assert "No reviewer pack has been published here yet." in pack
    page = html_of(client, "/security/evidence/checks/bandit_clean/")
    assert "<dd>Not recorded</dd>" in page


def test_reviewer_pack_page_says_when_there_is_none(client, alpha, evidence_dir):
    """No run: the page says so instead of failing."""
    html = html_of(client, "/security/evidence/reviewer-pack/")
    assert "No reviewer pack has been published here yet." in html


def test_markdown_subset_parses_lists_and_paragraphs():
    """Continuation lines join their item or paragraph; nothing else is interpreted."""
    blocks = prebuilt.markdown_blocks("para one\nstill one\n\n- a\n  more a\n- b\n## Sub\ntext")
    assert [block.kind for block in blocks] == ["paragraph", "list", "heading", "paragraph"]
    assert blocks[0].spans == (prebuilt.Span("para one still one"),)
    assert blocks[1].items == ((prebuilt.Span("a more a"),), (prebuilt.Span("b"),))
    assert blocks[2].level == 3
    assert prebuilt.spans("a `x**y**` **b**") == (
        prebuilt.Span("a "),
        prebuilt.Span("x**y**", code=True),
        prebuilt.Span(" "),
        prebuilt.Span("b", strong=True),
    )


# ---- Every new page is public, read-only and cookie-free ---------------------


def test_new_pages_carry_the_headers_and_no_cookie(client, alpha, evidence_dir):
    """Each page and download answers with the strict headers and sets no cookie."""
    check = ALL_CHECKS[0]
    write_run(evidence_dir, NEW_RUN, {check: "pass"}, documents={"REVIEWER_PACK.md": "# p\n"})
    for path in (
        "/security/",
        "/security/evidence/",
        f"/security/evidence/runs/{NEW_RUN}/",
        "/security/evidence/reviewer-pack/",
        f"/security/evidence/checks/{check}/",
        "/security/evidence/latest/REVIEWER_PACK.md",
    ):
        response = get(client, path)
        assert response.status_code == 200, path
        assert_security_headers(response)
        assert "Set-Cookie" not in response
        assert not response.cookies
        assert client.post(path, HTTP_HOST=HOST).status_code == 405
        if response["Content-Type"].startswith("text/html"):
            assert "<script>" not in response.content.decode()
            assert " style=" not in response.content.decode()


def test_a_run_of_uncommitted_changes_says_so(client, alpha, evidence_dir):
    """A run that examined a modified working tree is not passed off as the commit."""
    directory = write_run(evidence_dir, NEW_RUN, {"alpha_check": "pass"}, latest=False)
    data = json.loads((directory / "summary.json").read_text())
    write_json(directory / "summary.json", {**data, "worktree": "modified"})
    shutil.copytree(directory, evidence_dir / "latest")
    assert "with uncommitted changes" in html_of(client, "/security/evidence/")


def test_the_rendered_pages_pass_the_publish_safe_scan(tmp_path):
    """pages.json holds the pack's text as written: "§8.9" stays a section, not a dotted name."""
    (tmp_path / "REVIEWER_PACK.md").write_text("# Pack\n\nSee PROTOCOL §8.9 and `summary.json`.\n")
    prebuilt.write_pages(tmp_path)
    assert scan_directory(tmp_path) == []
    assert "§8.9" in (tmp_path / prebuilt.PAGES_FILE).read_text(encoding="utf-8")


FORMAL = "formal_models"


def test_the_security_pages_tla_line_shows_the_runs_figures_and_links_its_check(
    client, alpha, evidence_dir
):
    write_run(evidence_dir, NEW_RUN, dict.fromkeys(ALL_CHECKS, "pass"))
    passed = artifact(FORMAL, "pass") | {
        "counts": {"distinct_states": 412345, "traces_validated": 588}
    }
    write_json(evidence_dir / "latest" / "checks" / f"{FORMAL}.json", passed)

    html = html_of(client, "/security/")

    assert "TLA+ formal verification of protocol invariants (join, governance, fork-choice)" in html
    assert "In the latest run TLC explored 412345 distinct states and validated 588 traces" in html
    assert f'href="/security/evidence/checks/{FORMAL}/">see the check</a>' in html
    assert "What the models do not cover" in html


def test_the_security_pages_tla_line_says_so_when_the_run_did_not_prove_it(
    client, alpha, evidence_dir
):
    write_run(evidence_dir, NEW_RUN, dict.fromkeys(ALL_CHECKS, "pass") | {FORMAL: "fail"})

    html = html_of(client, "/security/")

    assert "The latest evidence run did not prove this" in html
    assert "In the latest run TLC explored" not in html
