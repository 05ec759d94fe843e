"""A room's last minutes, in headless Chromium, with the page's clock moved forward.

Alice makes a 15-minute room. Playwright's clock stands in for waiting: the
countdown shows minutes and seconds in the last ten minutes and moves, and
five minutes before the end one warning appears, once, above the
conversation and clear of the composer.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import DESKTOP, PHONE
from tests.support.room_pages import create_room

pytestmark = pytest.mark.browser
MINUTE_MS = 60_000
WARNING = "This room vanishes in 5 minutes. Everything in it will be gone."


def overlaps(first: dict, second: dict) -> bool:
    return not (
        first["x"] + first["width"] <= second["x"]
        or second["x"] + second["width"] <= first["x"]
        or first["y"] + first["height"] <= second["y"]
        or second["y"] + second["height"] <= first["y"]
    )


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_last_ten_minutes_count_down_and_five_minutes_before_the_end_a_warning_shows(
    chromium, site, size
):
    context = chromium.new_context(**size)
    context.clock.install()
    alice, log, _ = create_room(context, site, "Alice", lifetime_seconds=15 * 60)
    countdown = alice.locator("#expiry")
    warning = alice.locator("#expiry-warning")
    expect(countdown).to_have_text(re.compile(r"^Vanishes in 1[45] min$"))
    expect(warning).to_be_hidden()

    alice.clock.fast_forward(5 * MINUTE_MS)  # about 9 min 58 s left
    expect(countdown).to_have_text(re.compile(r"^Vanishes in 9 min \d{1,2} s$"))
    first = countdown.inner_text()
    alice.clock.run_for(2_000)
    expect(countdown).not_to_have_text(first)  # it moves within seconds, not every half minute
    alice.clock.fast_forward(MINUTE_MS)
    expect(countdown).to_have_text(re.compile(r"^Vanishes in 8 min \d{1,2} s$"))
    expect(warning).to_be_hidden()

    alice.clock.fast_forward(4 * MINUTE_MS)  # just under 5 min left
    expect(warning).to_have_text(WARNING)
    expect(warning).to_be_visible()
    assert warning.get_attribute("role") == "alert"
    box = warning.bounding_box()
    assert box["width"] <= size["viewport"]["width"]
    assert not overlaps(box, alice.locator("#composer").bounding_box())

    alice.clock.fast_forward(MINUTE_MS)
    expect(countdown).to_have_text(re.compile(r"^Vanishes in 3 min \d{1,2} s$"))
    # Said once: the alert's words stay as they were, so a screen reader hears it once.
    assert warning.inner_text() == WARNING
    assert log.page_errors == []
    context.close()
