"""C19: every script, module and stylesheet a page loads carries an integrity hash of its bytes.

Templates do not spell SRI hashes out: the ``sri`` tags (atopos_site/sri.py)
compute them while rendering. So the check judges the real output: a
subprocess renders every template under ``ctx.root/templates`` with the
site's own template engine and tags (this installation's code and static
files, as the server would), and the check then holds each rendered tag
against the examined tree:

* every ``<script src>``, stylesheet, modulepreload or preload ``<link>`` that
  loads a static file carries ``integrity``, and its strongest hash equals the
  digest of that file's bytes under ``ctx.root/static`` (a file changed after
  the hashes were taken no longer matches);
* every module a page's module script imports, directly or not (static,
  side-effect and literal dynamic imports, found by a scanner independent of
  the tag's own), is preloaded on that page with an integrity hash, since a
  module's own imports carry none;
* no template source holds a raw script or stylesheet tag without
  ``integrity``, even in a branch the default render does not take.

The hashes are taken when rendering, from the static files of the site as
installed; the check recomputes them from the examined tree. On the project
itself both are the same files, so there the check proves coverage and that
the tags hash correctly; a tree whose static files differ from what the site
would hash (the seeded tests' tampered copy) fails.

Run as ``python -m evidence.checks.sri_hashes_match TEMPLATES OUT`` it is the
renderer, so Django is never set up inside the evidence runner's own process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from evidence.check import Check, CheckResult, Kind, could_not_run, judged
from evidence.checks._suites import run_bounded, scratch, suite_env
from evidence.context import PROJECT_ROOT, Context

STATIC_URL = "/static/"
RENDER_TIMEOUT = 120.0
ALGORITHMS = ("sha256", "sha384", "sha512")  # weakest first, as browsers rank them
LOADING_RELS = {"stylesheet", "modulepreload"}
PRELOAD_AS = {"script", "style"}
_IMPORTS = re.compile(
    r"""\bfrom\s*(['"])([^'"\n]+)\1"""  # import ... from 'x' / export ... from 'x'
    r"""|\bimport\s*(['"])([^'"\n]+)\3"""  # import 'x' (side effects only)
    r"""|\bimport\s*\(\s*(['"])([^'"\n]+)\5\s*\)"""  # import('x')
)
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_LINE_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)
_SRI_TAG = re.compile(r"{%\s*(script|stylesheet|module_preloads)\b")
_SOURCE_TAG = re.compile(r"<(script|link)\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Tag:
    """One rendered tag that loads a file: what it loads and the integrity it declares."""

    name: str  # script or link
    url: str
    integrity: str | None
    module: bool = False
    modulepreload: bool = False


@dataclass
class Scan:
    """What the check found across every template."""

    violations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    static_hashes: dict[str, str] = field(default_factory=dict)
    unchecked_imports: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, amount: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + amount


def run(ctx: Context) -> CheckResult:
    """Render every template, then hold each loading tag against the examined static files."""
    templates = ctx.root / "templates"
    names = template_names(templates)
    if not names:
        return could_not_run("no templates under templates/ to check")
    rendered, problem = render(templates, scratch(ctx.work, CHECK.id))
    if rendered is None:
        return could_not_run(problem)
    scan = Scan(counts={"templates": len(names)})
    for name in names:
        source = (templates / name).read_text(encoding="utf-8")
        check_source(name, source, scan)
        page = rendered.get(name, {"error": "not rendered"})
        if "html" not in page:
            unrendered(name, source, page["error"], scan)
            continue
        scan.add("rendered_templates")
        check_page(name, loading_tags(page["html"]), ctx.root / "static", scan)
    return judged(
        scan.violations,
        scan.counts,
        f"{scan.counts.get('integrity_matches', 0)} loading tags carry matching SRI hashes",
        "a page loads a static file without a matching integrity hash",
        details_of(scan),
    )


def template_names(templates: Path) -> list[str]:
    """Every template file, relative to the templates directory."""
    if not templates.is_dir():
        return []
    return sorted(path.relative_to(templates).as_posix() for path in templates.rglob("*.html"))


# --- rendering (in a subprocess) --------------------------------------------------------


def render(templates: Path, work: Path) -> tuple[dict[str, dict[str, str]] | None, str]:
    """Every template rendered by the site's engine: (name -> {html | error}, problem)."""
    out = work / "rendered.json"
    command = [sys.executable, "-m", __name__, str(templates), str(out)]
    env = {**suite_env(PROJECT_ROOT), "DJANGO_SETTINGS_MODULE": "atopos_site.settings"}
    finished = run_bounded(command, work, env, RENDER_TIMEOUT, work / "render.log")
    if finished.returncode != 0 or not out.is_file():
        status = "timed out" if finished.returncode is None else f"exited {finished.returncode}"
        return None, f"rendering the templates {status}"
    data: dict[str, dict[str, str]] = json.loads(out.read_text(encoding="utf-8"))
    return data, ""


def _render_main(templates: Path, out: Path) -> None:
    """Subprocess entry: render each template with the site's engine, tags and settings."""
    import django
    from django.conf import settings

    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [templates]}]
    django.setup()
    from django.template import loader

    context = {"tenant": {"display_name": "Atopos", "slug": "atopos"}}
    pages: dict[str, dict[str, str]] = {}
    for name in template_names(templates):
        try:
            pages[name] = {"html": loader.get_template(name).render(context)}
        except Exception as error:  # reported per template; the check judges it
            pages[name] = {"error": type(error).__name__}
    out.write_text(json.dumps(pages), encoding="utf-8")


# --- judging ----------------------------------------------------------------------------


class _TagCollector(HTMLParser):
    """Collects the script and link tags of a page, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key.lower(): value or "" for key, value in attrs}
        present = {key.lower() for key, _ in attrs}
        integrity = values.get("integrity") if "integrity" in present else None
        if tag == "script" and values.get("src"):
            module = values.get("type", "").strip().lower() == "module"
            self.tags.append(Tag("script", values["src"], integrity, module=module))
        elif tag == "link" and values.get("href") and _loads(values):
            rels = set(values.get("rel", "").lower().split())
            preload = "modulepreload" in rels
            self.tags.append(Tag("link", values["href"], integrity, modulepreload=preload))


def _loads(values: dict[str, str]) -> bool:
    """Whether a link makes the browser fetch a script or stylesheet (icons are exempt)."""
    rels = set(values.get("rel", "").lower().split())
    if rels & LOADING_RELS:
        return True
    return "preload" in rels and values.get("as", "").lower() in PRELOAD_AS


def loading_tags(html: str) -> list[Tag]:
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    return collector.tags


def static_path(url: str) -> str | None:
    """The static file a same-origin URL names (``js/a.js``), or None for anything else."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith(STATIC_URL):
        return None
    return posixpath.normpath(unquote(parts.path[len(STATIC_URL) :]))


def check_page(name: str, tags: list[Tag], static: Path, scan: Scan) -> None:
    """Each loading tag's integrity against the file's bytes; each module's imports preloaded."""
    where = f"templates/{name}"
    preloaded: set[str] = set()
    for tag in tags:
        path = static_path(tag.url)
        if path is None:
            scan.add("other_tags")
            continue
        scan.add("static_tags")
        if tag.integrity is None:
            scan.violations.append(f"{where}: <{tag.name}> for static/{path} has no integrity")
            continue
        file = static / path
        if not file.is_file():
            scan.violations.append(f"{where}: <{tag.name}> loads static/{path}, not in the tree")
            continue
        data = file.read_bytes()
        scan.static_hashes[path] = _digest("sha384", data)
        if not integrity_matches(tag.integrity, data):
            scan.violations.append(f"{where}: the integrity of static/{path} does not match it")
            continue
        scan.add("integrity_matches")
        if tag.modulepreload:
            preloaded.add(path)
    for tag in tags:
        entry = static_path(tag.url) if tag.module else None
        if entry is not None:
            scan.add("module_scripts")
            missing = sorted(module_imports(entry, static) - preloaded - {entry})
            if missing:
                scan.unchecked_imports[f"{where} {entry}"] = missing
                scan.violations.append(
                    f"{where}: static/{entry} imports modules without a matching integrity "
                    f"preload: {len(missing)} (first: static/{missing[0]})"
                )


def integrity_matches(value: str, data: bytes) -> bool:
    """The browser's rule: among the strongest algorithm listed, some hash equals the bytes'."""
    listed: dict[str, set[str]] = {}
    for token in value.split():
        algorithm, _, rest = token.partition("-")
        if algorithm in ALGORITHMS and rest:
            listed.setdefault(algorithm, set()).add(f"{algorithm}-{rest.split('?')[0]}")
    if not listed:
        return False
    strongest = max(listed, key=ALGORITHMS.index)
    return strongest != "sha256" and _digest(strongest, data) in listed[strongest]


def module_imports(entry: str, static: Path) -> set[str]:
    """Every static file ``entry`` imports, directly or not (files that exist only)."""
    seen: set[str] = set()
    pending = [entry]
    while pending:
        current = pending.pop()
        file = static / current
        if not file.is_file():
            continue
        source = _LINE_COMMENT.sub("", _BLOCK_COMMENT.sub("", file.read_text(encoding="utf-8")))
        for match in _IMPORTS.finditer(source):
            target = _resolve(current, match.group(2) or match.group(4) or match.group(6))
            if target is not None and target not in seen and (static / target).is_file():
                seen.add(target)
                pending.append(target)
    return seen


def _resolve(importer: str, specifier: str) -> str | None:
    if specifier.startswith(("./", "../")):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
    return static_path(specifier)


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
    """Raw script and stylesheet tags written into a template must declare integrity too."""
    for match in _SOURCE_TAG.finditer(source):
        tags = loading_tags(match.group(0) + ("</script>" if match.group(1) == "script" else ""))
        if tags and tags[0].integrity is None:
            line = source.count("\n", 0, match.start()) + 1
            scan.violations.append(
                f"templates/{name}:{line}: a <{match.group(1).lower()}> tag without integrity"
            )


def _digest(algorithm: str, data: bytes) -> str:
    digest = hashlib.new(algorithm, data).digest()
    return f"{algorithm}-{base64.b64encode(digest).decode('ascii')}"


def details_of(scan: Scan) -> dict[str, Any]:
    """The sha384 of every static file a page loads, as the examined tree holds it."""
    return {
        "static_sha384": dict(sorted(scan.static_hashes.items())),
        "imports_without_integrity": scan.unchecked_imports,
    }


CHECK = Check(
    id="sri_hashes_match",
    title="Every script and stylesheet a page loads carries an integrity hash that matches it",
    kind=Kind.STATIC,
    run=run,
)


if __name__ == "__main__":
    _render_main(Path(sys.argv[1]), Path(sys.argv[2]))
