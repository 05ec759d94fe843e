"""The browser client mirrors the Python packages, and ESLint holds its imports to the layers.

static/js/protocol/ is the twin of atopos_protocol (what the relay and every
client share), static/js/client/ the twin of atopos_client (what only a
participant's device does) and static/js/ui/ the page. `make lint` runs ESLint
with a no-restricted-imports rule per layer; each test below seeds one import
through the same configuration.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.project_copy import PROJECT_ROOT

ESLINT = PROJECT_ROOT / "node_modules" / ".bin" / "eslint"
JS = PROJECT_ROOT / "static" / "js"

# Modules with no twin, and why; every other module has one of the same name.
PYTHON_ONLY = {
    "atopos_client/__main__.py": "the terminal client; the page is static/js/ui/room-page.js",
    "atopos_client/inert.py": "makes untrusted text safe for a terminal; the page only ever "
    "puts such text in DOM text nodes, which are inert by construction",
    "atopos_client/events.py": "event classes for mypy; the page's session reports the same "
    "events as plain objects tagged by `type`",
}
JS_ONLY = {
    "protocol/crypto.js": "the one wrapper around the vendored noble libraries; Python calls "
    "PyNaCl where it needs it",
    "client/peek.js": "the page asks whether a room is still there before it offers to join; "
    "the terminal joins at once",
    "client/vault.js": "the local key vault keeps a browser's rooms in its IndexedDB; the "
    "terminal keeps nothing between runs",
}


def eslint(source: str, filename: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ESLINT), "--stdin", "--stdin-filename", filename],
        input=source,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def twin_of(python_module: Path) -> str:
    """atopos_protocol/governance/state.py -> protocol/governance/state.js."""
    package, *rest = python_module.parts
    layer = {"atopos_protocol": "protocol", "atopos_client": "client"}[package]
    return "/".join([layer, *rest[:-1], python_module.stem.replace("_", "-") + ".js"])


def python_modules() -> list[Path]:
    return sorted(
        path.relative_to(PROJECT_ROOT)
        for package in ("atopos_protocol", "atopos_client")
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if path.name != "__init__.py"
    )


def test_every_python_module_of_the_client_and_protocol_has_one_js_twin() -> None:
    missing = [
        f"{module} has no static/js/{twin_of(module)}"
        for module in python_modules()
        if str(module) not in PYTHON_ONLY and not (JS / twin_of(module)).is_file()
    ]

    assert missing == []


def test_every_js_module_of_the_client_and_protocol_has_one_python_twin() -> None:
    twins = {twin_of(module) for module in python_modules()}
    orphans = [
        str(path.relative_to(JS))
        for layer in ("protocol", "client")
        for path in sorted((JS / layer).rglob("*.js"))
        if str(path.relative_to(JS)) not in twins | JS_ONLY.keys()
    ]

    assert orphans == []


def test_every_listed_exception_still_exists() -> None:
    gone = [name for name in PYTHON_ONLY if not (PROJECT_ROOT / name).is_file()]
    gone += [name for name in JS_ONLY if not (JS / name).is_file()]

    assert gone == []


def test_the_browser_client_keeps_its_layers() -> None:
    result = subprocess.run(
        [str(ESLINT), "static/js"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("filename", "specifier"),
    [
        ("static/js/protocol/seeded.js", "../client/keys.js"),
        ("static/js/protocol/seeded.js", "../ui/dom.js"),
        ("static/js/protocol/governance/seeded.js", "../../client/membership.js"),
        ("static/js/client/seeded.js", "../ui/dom.js"),
    ],
)
def test_an_import_up_the_layers_fails_lint(filename: str, specifier: str) -> None:
    result = eslint(f"import * as seeded from '{specifier}';\nexport {{ seeded }};\n", filename)

    assert result.returncode == 1
    assert f"'{specifier}' import is restricted" in result.stdout
    assert "no-restricted-imports" in result.stdout


@pytest.mark.parametrize(
    ("filename", "specifier"),
    [
        ("static/js/protocol/seeded.js", "./codec.js"),
        ("static/js/protocol/seeded.js", "../../vendor/qrcode-generator-2.0.4.js"),
        ("static/js/client/seeded.js", "../protocol/frames.js"),
        ("static/js/ui/seeded.js", "../client/session.js"),
    ],
)
def test_an_import_down_the_layers_passes_lint(filename: str, specifier: str) -> None:
    result = eslint(f"import * as seeded from '{specifier}';\nexport {{ seeded }};\n", filename)

    assert result.returncode == 0, result.stdout
