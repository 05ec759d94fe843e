"""Where headless Chromium lives and how we start it (tests and the evidence run)."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("ATOPOS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK)
