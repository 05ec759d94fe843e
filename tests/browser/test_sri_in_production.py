"""SRI in the production static setup: collected files, a real daphne in prod mode, Chromium.

Mallory controls what the static files server sends (a compromised disk, CDN
or proxy in front of it) but not the HTML page. She alters one collected
module, in its plain and its hashed copy alike, and drops the compressed
variants so the altered bytes are what the browser receives. Every module
the room page loads must be held to an integrity hash, so her code never runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from atopos_site.testing.live_site import manage
from atopos_site.testing.processes import base_env, http_get
from tests.support.browser import PageRecord
from tests.support.live_site import live_site
from tests.support.room_pages import open_watched

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# Appended to the altered module: it records that Mallory's code ran.
MARKER = "\n;(globalThis.__mallory ??= []).push({name});\n"
HASHED = re.compile(r"\.[0-9a-f]{12}\.js$")  # ManifestStaticFilesStorage's copy


def prod_env(static_root: Path) -> dict[str, str]:
    """What ATOPOS_ENV=prod requires, for the live tenants, collecting into ``static_root``."""
    return {
        "ATOPOS_ENV": "prod",
        "ALLOWED_HOSTS": "localhost,127.0.0.1,acme.localhost",
        "ATOPOS_SECURITY_CONTACT": "mailto:security@example.invalid",
        "ATOPOS_STATIC_ROOT": str(static_root),
    }


@pytest.fixture(scope="module")
def prod_site(tmp_path_factory):
    """Collected static files and a real daphne serving them with ATOPOS_ENV=prod."""
    directory = tmp_path_factory.mktemp("prod")
    static_root = directory / "collected"
    env = prod_env(static_root)
    # collectstatic touches no database; the key only has to satisfy prod's rules.
    manage(base_env(**env, SECRET_KEY="k" * 64, DATABASE_URL=f"sqlite:///{directory / 'c.db'}"),
           "collectstatic", "--noinput")  # fmt: skip
    with live_site(directory, env=env) as site:
        site.static_root = static_root
        site.stale = False
        yield site


def copies(static_root: Path, name: str) -> list[Path]:
    """The collected copies of static file ``name``: plain, hashed, and their compressed forms."""
    stem, suffix = name.rsplit(".", 1)
    folder = (static_root / name).parent
    base = Path(stem).name
    pattern = re.compile(rf"^{re.escape(base)}(\.[0-9a-f]{{12}})?\.{suffix}(\.gz|\.br)?$")
    return sorted(path for path in folder.iterdir() if pattern.match(path.name))


@contextmanager
def tampered(site, name: str) -> Iterator[list[str]]:
    """Mallory's edit, for the block: a marker appended to every copy of ``name``.

    The compressed copies go, so the altered bytes are what is served; the
    originals come back when the block ends (``fresh`` restarts the server).
    """
    static_root: Path = site.static_root
    saved = {path: path.read_bytes() for path in copies(static_root, name)}
    altered = []
    for path in saved:
        if path.suffix in (".gz", ".br"):
            path.unlink()
            continue
        path.write_bytes(saved[path] + MARKER.format(name=json.dumps(name)).encode())
        altered.append(path.relative_to(static_root).as_posix())
    site.restart()  # WhiteNoise reads the file list and sizes at start-up
    try:
        yield altered
    finally:
        for path, data in saved.items():
            path.write_bytes(data)
        site.stale = True  # the running server still knows the altered sizes


def fresh(site):
    """The site, restarted if a tampering test left it serving a stale file list."""
    if site.stale:
        site.restart()
        site.stale = False
    return site


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def declared_integrity(page) -> dict[str, str]:
    """URL path -> integrity the page declares: tag attributes and the import map's integrity."""
    declared: dict[str, str] = dict(
        page.eval_on_selector_all(
            "script[src][integrity], link[rel=modulepreload][integrity]",
            "els => els.map(e => [new URL(e.src || e.href).pathname, e.integrity])",
        )
    )
    for text in page.eval_on_selector_all(
        "script[type=importmap]", "els => els.map(e => e.textContent)"
    ):
        for url, value in json.loads(text).get("integrity", {}).items():
            declared.setdefault(url, value)
    return declared


def record_scripts(page) -> dict[str, bytes]:
    """URL path -> body of every script response the page receives."""
    bodies: dict[str, bytes] = {}

    def on_response(response) -> None:
        if response.request.resource_type == "script":
            path = response.url.split("://", 1)[1].split("/", 1)[1]
            try:
                bodies["/" + path] = response.body()
            except Exception:  # a response refused before its body was read
                bodies["/" + path] = b""

    page.on("response", on_response)
    return bodies


def test_in_prod_every_module_the_room_page_loads_carries_a_matching_integrity(chromium, prod_site):
    """Alice's room page in prod: each script it fetches is declared with the hash of its bytes.

    The client starts (the create form shows), so the whole module graph
    loaded; and no script request went to a URL the page holds to no hash.
    """
    context = chromium.new_context()
    page = context.new_page()
    bodies = record_scripts(page)
    page, record = open_watched_page(page, fresh(prod_site).url("/r/"))
    page.wait_for_selector("#create-view:not([hidden])")
    declared = declared_integrity(page)
    assert len(bodies) > 10
    unchecked = sorted(path for path in bodies if path not in declared)
    assert unchecked == []
    mismatched = sorted(path for path, body in bodies.items() if sri(body) != declared[path])
    assert mismatched == []
    assert record.page_errors == []
    assert page.evaluate("window.__cspViolations") == []
    context.close()


def test_in_prod_modules_are_revalidated_so_a_deploy_never_meets_a_stale_copy(prod_site):
    """Modules keep plain names under SRI: a cached copy is revalidated, never reused blind."""
    port = fresh(prod_site).port
    status, headers, _ = http_get(port, "/static/js/ui/room-page.js")
    assert status == 200
    assert headers["Cache-Control"] == "max-age=0, public"
    again, _, body = http_get(
        port, "/static/js/ui/room-page.js", headers={"If-None-Match": headers["ETag"]}
    )
    assert (again, body) == (304, b"")


@pytest.mark.parametrize(
    "module", ["js/client/session.js", "vendor/noble-*.js"], ids=["session-module", "crypto-bundle"]
)
def test_mallory_cannot_run_an_altered_module_in_prod(chromium, prod_site, module):
    """Mallory alters a collected module (plain and hashed copies): the browser refuses it.

    Her appended code never runs, the client does not start, and Chromium
    reports the integrity failure.
    """
    static_root = prod_site.static_root
    if "*" in module:
        folder, pattern = module.rsplit("/", 1)
        matches = [p for p in (static_root / folder).glob(pattern) if not HASHED.search(p.name)]
        assert len(matches) == 1, matches
        module = f"{folder}/{matches[0].name}"
    context = chromium.new_context()
    with tampered(prod_site, module) as altered:
        assert len(altered) == 2, altered  # the plain and the hashed copy
        page, record = open_watched(context, prod_site.url("/r/"))
        page.wait_for_timeout(2000)
        ran = page.evaluate("globalThis.__mallory ?? []")
        started = not page.is_hidden("#create-view")
        errors = record.console_errors
    context.close()
    assert ran == []
    assert not started
    assert any("integrity" in message.lower() for message in errors)


def open_watched_page(page, url: str):
    """Watch an existing page (so listeners attached before navigation see every request)."""
    record = PageRecord()
    record.watch(page)
    page.goto(url)
    return page, record
