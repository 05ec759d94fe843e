"""What every check of the security claims shares: one live site, and what a check records.

A check here is a test module, ``test_<check id>.py``, marked with
``pytest.mark.check(title, kind)``; evidence/claims.toml says which claims
it proves and the evidence plugin marks its tests with them. It records its
findings through the ``evidence`` fixture (pytest's own ``record_property``),
and ``make security-evidence`` turns pytest's report of them into
evidence/latest/ (evidence.runner). The checks run only with ``--claims``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence, Record


@pytest.fixture
def evidence(record_property: Record) -> Evidence:
    return Evidence(record_property)


@pytest.fixture(scope="session")
def examined(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Context]:
    """The site under examination: a deployment (``--base-url``) or our own live site,
    started on first use and shared by every check of the run."""
    ctx = Context(
        work=tmp_path_factory.mktemp("evidence"), base_url=request.config.getoption("--base-url")
    )
    try:
        yield ctx
    finally:
        _write_planted(request.config.getoption("--evidence-secrets"), ctx.planted_secrets())
        ctx.close()


def _write_planted(path: str | None, secrets: list[bytes]) -> None:
    """Hand the run's planted secrets to the runner's publish-safe scan (hex, one a line)."""
    if path:
        lines = [secret.hex() for secret in secrets if secret]
        Path(path).write_text("\n".join(lines) + "\n", encoding="ascii")
