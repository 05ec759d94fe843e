"""Where a check's code is: the test module tests/claims/test_<id>.py (read, never run here)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests" / "claims"
_ID = re.compile(r"[a-z][a-z0-9_]{2,63}")


class UnknownCheck(LookupError):
    """No check has this id."""


def claims_test(check_id: str, root: Path) -> Path:
    """Where a check that runs on pytest lives in the tree under ``root``."""
    return root / "tests" / "claims" / f"test_{check_id}.py"


def relative_source(check_id: str) -> str:
    """A check's file as the repository names it (reviewers follow it to the code)."""
    return source_path(check_id).relative_to(TESTS_DIR.parent.parent).as_posix()


def source_path(check_id: str) -> Path:
    """The file a check's code lives in (shown to reviewers)."""
    if not _ID.fullmatch(check_id):
        raise UnknownCheck(check_id)
    return claims_test(check_id, TESTS_DIR.parent.parent)


def check_ids() -> list[str]:
    """Every check in the tree, by id."""
    return sorted(path.stem.removeprefix("test_") for path in TESTS_DIR.glob("test_*.py"))


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
