"""Template tags that emit script and stylesheet tags with Subresource Integrity.

The hash is taken from the bytes WhiteNoise will serve: the source file when
static files are served from finders (dev, test), the collected file (with
its rewritten CSS URLs) in production.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
from functools import lru_cache
from pathlib import Path

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@lru_cache(maxsize=256)
def _digest(path: str, version: float) -> str:
    del version  # part of the cache key only: a changed file gets a new hash
    return _sha384(_read(path))


def _read(path: str) -> bytes:
    if settings.WHITENOISE_USE_FINDERS:
        found = finders.find(path)
        if not isinstance(found, str):
            raise FileNotFoundError(f"static file {path!r} not found")
        return Path(found).read_bytes()
    storage = staticfiles_storage
    name = storage.stored_name(path) if isinstance(storage, ManifestFilesMixin) else path
    with storage.open(name) as handle:
        data: bytes = handle.read()
    return data


def _version(path: str) -> float:
    if settings.WHITENOISE_USE_FINDERS:
        found = finders.find(path)
        return Path(found).stat().st_mtime if isinstance(found, str) else 0.0
    return 0.0


def _sha384(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def integrity(path: str) -> str:
    """The ``integrity`` attribute value for static file ``path``."""
    return _digest(path, _version(path))


@register.simple_tag
def script(path: str) -> SafeString:
    """A module script tag for ``path`` with its SRI hash."""
    return format_html(
        '<script type="module" src="{}" integrity="{}" crossorigin="anonymous"></script>',
        static(path),
        integrity(path),
    )


_IMPORT = re.compile(
    r"""(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"](\.{1,2}/[^'"]+)['"]"""
)


def module_graph(entry: str) -> list[str]:
    """Every static path ``entry`` imports, directly or not (relative specifiers only)."""
    seen: list[str] = []
    pending = [entry]
    while pending:
        path = pending.pop()
        source = _read(path).decode("utf-8")
        for specifier in _IMPORT.findall(source):
            dependency = posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier))
            if dependency not in seen and dependency != entry:
                seen.append(dependency)
                pending.append(dependency)
    return sorted(seen)


@register.simple_tag
def module_preloads(entry: str) -> SafeString:
    """modulepreload links with SRI for everything ``entry`` imports.

    A module script's own imports carry no integrity attribute; preloading each
    dependency with one puts the checked copy in the module map first, so the
    import uses it (and fails if it was tampered with).
    """
    return format_html_join(
        "\n",
        '<link rel="modulepreload" href="{}" integrity="{}" crossorigin="anonymous">',
        ((static(path), integrity(path)) for path in module_graph(entry)),
    )


@register.simple_tag
def stylesheet(path: str) -> SafeString:
    """A stylesheet link for ``path`` with its SRI hash."""
    return format_html(
        '<link rel="stylesheet" href="{}" integrity="{}" crossorigin="anonymous">',
        static(path),
        integrity(path),
    )
