"""The release a process runs: ATOPOS_RELEASE, else the checkout's git commit, else unknown.

Read once at start-up (settings). A reviewer matches it, with the client
bundle hash (atopos_site.running_code), against an evidence run's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess  # git only, a fixed argument list, no shell  # nosec B404
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

UNKNOWN = "unknown"
# A git object name: SHA-1 (40) or SHA-256 (64) hex, or an abbreviation of at least 7.
COMMIT = re.compile(r"[0-9a-f]{7,64}")


def git_commit(root: Path) -> str:
    """The commit checked out at ``root``, or "unknown" outside a git checkout."""
    git = shutil.which("git")
    if git is None:
        return UNKNOWN
    try:
        result = subprocess.run(  # noqa: S603 -- git itself, fixed arguments  # nosec B603
            [git, "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return UNKNOWN
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and len(commit) in (40, 64) else UNKNOWN


def configured_release(name: str, root: Path, environ: Mapping[str, str] = os.environ) -> str:
    """The commit ``name`` gives (a deployment without .git sets it), else ``root``'s HEAD."""
    value = environ.get(name, "").strip()
    if not value:
        return git_commit(root)
    if not COMMIT.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name} must be a git commit (7 to 64 lower-case hex digits), got {value!r}"
        )
    return value
