"""The claims matrix, the registry, the publish-safe gate and the runner that ties them."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from atopos_site.sri import bundle_hash
from evidence import runner
from evidence.check import Check, CheckResult, Kind, Status
from evidence.claims import Claim, ClaimsFileError, all_check_ids, judge, load_claims
from evidence.collect import Collected, Target, results_from_report
from evidence.publish_safe import scan_directory, scan_text
from evidence.registry import TESTS_DIR, UnknownCheck, check_ids, source_path
from evidence.runner import build_summary, publish, run_checks, write_run

CLAIM = Claim("C99", "Something holds.", ("server compromise",), ("alpha", "beta"))


# The claims matrix --------------------------------------------------------------------------


def test_the_matrix_holds_at_least_the_twenty_two_issue_claims():
    ids = [claim.id for claim in load_claims()]
    assert [f"C{n:02d}" for n in range(1, 23)] == ids[:22]


def test_every_check_the_matrix_names_has_its_module():
    for check_id in all_check_ids(load_claims()):
        assert source_path(check_id) == TESTS_DIR / f"test_{check_id}.py"
        assert source_path(check_id).is_file()


def test_every_check_module_is_named_by_some_claim():
    assert set(check_ids()) == set(all_check_ids(load_claims()))


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


def test_a_check_id_that_could_name_another_file_is_refused():
    with pytest.raises(UnknownCheck):
        source_path("../context")


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


def reported(*tests: dict) -> dict:
    """A report as evidence.pytest_plugin writes it, holding ``tests``."""
    return {"runner": "pytest", "exitstatus": 0, "tests": list(tests)}


def entry_of(check_id: str, outcome: str, name: str = "", **recorded) -> dict:
    nodeid = f"tests/claims/test_{check_id}.py::test_{name or check_id}"
    check = {"title": check_id.title(), "kind": "static"}
    return {"nodeid": nodeid, "outcome": outcome, "claims": [], "duration": 1.5,
            "recorded": {"check": check, **recorded}}  # fmt: skip


def test_a_check_takes_its_title_counts_and_summary_from_what_its_test_recorded():
    report = reported(
        entry_of("alpha", "passed", status="pass", summary="fine", counts={"files": 3})
    )
    check, result, seconds = results_from_report(report, ["alpha"])["alpha"]
    assert (check.title, check.kind) == ("Alpha", Kind.STATIC)
    assert (result.status, result.summary, result.counts, seconds) == (
        Status.PASS, "fine", {"files": 3}, 1.5,
    )  # fmt: skip


def test_a_check_of_several_tests_is_as_bad_as_its_worst_and_adds_its_counts():
    report = reported(
        entry_of("alpha", "passed", "one", status="pass", summary="one is fine",
                 counts={"frames": 2}),
        entry_of("alpha", "failed", "two", summary="two leaks", counts={"frames": 3},
                violations=["a canary crossed the wire"]),
    )  # fmt: skip
    _, result, _ = results_from_report(report, ["alpha"])["alpha"]
    assert (result.status, result.counts) == (Status.FAIL, {"frames": 5})
    assert result.summary == "one is fine; two leaks"
    assert result.reasons == ["a canary crossed the wire"]


def test_a_test_that_crashed_before_its_judgement_is_a_failure_that_says_so():
    _, result, _ = results_from_report(reported(entry_of("alpha", "failed")), ["alpha"])["alpha"]
    assert result.status is Status.FAIL
    assert result.reasons == ["test_alpha stopped before its judgement (fail)"]


def test_a_check_test_that_passed_without_recording_a_finding_proves_nothing():
    """Mallory's check asserts nothing and records nothing: an error, never a pass."""
    _, result, _ = results_from_report(reported(entry_of("alpha", "passed", "")), ["alpha"])[
        "alpha"
    ]
    assert result.status is Status.ERROR
    assert result.reasons == ["test_alpha recorded no finding or stopped before its judgement"]


def test_a_check_that_could_not_run_is_an_error_never_a_pass():
    report = reported(entry_of("alpha", "failed", status="error", summary="no browser"))
    _, result, _ = results_from_report(report, ["alpha"])["alpha"]
    assert (result.status, result.summary) == (Status.ERROR, "no browser")


def test_a_check_whose_tests_never_ran_is_an_error():
    _, result, _ = results_from_report(reported(), ["alpha"])["alpha"]
    assert (result.status, result.summary) == (Status.ERROR, "no test of this check ran")


def test_a_remote_run_leaves_out_the_checks_that_cannot_examine_a_remote_site():
    report = reported(entry_of("alpha", "skipped"), entry_of("beta", "passed"))
    assert list(results_from_report(report, ["alpha", "beta"], remote=True)) == ["beta"]


def test_a_check_without_a_module_is_reported_as_could_not_run(tmp_path):
    results = run_checks(Target(work=tmp_path), ["not_a_check"], log=lambda line: None)
    assert results["not_a_check"][1].status is Status.ERROR


def test_a_run_writes_the_documented_layout(tmp_path):
    check = Check("alpha", "Alpha", Kind.STATIC)
    results = {"alpha": (check, CheckResult(Status.PASS, "fine", {"files": 3}), 1.0)}
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
        "pass", {"files": 3}, "tests/claims/test_alpha.py",
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
        "link_alone_gets_nothing", "pages_load_nothing_foreign", "passphrase_never_sent",
        "security_headers_every_route", "served_client_matches_build",
    ]  # fmt: skip
    assert {check["status"] for check in summary["checks"].values()} == {"pass"}


def test_a_run_whose_artifact_holds_a_planted_secret_is_not_published(tmp_path, monkeypatch):
    """A check that put a canary in its details: the run stops before `latest` changes."""
    secret = bytes(range(40, 72))
    leaky = CheckResult(Status.PASS, "fine", details={"oops": secret.hex()})
    collected = Collected({"alpha": (Check("alpha", "Alpha", Kind.STATIC), leaky, 1.0)}, [secret])
    monkeypatch.setattr(runner, "tested", lambda ctx, ids: ids)
    monkeypatch.setattr(runner, "run_tested", lambda ctx, ids, log: collected)
    outcome = runner.run_evidence(tmp_path / "out", Target(work=tmp_path), ["alpha"], log=print)
    assert [str(finding) for finding in outcome.unsafe] == ["checks/alpha.json: holds a secret"]
    assert outcome.published is None
    assert not (tmp_path / "out" / "latest").exists()
