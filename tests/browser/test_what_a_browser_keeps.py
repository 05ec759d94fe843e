"""What a browser profile on disk keeps of a room link: a browser limit, measured.

The page removes the link from the address bar and from the tab's history entry
(history.replaceState), but Chromium has already written the link, key and all,
into the profile when it was opened. These tests run Chromium on a real
profile directory (--user-data-dir), shut it down cleanly so it flushes, and
read the files. They assert what we measured on Debian's Chromium, which
README.md and the threat-model page repeat: if a Chromium release changes it,
these tests fail and those words must change with them.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.room_pages import READY, create_room

pytestmark = pytest.mark.browser
# Where the page itself could have written something: web storage and databases.
WEB_STORAGE = ("Local Storage", "Session Storage", "IndexedDB", "databases")


@contextmanager
def chromium_on_profile(playwright_instance, profile: Path) -> Iterator:
    """Headless Chromium on ``profile``, driven over CDP; closed cleanly so it writes to disk."""
    process = subprocess.Popen(
        [CHROMIUM, "--headless", *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
         "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline, "Chromium did not start"
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        browser = playwright_instance.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
        yield browser
        browser.new_browser_cdp_session().send("Browser.close")  # a clean exit flushes History
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def files_holding(profile: Path, text: str) -> set[str]:
    """Profile files that hold ``text`` in UTF-8 or UTF-16 (web storage uses the latter)."""
    forms = (text.encode(), text.encode("utf-16-le"))
    return {
        str(path.relative_to(profile))
        for path in profile.rglob("*")
        if path.is_file() and any(form in path.read_bytes() for form in forms)
    }


def history_urls(profile: Path) -> list[str]:
    with sqlite3.connect(profile / "Default" / "History") as database:
        return [url for (url,) in database.execute("SELECT url FROM urls")]


def join_in(context, link: str) -> None:
    page = context.new_page()
    page.goto(link)
    page.fill("#join-name", "Bob")
    page.click("#join-form button")
    page.wait_for_selector(READY)
    assert page.url == link.split("#")[0]  # the address bar no longer shows it


def test_a_normal_window_keeps_the_link_in_the_profiles_history_on_disk(
    chromium, site, playwright_instance, tmp_path
):
    """Bob opens the link in a normal window: History holds it afterwards, key included.

    What the page controls holds nothing: no web storage file of the profile
    contains the link, since nothing was remembered. What Chromium keeps by
    itself, the page cannot remove: the History database, the session-restore
    files, Favicons and segmentation_platform/ukm_db (Chromium 156).
    """
    _, _, link = create_room(chromium.new_context(), site, "Alice")
    fragment = link.split("#", 1)[1]
    profile = tmp_path / "profile"
    with chromium_on_profile(playwright_instance, profile) as browser:
        join_in(browser.contexts[0], link)

    assert link in history_urls(profile)
    holding = files_holding(profile, fragment)
    assert {"Default/History", "Default/Favicons", "segmentation_platform/ukm_db"} <= holding
    assert any(name.startswith("Default/Sessions/") for name in holding)  # session restore
    assert [name for name in holding if name.split("/")[1] in WEB_STORAGE] == []


def test_a_private_window_leaves_the_link_nowhere_in_the_profile(
    chromium, site, playwright_instance, tmp_path
):
    """Bob opens the link in a private (off-the-record) context of the profile: no file holds it.

    A page visited in the profile's normal context at the same time is the
    control: it does land in History, so the profile was written and read.
    """
    _, _, link = create_room(chromium.new_context(), site, "Alice")
    fragment = link.split("#", 1)[1]
    control = site.url("/#a-page-visited-in-the-normal-window")
    profile = tmp_path / "profile"
    with chromium_on_profile(playwright_instance, profile) as browser:
        private = browser.new_context()  # CDP's off-the-record context, as a private window
        join_in(private, link)
        private.close()
        browser.contexts[0].new_page().goto(control)

    assert control in history_urls(profile)
    assert files_holding(profile, fragment) == set()
    assert files_holding(profile, link.split("#", 1)[1].split(".")[1]) == set()  # nor L alone
