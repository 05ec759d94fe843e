"""The layout states what runs where, and `make lint` (lint-imports) holds every import to it.

Each test seeds one violation in a copy of the packages and runs the same
tool `make lint` runs; the project itself must keep every contract.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.project_copy import PROJECT_ROOT, append_line, copy_packages

LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "pyproject.toml", "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_packages(tmp_path_factory.mktemp("pristine"))


def test_the_project_keeps_every_contract() -> None:
    result = lint_imports(PROJECT_ROOT)

    assert result.returncode == 0, result.stdout
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def test_an_untouched_copy_keeps_every_contract(pristine: Path) -> None:
    result = lint_imports(pristine)

    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("module", "seeded", "broken"),
    [
        (
            "rooms/consumers.py",
            "from atopos_client.keys import room_secret  # noqa",
            "rooms is not allowed to import atopos_client",
        ),
        (
            "atopos_site/tenancy/policy.py",
            "import atopos_client.envelope  # noqa",
            "atopos_site is not allowed to import atopos_client",
        ),
        (
            "rooms/hub.py",
            "from atopos_client import session  # noqa",
            "rooms is not allowed to import atopos_client",
        ),
        (
            "atopos_protocol/frames.py",
            "from atopos_client.envelope import seal  # noqa",
            "atopos_protocol is not allowed to import atopos_client",
        ),
        (
            "atopos_protocol/codec.py",
            "import django.conf  # noqa",
            "atopos_protocol is not allowed to import django",
        ),
        (
            "atopos_client/session.py",
            "import rooms.store  # noqa",
            "atopos_client is not allowed to import rooms",
        ),
        (
            "governance/__init__.py",
            "import rooms.hub  # noqa",
            "governance is not allowed to import rooms",
        ),
    ],
    ids=[
        "consumer-combiner",
        "site-envelope",
        "hub-session",
        "protocol-client",
        "protocol-django",
        "client-server",
        "governance-cycle",
    ],
)
def test_a_seeded_violation_breaks_make_lint(
    tmp_path: Path, module: str, seeded: str, broken: str
) -> None:
    root = copy_packages(tmp_path / "tree")
    append_line(root, module, seeded)

    result = lint_imports(root)

    assert result.returncode == 1
    assert broken in " ".join(result.stdout.split())
