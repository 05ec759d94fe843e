"""A reviewer can tell which code a site runs and match it to an evidence run.

Every footer shows the release (the commit ``git rev-parse HEAD`` gives for
this checkout) and the client bundle hash, which this test recomputes on its
own from the module files the site serves, fetched over HTTP. The evidence
pages set both beside the ones a run recorded and say whether they match.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path

import pytest

from tests.evidence.test_pages import NEW_RUN, OLD_RUN, summary, write_json
from tests.support.browser import PageRecord
from tests.support.live_site import live_site
from tests.support.processes import ROOT, http_get

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
OTHER_BUNDLE = "0" * 64


def head_commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def served_bundle_hash(port: int) -> str:
    """SHA-256 of "<URL> sha384-<base64>" lines, one per JavaScript file, over the served bytes."""
    static = ROOT / "static"
    paths = sorted(
        path.relative_to(static).as_posix()
        for path in static.rglob("*")
        if path.suffix in (".js", ".mjs")
        and not any(part.startswith(".") for part in path.relative_to(static).parts)
    )
    lines = []
    for path in paths:
        status, _, body = http_get(port, f"/static/{path}")
        assert status == 200, path
        digest = base64.b64encode(hashlib.sha384(body).digest()).decode()
        lines.append(f"/static/{path} sha384-{digest}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


@pytest.fixture(scope="module")
def evidence_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture(scope="module")
def site(tmp_path_factory, evidence_dir):
    """A live site reading its evidence runs from a directory this module writes."""
    environment = {"ATOPOS_EVIDENCE_DIR": str(evidence_dir), "ATOPOS_RELEASE": ""}
    with live_site(tmp_path_factory.mktemp("running"), env=environment) as running:
        yield running


@pytest.fixture(scope="module")
def bundle(site) -> str:
    return served_bundle_hash(site.port)


@SIZES
def test_the_footer_shows_the_commit_and_the_client_bundle_hash(chromium, site, bundle, size):
    """Short forms in the footer, full ones in their titles, all inside the screen's width."""
    context = chromium.new_context(**size)
    try:
        page = context.new_page()
        record = PageRecord()
        record.watch(page)
        page.goto(site.url("/"), wait_until="networkidle")
        line = page.locator("#running-code")
        line.scroll_into_view_if_needed()
        commit, client = line.locator("code.hash").all()
        assert commit.inner_text() == head_commit()[:12]
        assert commit.get_attribute("title") == f"Commit {head_commit()}"
        assert client.inner_text() == bundle[:12]
        assert client.get_attribute("title") == f"SHA-256 {bundle}"
        assert line.inner_text().startswith(f"Running release {head_commit()[:12]}, client bundle")
        assert line.is_visible()
        box = line.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= size["viewport"]["width"]
        assert page.evaluate("window.__cspViolations") == []
        assert record.console_errors == []
    finally:
        context.close()


@SIZES
def test_the_evidence_page_says_whether_a_run_examined_the_code_this_site_runs(
    chromium, site, bundle, evidence_dir, size
):
    """The latest run recorded this commit and bundle: a match. An older one, another bundle."""
    latest = {**summary(NEW_RUN, {}), "git_commit": head_commit(), "bundle_hash": bundle}
    write_json(evidence_dir / "latest" / "summary.json", latest)
    older = {**summary(OLD_RUN, {}), "git_commit": head_commit(), "bundle_hash": OTHER_BUNDLE}
    write_json(evidence_dir / "runs" / OLD_RUN / "summary.json", older)
    context = chromium.new_context(**size)
    try:
        page = context.new_page()
        page.goto(site.url("/security/evidence/"), wait_until="networkidle")
        verdict = page.locator("#code-comparison")
        assert verdict.inner_text() == (
            "Match: this site runs the commit and serves the client code this run examined."
        )
        facts = page.locator("#running-code-title + p + dl")
        assert facts.get_by_text(bundle).count() == 2  # the run's and the site's, in full
        assert facts.get_by_text(head_commit()).count() == 2
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["viewport"]["width"]

        page.goto(site.url(f"/security/evidence/runs/{OLD_RUN}/"), wait_until="networkidle")
        assert verdict.inner_text().startswith(
            "No match: this site serves different client code from the code this run examined"
        )
        assert facts.get_by_text(OTHER_BUNDLE).is_visible()
    finally:
        context.close()


def test_favicon_ico_answers_with_the_icon_and_logs_no_warning(site):
    """Browsers ask for /favicon.ico by themselves: the SVG icon, and nothing in the log."""
    status, headers, body = http_get(site.port, "/favicon.ico")
    assert status == 200
    assert headers["Content-Type"] == "image/svg+xml"
    assert body == (ROOT / "static" / "img" / "favicon.svg").read_bytes()
    output = site.output().splitlines()
    assert [line for line in output if "WARNING" in line and "favicon" in line] == []
