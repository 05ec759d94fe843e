"""Template tags that load scripts and stylesheets under Subresource Integrity.

Stylesheets use their collected, hashed name in production (their URLs are
rewritten and they import nothing); their hash is taken from that collected
file, the bytes WhiteNoise serves for it.

Modules never use hashed names: a module's imports name plain relative
paths (``./session.js``), which the browser resolves to plain URLs whatever
the importing file is called, so the page names every module by the same
plain URL (``/static/js/client/session.js``) in every mode. Django's import
rewriting (``support_js_module_import_aggregation``) is not used: content-
hashed names cannot express an import cycle, which ES modules allow.

A module's hash is taken from the release's own source file (found by the
staticfiles finders, as collectstatic finds it), never from the collected
copy the server sends: collectstatic copies modules unchanged, so the two
agree, and a static root altered after collection (or left stale) is
refused by the browser instead of being vouched for.

A module's own imports carry no integrity attribute. ``{% module_script %}``
therefore emits, before the entry script:

* an import map whose ``integrity`` section pins every JavaScript file the
  site ships, so each import, static or dynamic, is checked whatever the
  module graph is (the map is inline: its hash is added to the response's
  CSP, see atopos_site.inline_scripts);
* a ``modulepreload`` link with its SRI hash for each module the entry
  imports, which fetches the graph early and is a second check in browsers
  that enforce preload integrity but not import-map integrity.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django import template
from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from atopos_site.inline_scripts import admit_inline_script

register = template.Library()

MODULE_SUFFIXES = (".js", ".mjs")
# Set on the request once a page has its import map: Firefox honours only the first one.
_IMPORT_MAP_EMITTED = "_atopos_import_map_emitted"


@lru_cache(maxsize=512)
def _digest(path: str, collected: bool, version: float) -> str:
    del version  # part of the cache key only: a changed file gets a new hash
    return _sha384(_collected_bytes(path) if collected else _source_bytes(path))


def _source_bytes(path: str) -> bytes:
    """The release's own file ``path`` (under static/), as collectstatic would copy it."""
    return Path(_found(path)).read_bytes()


def _collected_bytes(path: str) -> bytes:
    """What WhiteNoise sends for the hashed name of ``path`` in prod (the source elsewhere)."""
    storage = staticfiles_storage
    if settings.WHITENOISE_USE_FINDERS or not isinstance(storage, ManifestFilesMixin):
        return _source_bytes(path)
    with storage.open(storage.stored_name(path)) as handle:
        data: bytes = handle.read()
    return data


def _found(path: str) -> str:
    found = finders.find(path)
    if not isinstance(found, str):
        raise FileNotFoundError(f"static file {path!r} not found")
    return found


def _version(path: str) -> float:
    if settings.WHITENOISE_USE_FINDERS:
        return Path(_found(path)).stat().st_mtime
    return 0.0  # a production process serves one release: its files do not change


def _sha384(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def integrity(path: str, *, collected: bool = False) -> str:
    """The ``integrity`` value of static file ``path``: its source, or its collected copy."""
    return _digest(path, collected, _version(path))


def module_url(path: str) -> str:
    """The plain URL of static module ``path``: the one relative imports resolve to."""
    return settings.STATIC_URL + quote(path)


# --- the module graph -------------------------------------------------------------------

_COMMENT = re.compile(r"/\*.*?\*/|^\s*//[^\n]*", re.DOTALL | re.MULTILINE)
_SPECIFIER = re.compile(
    r"""\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*[,)]"""  # import('x')
    r"""|(?:^|[;}\n])\s*(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"\n]+)\3"""  # ... from 'x'
    r"""|(?:^|[;}\n])\s*import\s*(['"])([^'"\n]+)\5""",  # import 'x'
    re.MULTILINE,
)


def _specifiers(source: str) -> list[str]:
    """Every literal module specifier in ``source``: static, side-effect and dynamic imports."""
    text = _COMMENT.sub("", source)
    return [
        match.group(2) or match.group(4) or match.group(6) for match in _SPECIFIER.finditer(text)
    ]


def _resolve(importer: str, specifier: str) -> str | None:
    """The static path a specifier names, as the browser resolves it from ``importer``'s URL."""
    if specifier.startswith(("./", "../")):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
    if specifier.startswith(settings.STATIC_URL):
        return specifier[len(settings.STATIC_URL) :]
    return None  # a bare or foreign specifier: it fails to resolve, or CSP refuses it


def module_graph(entry: str) -> list[str]:
    """Every static module ``entry`` imports, directly or not (literal specifiers)."""
    seen: set[str] = set()
    pending = [entry]
    while pending:
        current = pending.pop()
        source = _source_bytes(current).decode("utf-8")
        for specifier in _specifiers(source):
            dependency = _resolve(current, specifier)
            if (
                dependency
                and dependency not in seen
                and dependency != entry
                and finders.find(dependency)
            ):
                seen.add(dependency)
                pending.append(dependency)
    return sorted(seen)


def shipped_modules() -> list[str]:
    """Every JavaScript file in the site's own static directories (STATICFILES_DIRS)."""
    finder = finders.get_finder("django.contrib.staticfiles.finders.FileSystemFinder")
    ignore = apps.get_app_config("staticfiles").ignore_patterns  # type: ignore[attr-defined]
    return sorted(
        {
            path.replace("\\", "/")
            for path, _ in finder.list(ignore)
            if path.endswith(MODULE_SUFFIXES)
        }
    )


def import_map(entry: str) -> str:
    """The import map text pinning every shipped module (and ``entry``'s graph) by hash."""
    return _entry_parts(entry, _release_stamp()).import_map


@dataclass(frozen=True)
class _EntryParts:
    import_map: str
    preloads: tuple[tuple[str, str], ...]  # (URL, integrity) of each module in the graph


def _release_stamp() -> tuple[tuple[str, float], ...]:
    """What the cached parts depend on: nothing in prod (one release), every mtime in dev."""
    if not settings.WHITENOISE_USE_FINDERS:
        return ()
    return tuple((path, _version(path)) for path in shipped_modules())


@lru_cache(maxsize=16)
def _entry_parts(entry: str, stamp: tuple[tuple[str, float], ...]) -> _EntryParts:
    """Scanning and hashing some 40 modules takes tens of milliseconds: once per release."""
    del stamp  # part of the cache key only
    graph = module_graph(entry)
    paths = sorted({*shipped_modules(), *graph, entry})
    document: dict[str, Any] = {"integrity": {module_url(path): integrity(path) for path in paths}}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    # Inside <script>, "</script" or "<!--" would end or alter the element.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _EntryParts(text, tuple((module_url(path), integrity(path)) for path in graph))


# --- the client bundle hash -------------------------------------------------------------


def bundle_manifest() -> str:
    """One line per shipped module, sorted by URL: ``<URL> <SRI value>``.

    docs/ARCHITECTURE.md ("Which code runs") defines it, and ``make bundle-hash``
    recomputes its digest from a checkout without this code.
    """
    return "".join(f"{module_url(path)} {integrity(path)}\n" for path in shipped_modules())


def bundle_hash() -> str:
    """The client bundle hash: the SHA-256 (hex) of :func:`bundle_manifest`."""
    return _bundle_hash(_release_stamp())


@lru_cache(maxsize=4)
def _bundle_hash(stamp: tuple[tuple[str, float], ...]) -> str:
    del stamp  # part of the cache key only: once per release, once per edit in dev
    return hashlib.sha256(bundle_manifest().encode("ascii")).hexdigest()


# --- tags -------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def module_script(context: template.Context, entry: str) -> SafeString:
    """Load module ``entry`` with every module it can import held to an SRI hash.

    Emits the import map (its hash admitted by this response's CSP), a
    modulepreload link with SRI for each module in the entry's graph, and the
    module script with its own SRI hash. One per page: a second import map
    is ignored by Firefox.
    """
    request = context.get("request")
    if request is None:
        raise ImproperlyConfigured("{% module_script %} needs the request in the template context")
    if getattr(request, _IMPORT_MAP_EMITTED, False):
        raise ImproperlyConfigured("{% module_script %} may appear once per page")
    setattr(request, _IMPORT_MAP_EMITTED, True)
    parts = _entry_parts(entry, _release_stamp())
    admit_inline_script(request, parts.import_map)
    preloads = format_html_join(
        "\n",
        '<link rel="modulepreload" href="{}" integrity="{}" crossorigin="anonymous">',
        parts.preloads,
    )
    return format_html(
        '<script type="importmap">{}</script>\n{}\n'
        '<script type="module" src="{}" integrity="{}" crossorigin="anonymous"></script>',
        mark_safe(parts.import_map),  # noqa: S308  # nosec B308 B703 -- our JSON, <>& escaped
        preloads,
        module_url(entry),
        integrity(entry),
    )


@register.simple_tag
def stylesheet(path: str) -> SafeString:
    """A stylesheet link for ``path`` (its hashed name in prod) with its SRI hash."""
    return format_html(
        '<link rel="stylesheet" href="{}" integrity="{}" crossorigin="anonymous">',
        static(path),
        integrity(path, collected=True),
    )
