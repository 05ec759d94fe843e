"""The claims matrix, the registry, the publish-safe gate and the runner that ties them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from atopos_site.sri import bundle_hash
from evidence.check import Check, CheckResult, Kind, Status
from evidence.claims import Claim, ClaimsFileError, all_check_ids, judge, load_claims
from evidence.context import Context
from evidence.publish_safe import scan_directory, scan_text
from evidence.registry import CHECKS_DIR, UnknownCheck, load_check
from evidence.runner import build_summary, publish, run_checks, write_run

CLAIM = Claim("C99", "Something holds.", ("server compromise",), ("alpha", "beta"))


# The claims matrix --------------------------------------------------------------------------


def test_the_matrix_holds_at_least_the_twenty_two_issue_claims():
    ids = [claim.id for claim in load_claims()]
    assert [f"C{n:02d}" for n in range(1, 23)] == ids[:22]


def test_every_check_the_matrix_names_has_its_module():
    for check_id in all_check_ids(load_claims()):
        assert load_check(check_id).id == check_id


def test_every_check_module_is_named_by_some_claim():
    named = set(all_check_ids(load_claims()))
    modules = {path.stem for path in CHECKS_DIR.glob("*.py") if not path.stem.startswith("_")}
    assert modules == named


def test_a_claim_without_checks_must_say_why(tmp_path):
    path = tmp_path / "claims.toml"
    path.write_text('[[claim]]\nid = "C01"\nstatement = "x"\nthreats = ["y"]\nchecks = []\n')
    with pytest.raises(ClaimsFileError, match="must say why under `pending`"):
        load_claims(path)


def test_duplicate_claim_ids_are_refused(tmp_path):
    entry = '[[claim]]\nid = "C01"\nstatement = "x"\nthreats = ["y"]\nchecks = ["a_b_c"]\n'
    path = tmp_path / "claims.toml"
    path.write_text(entry * 2)
    with pytest.raises(ClaimsFileError, match="unique"):
        load_claims(path)


def test_a_claim_is_proven_only_when_every_check_passed():
    assert judge(CLAIM, {"alpha": "pass", "beta": "pass"}).proven
    assert judge(CLAIM, {"alpha": "pass", "beta": "fail"}).reason == "not passed: beta (fail)"
    assert judge(CLAIM, {"alpha": "pass", "beta": "error"}).reason == "not passed: beta (error)"
    assert judge(CLAIM, {"alpha": "pass"}).reason == "no result for beta"


def test_a_pending_claim_is_unproven_with_its_reason():
    pending = Claim("C10", "Modes work.", ("network observer",), (), "mix mode comes later")
    verdict = judge(pending, {})
    assert (verdict.status, verdict.reason) == ("unproven", "mix mode comes later")


def test_an_unknown_check_id_is_refused():
    with pytest.raises(UnknownCheck):
        load_check("no_such_check")
    with pytest.raises(UnknownCheck):
        load_check("../context")


# The publish-safe gate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ('{"peer": "203.0.113.9"}', "holds an IP address"),
        ('{"peer": "2001:db8::1"}', "holds an IP address"),
        ('{"site": "chat.example.org"}', "holds a hostname"),
        ('{"site": "localhost"}', "holds a hostname"),
        ('{"link": "wss://relay/ws/v1"}', "holds a URL"),
        ("2026-11-23 06:54:26,590 INFO rooms: joined", "holds a raw log line"),
        ('- - - [23/Nov/2026:06:54:26] "WSCONNECT /ws/[redacted]" - -', "holds a raw log line"),
        ('{"work": "/home/alice/atopos/var/evidence-work"}', "holds a path on this machine"),
    ],
)
def test_the_publish_safe_scan_rejects(text, finding):
    assert [item.what for item in scan_text("checks/x.json", text)] == [finding]


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ('{"data": "/srv/x"}', "holds a path on this machine"),
        ('{"data": "/opt/x"}', "holds a path on this machine"),
        ('{"data": "(/etc/atopos/env)"}', "holds a path on this machine"),
        ('{"log": "read\\n/var/lib/atopos"}', "holds a path on this machine"),
        ('{"data": "C:\\\\Users\\\\bob"}', "holds a path on this machine"),
        ('{"db": "host.internal"}', "holds a hostname"),
        ('{"db": "foo.corp"}', "holds a hostname"),
        ('{"db": "redis.prod.intranet:6379"}', "holds a hostname"),
        ('{"db": "rooms.attacker.example"}', "holds a hostname"),
        ('{"mail": "ops@faß.example"}', "holds a hostname"),
        ('{"peer": "peer:2001:db8::1"}', "holds an IP address"),
        ('{"peer": "v6:fe80::1%eth0"}', "holds an IP address"),
        ('{"test": "tests/x.py::2001:db8::1"}', "holds an IP address"),
    ],
)
def test_mallorys_leaks_that_no_denylist_named_are_refused(text, finding):
    """Paths, hostnames and addresses outside the allowlist are refused, whatever their TLD."""
    assert [item.what for item in scan_text("checks/x.json", text)] == [finding]


@pytest.mark.parametrize(
    "text",
    [
        '{"routes": ["/", "/r/", "/ws/v1", "/static/js/session.js", "/no-such-page/"]}',
        '{"page": "/security/evidence/latest/checks/sri_hashes_match.json"}',
        '{"names": ["atopos_protocol.labels.Label.RID", "nacl.public.SealedBox"]}',
        '{"field": "Tenant.display_name", "version": "v20.20.2", "took": 0.23}',
        '{"bundle": "qrcode-generator-2.0.4.js", "globs": "*/tests/ and */migrations/"}',
        '{"mac": "lrSXuAkhfwpezSUAdIH/KbBzuxp2QK//g524NBfZ7Vq=", "at": "12:30:01"}',
        '{"tests": ["tests/attacks/test_a.py::test_b", "tests/js/a.test.js::a hello > e"]}',
    ],
)
def test_the_publish_safe_scan_accepts_what_the_allowlist_describes(text):
    """Site routes, code names, file names, versions, base64 and times are publishable."""
    assert scan_text("checks/x.json", text) == []


def test_the_published_evidence_passes_the_allowlist():
    """The committed run passes the gate that will judge the next one."""
    from tests.support.processes import ROOT

    assert scan_directory(ROOT / "evidence" / "latest") == []


def test_the_publish_safe_scan_rejects_a_known_secret_in_any_encoding():
    secret = bytes(range(7, 39))
    assert [item.what for item in scan_text("x", secret.hex(), [secret])] == ["holds a secret"]


def test_the_publish_safe_scan_accepts_counts_paths_and_times():
    clean = (
        '{"checks": 3, "source": "evidence/checks/x.py", "run_date": "2026-11-23T07:15:00Z", '
        '"suite": "tests/js/governance-vectors.test.js"}'
    )
    assert scan_text("summary.json", clean) == []


def test_the_scan_names_the_artifact_never_the_text(tmp_path):
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "leaky.json").write_text('{"peer": "198.51.100.4"}')
    assert [str(finding) for finding in scan_directory(tmp_path)] == [
        "checks/leaky.json: holds an IP address"
    ]


# The runner ---------------------------------------------------------------------------------


def check_returning(result: CheckResult | Exception) -> Check:
    def run(ctx: Context) -> CheckResult:
        if isinstance(result, Exception):
            raise result
        return result

    return Check("alpha", "Alpha", Kind.STATIC, run)


def results_of(check: Check, tmp_path: Path) -> dict:
    from evidence import runner

    ctx = Context(work=tmp_path)
    original = runner.load_check
    runner.load_check = lambda check_id: check  # the runner's only way to find checks
    try:
        return run_checks(ctx, ["alpha"], log=lambda line: None)
    finally:
        runner.load_check = original


def test_a_crashing_check_is_reported_as_could_not_run(tmp_path):
    results = results_of(check_returning(RuntimeError("boom")), tmp_path)
    _, result, _ = results["alpha"]
    assert (result.status, result.summary) == (Status.ERROR, "the check crashed (RuntimeError)")


def test_a_missing_check_module_is_reported_as_could_not_run(tmp_path):
    results = run_checks(Context(work=tmp_path), ["not_a_check"], log=lambda line: None)
    assert results["not_a_check"][1].status is Status.ERROR


def test_a_run_writes_the_documented_layout(tmp_path):
    results = results_of(check_returning(CheckResult(Status.PASS, "fine", {"files": 3})), tmp_path)
    summary = build_summary([CLAIM], results, "20261123T071500Z-abcdef0", "2026-11-23T07:15:00Z",
                            "a" * 40, remote=False)  # fmt: skip
    staging = tmp_path / "staging"
    write_run(staging, [CLAIM], summary, results)
    assert sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()) == [
        "EVIDENCE_SUMMARY.md", "REVIEWER_PACK.md", "checks/alpha.json", "pages.json",
        "summary.json",
    ]  # fmt: skip
    artifact = json.loads((staging / "checks" / "alpha.json").read_text())
    assert (artifact["status"], artifact["counts"], artifact["source"]) == (
        "pass", {"files": 3}, "evidence/checks/alpha.py",
    )  # fmt: skip
    assert summary["claims"][0]["status"] == "unproven"  # beta never ran
    assert summary["completeness"]["checks_passed"] == 1
    # The client bundle this checkout serves, to be matched against a site's footer.
    assert summary["bundle_hash"] == bundle_hash()


def test_publishing_replaces_latest_and_keeps_the_run(tmp_path):
    staging = tmp_path / ".staging-x"
    staging.mkdir()
    (staging / "summary.json").write_text("{}")
    published = publish(staging, tmp_path, "20261123T071500Z-abcdef0")
    assert published == tmp_path / "latest"
    assert (tmp_path / "runs" / "20261123T071500Z-abcdef0" / "summary.json").is_file()
    assert not staging.exists()


def test_the_command_runs_one_check_and_publishes_it(tmp_path):
    call_command("security_evidence", "--check", "routes_take_no_fragment", "--out", str(tmp_path))
    summary = json.loads((tmp_path / "latest" / "summary.json").read_text())
    assert summary["checks"]["routes_take_no_fragment"]["status"] == "pass"
    assert summary["completeness"]["checks_run"] == 1


def test_the_command_fails_when_a_check_fails(tmp_path):
    with pytest.raises(CommandError, match="failed or could not run"):
        call_command("security_evidence", "--check", "no_such_check", "--out", str(tmp_path))


def test_the_command_refuses_a_base_url_that_is_not_http(tmp_path):
    with pytest.raises(CommandError, match="http"):
        call_command("security_evidence", "--base-url", "file:///etc", "--out", str(tmp_path))


@pytest.mark.integration
def test_the_command_verifies_a_site_it_does_not_run(tmp_path):
    """--base-url: the outside checks run against a live site, pass, and publish safely."""
    from atopos_site.embedded_redis import start_embedded_redis
    from atopos_site.testing.chromium import CHROMIUM, chromium_available
    from atopos_site.testing.live_site import live_site

    if not chromium_available():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    with (
        start_embedded_redis() as redis_server,
        live_site(tmp_path, env={"REDIS_URL": redis_server.url}) as site,
    ):
        out = tmp_path / "evidence"
        call_command("security_evidence", "--base-url", site.url(""), "--out", str(out))
    summary = json.loads((out / "latest" / "summary.json").read_text())
    assert summary["target"] == "remote"
    assert sorted(summary["checks"]) == [
        "browser_fragment_never_sent", "ended_room_indistinguishable", "frame_sizes_are_buckets",
        "pages_load_nothing_foreign", "security_headers_every_route",
        "served_client_matches_build",
    ]  # fmt: skip
    assert {check["status"] for check in summary["checks"].values()} == {"pass"}


def test_a_run_whose_artifact_holds_a_planted_secret_is_not_published(tmp_path):
    """A check that put a canary in its details: the run stops before `latest` changes."""
    from evidence import runner
    from evidence.live.canaries import Canaries

    canaries = Canaries()
    secret = canaries.plant("room-secret", bytes(range(40, 72)))
    leaky = Check(
        "alpha", "Alpha", Kind.STATIC,
        lambda ctx: CheckResult(Status.PASS, "fine", details={"oops": secret.hex()}),
    )  # fmt: skip
    ctx = Context(work=tmp_path)
    ctx._remote_browser = (None, canaries, None)  # what a --base-url browser run planted
    original = runner.load_check
    runner.load_check = lambda check_id: leaky
    try:
        outcome = runner.run_evidence(tmp_path / "out", ctx, ["alpha"], log=lambda line: None)
    finally:
        runner.load_check = original
    assert [str(finding) for finding in outcome.unsafe] == ["checks/alpha.json: holds a secret"]
    assert outcome.published is None
    assert not (tmp_path / "out" / "latest").exists()
