"""Which code runs: the client bundle hash, recomputable without our code, and its comparison.

The footer and the evidence pages show it in Chromium
(tests/browser/test_running_code_in_chromium.py); here, its definition and
every verdict the evidence page can give.
"""

from __future__ import annotations

import subprocess

import pytest

from atopos_site.running_code import RunningCode, compare
from atopos_site.sri import bundle_hash
from tests.support.processes import ROOT

COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"
BUNDLE = "a" * 64
OTHER_BUNDLE = "b" * 64
SITE = RunningCode(COMMIT, BUNDLE)


def test_make_bundle_hash_recomputes_the_sites_hash_from_static_alone():
    """The documented shell recipe (coreutils and openssl) gives the hash the site shows."""
    result = subprocess.run(
        ["make", "--no-print-directory", "bundle-hash"], cwd=ROOT, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == bundle_hash()


@pytest.mark.parametrize(
    ("run", "state", "start"),
    [
        (RunningCode(COMMIT, BUNDLE), "match", "Match: this site runs the commit"),
        (RunningCode(COMMIT, OTHER_BUNDLE), "mismatch", "No match: this site serves different"),
        (RunningCode(OTHER_COMMIT, BUNDLE), "client-only", "The client code matches"),
        (RunningCode("unknown", BUNDLE), "client-only", "The client code matches"),
        (RunningCode(COMMIT, ""), "unknown", "Cannot tell: this run recorded no client bundle"),
    ],
    ids=["same", "other-bundle", "other-commit", "unknown-commit", "no-bundle-recorded"],
)
def test_the_evidence_page_says_in_words_whether_a_run_examined_this_sites_code(run, state, start):
    """The bundle decides (it is what browsers get); the commit adds what it can."""
    comparison = compare(SITE, run)
    assert comparison.state == state
    assert comparison.sentence.startswith(start)


def test_a_run_that_examined_other_server_code_is_not_called_a_match():
    """Same client bundle, another commit: the sentence says the server's code may differ."""
    sentence = compare(SITE, RunningCode(OTHER_COMMIT, BUNDLE)).sentence
    assert "this site's commit differs from the run's" in sentence
