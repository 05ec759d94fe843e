"""One recorded live run shared by the tests of a module (it takes a few seconds)."""

from __future__ import annotations

import pytest

from atopos_site.testing.chromium import CHROMIUM, chromium_available
from evidence.context import Context


@pytest.fixture(scope="module")
def live_evidence(tmp_path_factory):
    """A Context whose live site has run the scripted Python and browser sessions."""
    if not chromium_available():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    ctx = Context(work=tmp_path_factory.mktemp("evidence"))
    ctx.live()
    yield ctx
    ctx.close()
