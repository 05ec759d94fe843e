"""Judge a rendered page's Subresource Integrity the way a browser enforces it (C19).

Shared by sri_hashes_match (the source tree, as dev and test serve it) and
sri_holds_in_production (the collected static root, as prod serves it). Both
hand over a page's HTML and Content-Security-Policy and the directory the
site serves ``/static/`` from; this module then:

* holds every script, stylesheet and preload tag that loads a static file to
  the integrity it declares, against the bytes served at that URL (the
  browser's rule: the strongest listed algorithm must match);
* reads the page's import map, which browsers honour only if it comes
  before any module loads, is the only one, and its hash is in the CSP's
  ``script-src`` (else the browser refuses it as an inline script);
* follows every module each module script imports, directly or not, from
  the served bytes at the URLs a browser resolves (relative to the
  importing module's own URL, through the map's ``imports``). Each must be
  pinned by the import map's ``integrity`` with a hash that matches: a
  module's imports carry no integrity attribute, and a ``modulepreload``
  alone is not enough (Chromium fetches a module again, unchecked, when it
  is imported after its preload failed).

What a module imports is read by esbuild's parser (module_imports.mjs), not
by the patterns atopos_site.sri uses to build the import map: a form of import
those patterns missed would leave a module out of the map, and a check reading
imports the same way would miss it too. The parser finds static, side-effect,
re-export and literal dynamic imports; a dynamic import whose target it cannot
read, and a module it cannot parse, are violations.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import posixpath
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

STATIC_URL = "/static/"
PAGE_URL = "/page/"  # where relative URLs in a rendered template resolve from
ALGORITHMS = ("sha256", "sha384", "sha512")  # weakest first, as browsers rank them
LOADING_RELS = {"stylesheet", "modulepreload"}
PRELOAD_AS = {"script", "style"}
MODULE_READER = Path(__file__).with_name("module_imports.mjs")
MODULE_SUFFIXES = (".js", ".mjs")
READ_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Tag:
    """One rendered tag that loads a file: what it loads and the integrity it declares."""

    name: str  # script or link
    url: str
    integrity: str | None
    module: bool = False
    modulepreload: bool = False


@dataclass
class Page:
    """What a browser reads from one page: its loading tags and import maps, in order."""

    tags: list[Tag] = field(default_factory=list)
    import_maps: list[str] = field(default_factory=list)
    # Loading tags seen before the first import map (a map after them is ignored).
    tags_before_first_map: int = 0


@dataclass
class Scan:
    """What a check found across every page."""

    violations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    static_hashes: dict[str, str] = field(default_factory=dict)
    unchecked_imports: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, amount: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + amount


class _PageParser(HTMLParser):
    """Collects the script and link tags and the import maps of a page, as a browser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._map: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key.lower(): value or "" for key, value in attrs}
        present = {key.lower() for key, _ in attrs}
        integrity = values.get("integrity") if "integrity" in present else None
        kind = values.get("type", "").strip().lower()
        if tag == "script" and values.get("src"):
            self.page.tags.append(Tag("script", values["src"], integrity, module=kind == "module"))
        elif tag == "script" and kind == "importmap":
            self._map = []
        elif tag == "link" and values.get("href") and _loads(values):
            rels = set(values.get("rel", "").lower().split())
            preload = "modulepreload" in rels
            self.page.tags.append(Tag("link", values["href"], integrity, modulepreload=preload))

    def handle_data(self, data: str) -> None:
        if self._map is not None:
            self._map.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._map is not None:
            if not self.page.import_maps:
                self.page.tags_before_first_map = len(self.page.tags)
            self.page.import_maps.append("".join(self._map))
            self._map = None


def _loads(values: dict[str, str]) -> bool:
    """Whether a link makes the browser fetch a script or stylesheet (icons are exempt)."""
    rels = set(values.get("rel", "").lower().split())
    if rels & LOADING_RELS:
        return True
    return "preload" in rels and values.get("as", "").lower() in PRELOAD_AS


def parse_page(html: str) -> Page:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.page


def loading_tags(html: str) -> list[Tag]:
    return parse_page(html).tags


def url_path(url: str, base: str = PAGE_URL) -> str | None:
    """The same-origin path ``url`` names from ``base``, or None for another origin."""
    parts = urlsplit(urljoin(base, url))
    if parts.scheme or parts.netloc or not parts.path:
        return None
    path = posixpath.normpath(unquote(parts.path))
    return path + "/" if parts.path.endswith("/") and path != "/" else path


def static_path(url: str, base: str = PAGE_URL) -> str | None:
    """The static file a same-origin URL names (``js/a.js``), or None for anything else."""
    path = url_path(url, base)
    if path is None or not path.startswith(STATIC_URL):
        return None
    return path[len(STATIC_URL) :]


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
    return strongest != "sha256" and digest(strongest, data) in listed[strongest]


def digest(algorithm: str, data: bytes) -> str:
    value = hashlib.new(algorithm, data).digest()
    return f"{algorithm}-{base64.b64encode(value).decode('ascii')}"


def csp_admits(csp: str, text: str) -> bool:
    """Whether ``script-src`` (or default-src) lists a hash of the inline element ``text``."""
    directives: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    sources = directives.get("script-src", directives.get("default-src", []))
    data = text.encode("utf-8")
    return any(f"'{digest(algorithm, data)}'" in sources for algorithm in ALGORITHMS)


@dataclass
class ImportMap:
    """The parts of a page's import map that decide what a module import fetches."""

    imports: dict[str, str] = field(default_factory=dict)
    integrity: dict[str, str] = field(default_factory=dict)


def read_import_map(text: str) -> ImportMap | None:
    """The map's ``imports`` and ``integrity`` (URL keys as paths), or None if it is invalid."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    result = ImportMap()
    for section, target in (("imports", result.imports), ("integrity", result.integrity)):
        entries = document.get(section, {})
        if not isinstance(entries, dict):
            return None
        for key, value in entries.items():
            path = url_path(key) if key.startswith(("/", "./", "../")) else None
            if isinstance(value, str):
                target[path or key] = value
    return result


def resolve(specifier: str, importer: str, import_map: ImportMap) -> str | None:
    """The URL path a browser fetches for ``specifier`` imported by the module at ``importer``."""
    url_like = specifier.startswith(("/", "./", "../"))
    key = url_path(specifier, importer) if url_like else specifier  # bare: through the map only
    if key is None:
        return None
    if key in import_map.imports:
        return url_path(import_map.imports[key])
    prefixes = [prefix for prefix in import_map.imports if prefix.endswith("/")]
    for prefix in sorted(prefixes, key=len, reverse=True):
        if key.startswith(prefix):
            return url_path(import_map.imports[prefix] + key[len(prefix) :])
    return key if key.startswith("/") else None


class ModulesUnreadable(Exception):
    """The module reader (node with esbuild) could not run: imports cannot be judged."""


@dataclass(frozen=True)
class ModuleSource:
    """What one module imports: literal specifiers, computed dynamic imports, or why not."""

    specifiers: tuple[str, ...] = ()
    computed: int = 0
    unreadable: str | None = None


def read_modules(files: list[Path]) -> dict[Path, ModuleSource]:
    """Each file's imports, read by esbuild in one node process."""
    if not files:
        return {}
    node = shutil.which("node")
    if node is None:
        raise ModulesUnreadable("node is not installed")
    try:
        result = subprocess.run(
            [node, str(MODULE_READER), *map(str, files)],
            capture_output=True,
            text=True,
            timeout=READ_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ModulesUnreadable(
            f"the module reader did not finish in {READ_TIMEOUT_S:.0f}s"
        ) from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModulesUnreadable(f"the module reader failed ({last})")
    return {
        Path(name): ModuleSource(
            tuple(entry.get("specifiers", ())), entry.get("computed", 0), entry.get("unreadable")
        )
        for name, entry in json.loads(result.stdout).items()
    }


def served_modules(served: Path) -> dict[Path, ModuleSource]:
    """Every module under ``served``, read once for as long as no file there changes."""
    files = sorted(p for p in served.rglob("*") if p.suffix in MODULE_SUFFIXES and p.is_file())
    stamp = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files)
    return _read_stamped(stamp)


@functools.lru_cache(maxsize=8)
def _read_stamped(stamp: tuple[tuple[str, int, int], ...]) -> dict[Path, ModuleSource]:
    return read_modules([Path(name) for name, _, _ in stamp])


def module_imports(entry: str, served: Path) -> set[str]:
    """Every static file ``entry`` imports, directly or not (files that exist; no import map)."""
    graph = _walk(STATIC_URL + entry, served, ImportMap())
    return {path[len(STATIC_URL) :] for path in graph.fetched if path.startswith(STATIC_URL)}


@dataclass
class Graph:
    """What a module script's imports reach: the URL paths fetched, and what cannot be judged."""

    fetched: set[str] = field(default_factory=set)
    outside: list[str] = field(default_factory=list)  # imports that leave /static/
    computed: list[str] = field(default_factory=list)  # modules with an unreadable import()
    unreadable: list[str] = field(default_factory=list)  # modules that do not parse


def _walk(entry: str, served: Path, import_map: ImportMap) -> Graph:
    """The graph of ``entry``, resolved as a browser resolves it."""
    modules = served_modules(served)
    graph = Graph()
    seen = graph.fetched
    pending = [entry]
    while pending:
        current = pending.pop()
        file = _served_file(current, served)
        if file is None:
            continue
        source = modules.get(file, ModuleSource())
        if source.unreadable is not None:
            graph.unreadable.append(f"{current} ({source.unreadable})")
        graph.computed += [current] * source.computed
        for specifier in source.specifiers:
            target = resolve(specifier, current, import_map)
            if target is None:
                continue  # a bare specifier the map does not name: the browser refuses it
            if not target.startswith(STATIC_URL):
                graph.outside.append(f"{current} -> {target}")
            elif target not in seen and target != entry and _served_file(target, served):
                seen.add(target)
                pending.append(target)
    graph.outside = sorted(set(graph.outside))
    graph.computed = sorted(set(graph.computed))
    graph.unreadable = sorted(set(graph.unreadable))
    return graph


def _served_file(url: str, served: Path) -> Path | None:
    if not url.startswith(STATIC_URL):
        return None
    file = served / url[len(STATIC_URL) :]
    return file if file.is_file() else None


def judge_page(where: str, html: str, csp: str, served: Path, scan: Scan) -> None:
    """Every rule above, for one rendered page served from ``served``; violations go to ``scan``."""
    page = parse_page(html)
    preloaded = _check_tags(where, page.tags, served, scan)
    import_map = _check_import_maps(where, page, csp, served, scan)
    for tag in page.tags:
        entry = url_path(tag.url) if tag.module else None
        if entry is None or not entry.startswith(STATIC_URL):
            continue
        scan.add("module_scripts")
        graph = _walk(entry, served, import_map)
        scan.add("modules_followed", len(graph.fetched))
        scan.violations += [f"{where}: {edge} imports a module from outside {STATIC_URL}"
                            for edge in graph.outside]  # fmt: skip
        scan.violations += [f"{where}: {module} has an import() whose target cannot be read"
                            for module in graph.computed]  # fmt: skip
        scan.violations += [f"{where}: {module} cannot be parsed"
                            for module in graph.unreadable]  # fmt: skip
        unpinned = []
        for module in sorted(graph.fetched):
            pinned = import_map.integrity.get(module)
            file = _served_file(module, served)
            if pinned and file and integrity_matches(pinned, file.read_bytes()):
                scan.add("modules_pinned")
                continue
            unpinned.append(module)
            if pinned is not None:
                reason = "an import map integrity that does not match it"
            elif module in preloaded:
                reason = "only a modulepreload, which a later import does not have to reuse"
            else:
                reason = "no integrity check"
            scan.violations.append(f"{where}: {entry} imports {module} with {reason}")
        if unpinned:
            scan.unchecked_imports[f"{where} {entry}"] = unpinned


def _check_tags(where: str, tags: list[Tag], served: Path, scan: Scan) -> set[str]:
    """Each loading tag's integrity against the served bytes; returns the preloaded URL paths."""
    preloaded: set[str] = set()
    for tag in tags:
        path = static_path(tag.url)
        if path is None:
            scan.add("other_tags")
            continue
        scan.add("static_tags")
        if tag.integrity is None:
            scan.violations.append(f"{where}: <{tag.name}> for {STATIC_URL}{path} has no integrity")
            continue
        file = served / path
        if not file.is_file():
            scan.violations.append(f"{where}: <{tag.name}> loads {STATIC_URL}{path}, not served")
            continue
        data = file.read_bytes()
        scan.static_hashes[path] = digest("sha384", data)
        if not integrity_matches(tag.integrity, data):
            scan.violations.append(f"{where}: the integrity of {STATIC_URL}{path} does not match")
            continue
        scan.add("integrity_matches")
        if tag.modulepreload:
            preloaded.add(STATIC_URL + path)
    return preloaded


def _check_import_maps(where: str, page: Page, csp: str, served: Path, scan: Scan) -> ImportMap:
    """The import map a browser would honour on this page (an empty one if none is)."""
    if not page.import_maps:
        return ImportMap()
    scan.add("import_maps", len(page.import_maps))
    if len(page.import_maps) > 1:
        scan.violations.append(f"{where}: {len(page.import_maps)} import maps (Firefox takes one)")
    text = page.import_maps[0]
    if any(t.module or t.modulepreload for t in page.tags[: page.tags_before_first_map]):
        scan.violations.append(f"{where}: the import map comes after tags that load modules")
    if not csp_admits(csp, text):
        scan.violations.append(f"{where}: the CSP does not admit the import map's hash")
        return ImportMap()
    import_map = read_import_map(text)
    if import_map is None:
        scan.violations.append(f"{where}: the import map is not a valid import map")
        return ImportMap()
    for module, value in sorted(import_map.integrity.items()):
        file = _served_file(module, served)
        if file is None:
            scan.violations.append(f"{where}: the import map pins {module}, which is not served")
        elif not integrity_matches(value, file.read_bytes()):
            scan.violations.append(f"{where}: the import map's hash of {module} does not match")
        else:
            scan.add("import_map_matches")
    return import_map


def details_of(scan: Scan) -> dict[str, Any]:
    """The sha384 of every static file a page loads by a tag, and any module left unchecked."""
    return {
        "static_sha384": dict(sorted(scan.static_hashes.items())),
        "imports_without_integrity": scan.unchecked_imports,
    }
