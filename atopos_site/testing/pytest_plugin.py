"""Pytest plugin: test settings, and a real embedded Redis when REDIS_URL is unset.

It must run before pytest-django imports the settings, which read REDIS_URL,
hence a ``-p`` plugin (see pyproject.toml) with a ``tryfirst`` early hook
rather than a conftest fixture.
"""

from __future__ import annotations

import os

import pytest

from atopos_site.embedded_redis import EmbeddedRedis, start_embedded_redis

_server: EmbeddedRedis | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Choose the test environment and start Redis before Django is configured."""
    global _server
    os.environ.setdefault("ATOPOS_ENV", "test")
    if os.environ.get("REDIS_URL"):
        return
    _server = start_embedded_redis()
    os.environ["REDIS_URL"] = _server.url


def pytest_report_header(config: pytest.Config) -> str:
    """Say which Redis the session talks to (never its address)."""
    return "redis: embedded redis-server" if _server else "redis: REDIS_URL from the environment"


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the embedded server at the end of the session."""
    global _server
    if _server is not None:
        _server.stop()
        os.environ.pop("REDIS_URL", None)
        _server = None
