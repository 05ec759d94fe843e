"""C11: no page makes the browser load anything from another origin.

Every page reachable on the site is parsed for everything it makes a
browser fetch or submit to (scripts, styles, images, frames, media, forms,
base); any absolute or protocol-relative URL of another origin fails. The
requests headless Chromium actually made during the scripted room are
checked too: all of them must go to the site's own origin.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from evidence.check import CheckResult, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.site import Fetched, parse_html, same_origin_path
from tests.claims.test_security_headers_every_route import site_crawl


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def judge(origin: str, pages: list[Fetched], browser_requests: list[str]) -> CheckResult:
    violations, references = [], 0
    for page in pages:
        loaded, _ = parse_html(page.body)
        for reference in loaded:
            references += 1
            for value in reference.value.split(","):
                url = value.strip().split(" ", 1)[0]
                if url and same_origin_path(origin, page.path, url) is None:
                    violations.append(
                        f"{page.path}: <{reference.tag} {reference.attribute}> loads from "
                        "another origin"
                    )
    site = _origin(origin)
    for url in browser_requests:
        scheme_free = _origin(url).split("://", 1)[-1]
        if scheme_free != site.split("://", 1)[-1]:
            violations.append("the browser requested something from another origin")
    if not pages:
        violations.append("no page was fetched")
    counts = {
        "pages": len(pages),
        "references": references,
        "browser_requests": len(browser_requests),
    }
    return judged(
        violations, counts,
        f"{len(pages)} pages and {len(browser_requests)} browser requests stay on one origin",
        "something is loaded from another origin",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    visit = site_crawl(ctx)
    try:
        record, _, _ = ctx.browser()
        requests = [request.url for request in record.requests]
    except Exception:  # the crawl alone still judges every page
        requests = []
    return judge(visit.origin, visit.pages(), requests)


pytestmark = pytest.mark.check("No page loads anything from another origin", "runtime", remote=True)


def test_pages_load_nothing_foreign(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
