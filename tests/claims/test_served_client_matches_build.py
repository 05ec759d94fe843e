"""C21: the client code the site serves is byte-identical to the reproducible build.

Every script and stylesheet the site's pages load is downloaded from the
site and compared with the file of the same path in this checkout's static/
tree (whose vendored bundle vendor_bundle_reproducible rebuilds from the
lock file); each integrity attribute must match the bytes served. Point it
at any deployment with --base-url to verify the code it serves.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from evidence.check import CheckResult, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.site import Crawl, parse_html, same_origin_path
from tests.claims.test_security_headers_every_route import site_crawl

STATIC_PREFIX = "/static/"
CODE_TAGS = {("script", "src"), ("link", "href")}


def sri(data: bytes, algorithm: str) -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def judge(visit: Crawl, static_root: Path) -> CheckResult:
    violations, compared = [], 0
    for page in visit.pages():
        loaded, _ = parse_html(page.body)
        for reference in loaded:
            path = same_origin_path(visit.origin, page.path, reference.value)
            if (reference.tag, reference.attribute) not in CODE_TAGS or path is None:
                continue
            if not path.startswith(STATIC_PREFIX):
                violations.append(f"{page.path} loads code from outside {STATIC_PREFIX}: {path}")
                continue
            served = visit.responses.get(path)
            local = static_root / path.removeprefix(STATIC_PREFIX)
            if served is None or served.status != 200:
                violations.append(f"{path} was not served")
                continue
            compared += 1
            if not local.is_file() or local.read_bytes() != served.body:
                violations.append(f"{path} differs from the build")
            if reference.tag == "script" and reference.integrity is None:
                violations.append(f"{page.path}: {path} has no integrity attribute")
            if reference.integrity:
                algorithm = reference.integrity.split("-", 1)[0]
                if reference.integrity != sri(served.body, algorithm):
                    violations.append(f"{page.path}: the integrity of {path} does not match")
    if not compared:
        violations.append("no client code was found to compare")
    return judged(
        violations, {"files_compared": compared},
        f"{compared} served files match the build and their integrity hashes",
        "the served client differs from the build",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    return judge(site_crawl(ctx), ctx.root / "static")


pytestmark = pytest.mark.check(
    "The served client code is the reproducible build", "runtime", remote=True
)


def test_served_client_matches_build(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
