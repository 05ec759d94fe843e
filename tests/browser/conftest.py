"""Browser fixtures: one Chromium for the session, one live site for the module."""

from __future__ import annotations

import os

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.live_site import live_site


# Package scope, not session: Playwright's sync API keeps an event loop running
# on the main thread while it is open, which would break later asyncio tests.
@pytest.fixture(scope="package")
def chromium():
    """Debian's headless Chromium driven by Playwright; skipped only where none exists."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        browser.playwright_instance = playwright
        yield browser
        browser.close()


@pytest.fixture
def playwright_instance(chromium):
    """The Playwright driver, to launch Chromium with other flags."""
    return chromium.playwright_instance


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A real daphne serving the localhost and acme.localhost tenants.

    Every browser here shares one address, and opening a link costs two join attempts
    (the peek, then the JOIN): the limit is raised so tests never wait on it.
    """
    options = ["--joins-per-minute", "120"]
    with live_site(tmp_path_factory.mktemp("browser"), tenant_options=options) as running:
        yield running


@pytest.fixture
def context(chromium):
    """A fresh browser profile per test."""
    browser_context = chromium.new_context()
    yield browser_context
    browser_context.close()
