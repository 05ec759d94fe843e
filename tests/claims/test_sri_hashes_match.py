"""C19: every script, module and stylesheet a page loads carries an integrity hash of its bytes.

Templates do not spell SRI hashes out: the ``sri`` tags (atopos_site/sri.py)
compute them while rendering. So the check judges the real output: a
subprocess renders every template under ``ctx.root/templates`` with the
site's own template engine, tags and CSP middleware (this installation's
code and static files, as the dev and test server would), and the check
then holds each rendered page against the examined tree's static files by
the rules in tests/claims/support/sri.py:

* every ``<script src>``, stylesheet, modulepreload or preload ``<link>`` that
  loads a static file carries ``integrity``, and its strongest hash equals the
  digest of that file's bytes under ``ctx.root/static`` (a file changed after
  the hashes were taken no longer matches);
* every module a page's module script imports, directly or not (static,
  side-effect and literal dynamic imports, found by a scanner independent of
  the tag's own), is pinned by the page's import map with a matching hash,
  and the page's CSP admits that import map by its hash;
* no template source holds a raw script or stylesheet tag without
  ``integrity``, even in a branch the default render does not take.

The hashes are taken when rendering, from the static files of the site as
installed; the check recomputes them from the examined tree. On the project
itself both are the same files, so there the check proves coverage and that
the tags hash correctly; a tree whose static files differ from what the site
would hash (the seeded tests' tampered copy) fails. The production setup
(collected files, hashed names) is sri_holds_in_production's.

Run as ``python -m tests.claims.test_sri_hashes_match TEMPLATES OUT`` it is the
renderer, so Django is never set up inside the evidence runner's own process.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.support.context import PROJECT_ROOT, Context
from tests.claims.support.findings import Evidence
from tests.claims.support.sri import (
    ModulesUnreadable,
    Scan,
    details_of,
    judge_page,
    loading_tags,
)
from tests.claims.support.suites import run_bounded, scratch, suite_env

RENDER_TIMEOUT = 120.0
# A template that loads the sri tags and cannot render may hide a page's loading tags.
_SRI_TAG = re.compile(r"{%\s*load\b[^%]*\bsri\b|{%\s*(module_script|stylesheet)\b")
_SOURCE_TAG = re.compile(r"<(script|link)\b[^>]*>", re.IGNORECASE)

Rendered = dict[str, dict[str, str]]


def run(ctx: Context) -> CheckResult:
    """Render every template, then hold each page against the examined static files."""
    templates = ctx.root / "templates"
    names = template_names(templates)
    if not names:
        return could_not_run("no templates under templates/ to check")
    env = {**suite_env(PROJECT_ROOT), "DJANGO_SETTINGS_MODULE": "atopos_site.settings"}
    work = scratch(ctx.work, "sri_hashes_match")
    rendered, problem = render(templates, work, env, work)
    if rendered is None:
        return could_not_run(problem)
    try:
        scan = judge_templates(templates, names, rendered, ctx.root / "static")
    except ModulesUnreadable as error:
        return could_not_run(str(error))
    return judged(
        scan.violations,
        scan.counts,
        f"{scan.counts.get('integrity_matches', 0)} loading tags and "
        f"{scan.counts.get('modules_pinned', 0)} imported modules carry matching SRI hashes",
        "a page loads a static file without a matching integrity hash",
        details_of(scan),
    )


def judge_templates(templates: Path, names: list[str], rendered: Rendered, served: Path) -> Scan:
    """Each template's source and rendered page, judged against the files under ``served``."""
    scan = Scan(counts={"templates": len(names)})
    for name in names:
        source = (templates / name).read_text(encoding="utf-8")
        check_source(name, source, scan)
        page = rendered.get(name, {"error": "not rendered"})
        if "html" not in page:
            unrendered(name, source, page["error"], scan)
            continue
        scan.add("rendered_templates")
        judge_page(f"templates/{name}", page["html"], page.get("csp", ""), served, scan)
    return scan


def template_names(templates: Path) -> list[str]:
    """Every template file, relative to the templates directory."""
    if not templates.is_dir():
        return []
    return sorted(path.relative_to(templates).as_posix() for path in templates.rglob("*.html"))


# --- rendering (in a subprocess) --------------------------------------------------------


def render(
    templates: Path, work: Path, env: dict[str, str], cwd: Path
) -> tuple[Rendered | None, str]:
    """Every template rendered by the site's engine: (name -> {html, csp | error}, problem)."""
    out = work / "rendered.json"
    command = [sys.executable, "-m", "tests.claims.test_sri_hashes_match", str(templates), str(out)]
    finished = run_bounded(command, cwd, env, RENDER_TIMEOUT, work / "render.log")
    if finished.returncode != 0 or not out.is_file():
        status = "timed out" if finished.returncode is None else f"exited {finished.returncode}"
        return None, f"rendering the templates {status}"
    data: Rendered = json.loads(out.read_text(encoding="utf-8"))
    return data, ""


def _render_main(templates: Path, out: Path) -> None:
    """Subprocess entry: render each template through the site's engine, tags and CSP middleware."""
    import django
    from django.conf import settings

    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [templates]}]
    django.setup()
    from csp.middleware import CSPMiddleware
    from django.http import HttpRequest, HttpResponse
    from django.template import loader
    from django.test import RequestFactory
    from django.utils.module_loading import import_string

    # The site's own CSP middleware (it may add the hash of an inline import map).
    middleware = next(
        cls
        for cls in map(import_string, settings.MIDDLEWARE)
        if isinstance(cls, type) and issubclass(cls, CSPMiddleware)
    )
    context = {"tenant": {"display_name": "Atopos", "slug": "atopos"}}
    pages: dict[str, dict[str, str]] = {}
    for name in template_names(templates):

        def view(request: HttpRequest, name: str = name) -> HttpResponse:
            html = loader.get_template(name).render({**context, "request": request})
            return HttpResponse(html)

        try:
            response = middleware(view)(RequestFactory().get("/page/"))
        except Exception as error:  # reported per template; the check judges it
            pages[name] = {"error": type(error).__name__}
            continue
        if not isinstance(response, HttpResponse):  # a sync view through a sync middleware
            raise TypeError("the CSP middleware answered asynchronously")
        csp = response.get("Content-Security-Policy", "")
        pages[name] = {"html": response.content.decode("utf-8"), "csp": csp}
    out.write_text(json.dumps(pages), encoding="utf-8")


# --- judging the template sources -------------------------------------------------------


def unrendered(name: str, source: str, error: str, scan: Scan) -> None:
    """A template that needs a context to render is only a problem if it loads files itself.

    One that merely extends base.html inherits tags that base.html's own
    render already covers; one with its own loading tags cannot be vouched for.
    """
    scan.add("unrendered_templates")
    if _SRI_TAG.search(source) or any(
        loading_tags(match.group(0)) for match in _SOURCE_TAG.finditer(source)
    ):
        scan.violations.append(f"templates/{name}: could not be rendered ({error})")


def check_source(name: str, source: str, scan: Scan) -> None:
    """Raw script and stylesheet tags written into a template must declare integrity too.

    An inline script (an import map included) is flagged as well: only the
    ``module_script`` tag writes one, with its hash admitted by the CSP.
    """
    for match in _SOURCE_TAG.finditer(source):
        tag = match.group(0)
        tags = loading_tags(tag + ("</script>" if match.group(1).lower() == "script" else ""))
        inline = match.group(1).lower() == "script" and not tags
        if inline or (tags and tags[0].integrity is None):
            line = source.count("\n", 0, match.start()) + 1
            scan.violations.append(
                f"templates/{name}:{line}: a <{match.group(1).lower()}> tag without integrity"
            )


if __name__ == "__main__":
    _render_main(Path(sys.argv[1]), Path(sys.argv[2]))


pytestmark = pytest.mark.check(
    "Every script and stylesheet a page loads carries an integrity hash that matches it", "static"
)


def test_sri_hashes_match(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
