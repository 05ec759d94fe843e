"""Which files of a project tree are server code, and their syntax trees (for static checks).

The static checks judge what the *server* may do, so they must agree on what
the server is. Server code is:

* ``atopos_site/**``, ``rooms/**`` and ``governance/**`` (``atopos_client/``,
  a participant's device, and ``atopos_protocol/``, shared with clients, see
  ``SHARED_TREES``, are packages of their own);
* the part of ``evidence`` the site loads: its Django entry modules
  (``EVIDENCE_ENTRIES``) and every ``evidence`` module they import, however
  deeply (the checks and the live recorder run on a reviewer's machine and are
  not loaded by the site unless a served module imports them).

Directories named ``migrations`` (generated), ``tests`` and ``testing`` (test
support that pytest loads, never the site) are never server code.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SERVER_TREES = ("atopos_site", "rooms", "governance")
# Client code that lives inside the server packages: none since the layout split.
CLIENT_TREES: tuple[str, ...] = ()
CLIENT_FILES: tuple[str, ...] = ()
# Protocol code both sides import: it runs inside the server process too.
SHARED_TREES = ("atopos_protocol",)
EVIDENCE_PACKAGE = "evidence"
EVIDENCE_ENTRIES = ("urls.py", "views.py", "apps.py", "models.py", "admin.py")
SKIPPED_DIRS = frozenset({"migrations", "tests", "testing", "__pycache__"})
# Top-level directories that are never an app package of the project.
NOT_APPS = frozenset({"tests", "node_modules", "static", "templates", "var"})

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


class Unreadable(Exception):
    """A file the checks must judge does not parse: the check cannot run."""


@dataclass(frozen=True)
class Source:
    """One parsed module: where it is (relative, publish-safe), its dotted name, its tree."""

    relative: str
    module: str
    tree: ast.Module

    def at(self, node: ast.AST) -> str:
        """``relative/path.py:line`` of a node, for a violation message."""
        return f"{self.relative}:{getattr(node, 'lineno', 0)}"

    @property
    def package(self) -> str:
        """The package relative imports in this module are resolved against."""
        if self.relative.endswith("__init__.py"):
            return self.module
        return self.module.rpartition(".")[0]


def relative(root: Path, path: Path) -> str:
    """``path`` relative to ``root``, with forward slashes."""
    return path.relative_to(root).as_posix()


def module_name(root: Path, path: Path) -> str:
    """The dotted module name of a file under ``root`` (a package's ``__init__`` is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _skipped(rel: str) -> bool:
    directories = rel.split("/")[:-1]
    return any(part in SKIPPED_DIRS for part in directories)


def _under(rel: str, trees: Iterable[str]) -> bool:
    return any(rel == tree or rel.startswith(tree + "/") for tree in trees)


def python_files(root: Path, tree: str) -> list[Path]:
    """Every ``.py`` file under ``root/tree`` outside skipped directories, sorted."""
    base = root / tree
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*.py") if not _skipped(relative(root, p)))


def server_files(root: Path) -> list[Path]:
    """The server modules of the tree at ``root`` (see the module docstring)."""
    files = [
        path
        for tree in SERVER_TREES
        for path in python_files(root, tree)
        if not _under(relative(root, path), CLIENT_TREES)
        and relative(root, path) not in CLIENT_FILES
    ]
    return files + evidence_served_files(root)


def shared_files(root: Path) -> list[Path]:
    """Protocol modules shared by client and server (they run in the server process too)."""
    return [path for tree in SHARED_TREES for path in python_files(root, tree)]


def evidence_served_files(root: Path) -> list[Path]:
    """The ``evidence`` modules the site loads: its entry modules and what they import."""
    package = root / EVIDENCE_PACKAGE
    entries = [
        f"{EVIDENCE_PACKAGE}.{Path(name).stem}"
        for name in EVIDENCE_ENTRIES
        if (package / name).is_file()
    ]
    if not entries or not (package / "__init__.py").is_file():
        return sorted(package / name for name in EVIDENCE_ENTRIES if (package / name).is_file())
    imported = {*entries, *_imported_by(root, entries)}
    # Loading a module runs its packages' __init__ first.
    served = {
        ".".join(parts[:end])
        for parts in (module.split(".") for module in imported)
        for end in range(1, len(parts) + 1)
    }
    return sorted(path for module in served for path in _module_files(root, module))


# grimp builds the same import graph lint-imports holds the contracts to (imports under
# ``if TYPE_CHECKING:`` never run, so they are left out). It runs in a child process with
# the examined tree first on the path, so a seeded copy is read, never this checkout.
_UPSTREAM = """
import json, sys, grimp
graph = grimp.build_graph(sys.argv[1], exclude_type_checking_imports=True, cache_dir=None)
print(json.dumps(sorted({m for entry in sys.argv[2:] for m in graph.find_upstream_modules(entry)})))
"""
GRAPH_TIMEOUT = 120


def _imported_by(root: Path, entries: list[str]) -> list[str]:
    """Every ``evidence`` module the ``entries`` import, however deeply."""
    result = subprocess.run(
        [sys.executable, "-c", _UPSTREAM, EVIDENCE_PACKAGE, *entries],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": os.defpath},
        capture_output=True,
        text=True,
        timeout=GRAPH_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unreadable(f"the import graph of {EVIDENCE_PACKAGE}/ cannot be built ({last})")
    return [str(module) for module in json.loads(result.stdout)]


def _module_files(root: Path, dotted: str) -> Iterator[Path]:
    """The file of module ``dotted`` (or of its package), if it is in the tree."""
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            yield candidate


def absolute_module(source: Source, node: ast.ImportFrom) -> str:
    """The absolute module of a ``from ... import`` (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    parts = source.package.split(".") if source.package else []
    base = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join([*base, node.module] if node.module else base)


def parse(root: Path, path: Path) -> Source:
    """The parsed module at ``path``; Unreadable (with the relative path) if it does not parse."""
    rel = relative(root, path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as error:
        raise Unreadable(f"{rel} cannot be parsed ({type(error).__name__})") from None
    return Source(rel, module_name(root, path), tree)


def parse_all(root: Path, paths: Iterable[Path]) -> list[Source]:
    """Every module parsed, in order; Unreadable on the first that does not parse."""
    return [parse(root, path) for path in paths]


def app_packages(root: Path) -> list[Path]:
    """Top-level Python packages of the project (directories with ``__init__.py``), not tests."""
    return sorted(
        child
        for child in root.iterdir()
        if child.is_dir()
        and not child.name.startswith(".")
        and child.name not in NOT_APPS
        and (child / "__init__.py").is_file()
    )


def tokens(name: str) -> list[str]:
    """Lower-case words of a snake_case or CamelCase name: ``maxRoomTTL`` is max, room, ttl."""
    return [word.lower() for part in name.split("_") for word in _CAMEL.findall(part)]


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def terminal_name(node: ast.AST) -> str | None:
    """The last name of a chain: ``logger`` for ``self.logger``, ``x`` for ``x``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def constant_string(node: ast.AST | None) -> str | None:
    """The value of a string literal, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None
