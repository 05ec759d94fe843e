"""Find a check by id: the module ``evidence.checks.<id>`` holds it as ``CHECK``."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from evidence.check import Check

CHECKS_DIR = Path(__file__).resolve().parent / "checks"
_ID = re.compile(r"[a-z][a-z0-9_]{2,63}")


class UnknownCheck(LookupError):
    """The claims file names a check that has no module."""


def load_check(check_id: str) -> Check:
    """The check with this id, from its own module."""
    if not _ID.fullmatch(check_id) or not (CHECKS_DIR / f"{check_id}.py").is_file():
        raise UnknownCheck(f"no check module evidence/checks/{check_id}.py")
    module = importlib.import_module(f"evidence.checks.{check_id}")
    check = getattr(module, "CHECK", None)
    if not isinstance(check, Check) or check.id != check_id:
        raise UnknownCheck(f"evidence/checks/{check_id}.py must define CHECK with id {check_id!r}")
    return check


def source_path(check_id: str) -> Path:
    """The file a check's code lives in (shown to reviewers)."""
    if not _ID.fullmatch(check_id):
        raise UnknownCheck(check_id)
    return CHECKS_DIR / f"{check_id}.py"


MAX_SOURCE_BYTES = 1024 * 1024


def check_source(check_id: str) -> str | None:
    """The text of a check's module, or None when it is missing, unreadable or too large."""
    try:
        path = source_path(check_id)
        with path.open("rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)
    except (UnknownCheck, OSError):
        return None
    if len(data) > MAX_SOURCE_BYTES:
        return None
    return data.decode("utf-8", errors="replace")
