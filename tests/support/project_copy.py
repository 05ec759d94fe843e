"""A throwaway copy of the project's Python packages, for tests that seed a violation in it."""

from __future__ import annotations

import shutil
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("atopos_protocol", "atopos_client", "atopos_site", "rooms", "governance", "evidence")


def copy_packages(destination: Path) -> Path:
    """Copy pyproject.toml and every first-party package (sources only) to ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PROJECT_ROOT / "pyproject.toml", destination / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(
            PROJECT_ROOT / package,
            destination / package,
            ignore=shutil.ignore_patterns("__pycache__", "latest", "runs"),
        )
    return destination


def append_line(root: Path, relative: str, line: str) -> None:
    """Add ``line`` at the end of the module ``relative`` under ``root``."""
    path = root / relative
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
