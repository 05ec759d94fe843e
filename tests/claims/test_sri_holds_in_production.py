"""C19: in the production static setup, every module a page loads is held to an integrity hash.

Production serves collected files (``collectstatic`` into STATIC_ROOT, with
hashed copies from ManifestStaticFilesStorage), not the source tree. A page
that names hashed copies while its modules import plain names gets the
plain files with no check at all; sri_hashes_match, which examines the
source tree as dev and test serve it, cannot see that.

So this check runs the examined tree's own code with ``ATOPOS_ENV=prod``:
``collectstatic`` into a scratch STATIC_ROOT, then every template rendered by
the site's engine, tags and CSP middleware (the renderer of
sri_hashes_match). Each page is then judged against the collected files,
the bytes WhiteNoise would send, by the rules in tests/claims/support/sri.py:
each loading tag's hash matches the file at its URL, and every module each
module script imports, directly or not, resolved from the collected bytes
at the URLs the browser would fetch, is pinned by an import map that the
page's CSP admits, with a hash that matches.
"""

from __future__ import annotations

import secrets
import sys

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.sri import ModulesUnreadable, Scan, details_of
from tests.claims.support.suites import run_bounded, scratch, suite_env
from tests.claims.test_sri_hashes_match import judge_templates, render, template_names

COLLECT_TIMEOUT = 180.0
# What ATOPOS_ENV=prod requires. The render opens no connection: these only
# satisfy the settings' checks (the key is fresh and thrown away).
PROD_SETTINGS = {
    "ATOPOS_ENV": "prod",
    "ALLOWED_HOSTS": "localhost",
    "REDIS_URL": "redis://127.0.0.1:9/0",
    "ATOPOS_SECURITY_CONTACT": "mailto:security@example.invalid",
}


def run(ctx: Context) -> CheckResult:
    """Collect the examined tree's static files as prod does, render, and judge every page."""
    templates = ctx.root / "templates"
    names = template_names(templates)
    if not names or not (ctx.root / "manage.py").is_file():
        return could_not_run("the examined tree has no site (manage.py, templates) to collect")
    work = scratch(ctx.work, "sri_holds_in_production")
    collected = work / "collected"
    env = {
        **suite_env(ctx.root),
        **PROD_SETTINGS,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ATOPOS_STATIC_ROOT": str(collected),
        "DATABASE_URL": f"sqlite:///{work / 'unused.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "atopos_site.settings",
    }
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    finished = run_bounded(command, ctx.root, env, COLLECT_TIMEOUT, work / "collect.log")
    if finished.returncode != 0 or not collected.is_dir():
        status = "timed out" if finished.returncode is None else f"exited {finished.returncode}"
        return could_not_run(f"collectstatic with ATOPOS_ENV=prod {status}")
    rendered, problem = render(templates, work, env, ctx.root)
    if rendered is None:
        return could_not_run(f"{problem} with ATOPOS_ENV=prod")
    try:
        scan: Scan = judge_templates(templates, names, rendered, collected)
    except ModulesUnreadable as error:
        return could_not_run(str(error))
    scan.add("collected_files", sum(1 for path in collected.rglob("*") if path.is_file()))
    return judged(
        scan.violations,
        scan.counts,
        f"in prod, {scan.counts.get('integrity_matches', 0)} loading tags and "
        f"{scan.counts.get('modules_pinned', 0)} imported modules carry matching SRI hashes",
        "in prod, a page loads a static file without a matching integrity hash",
        details_of(scan),
    )


pytestmark = pytest.mark.check(
    "In production, every module a page loads is held to an integrity hash that matches it", "build"
)


def test_sri_holds_in_production(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
