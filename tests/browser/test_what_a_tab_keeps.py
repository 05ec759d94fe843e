"""What a tab keeps of a room: nothing secret, unless the member asks it to remember.

Keys and the owner capability live in the page's memory; only "Remember this
room in this tab" puts them in sessionStorage. A reload without it cannot go
back in (the link has left the address bar), and the page says so.
"""

from __future__ import annotations

import pytest

from tests.claims.live.storage import (
    NOTHING_STORED,
    stored_by_the_site,
    stored_by_the_site_per_chromium,
)
from tests.support.room_pages import (
    READY,
    create_room,
    join_room,
    open_watched,
    send,
    wait_for_message,
)

pytestmark = pytest.mark.browser
FORGOTTEN = "#forgotten-view:not([hidden])"


def assert_remember_is_offered_and_off(page, form: str) -> None:
    """The choice is visible, explained, and off until the person ticks it."""
    box = page.locator(f"#{form}-remember")
    assert box.is_visible()
    assert not box.is_checked()
    assert page.locator(f"label[for='{form}-remember']").inner_text() == (
        "Remember this room in this tab"
    )
    help_text = page.locator(f"#{form}-remember-help")
    assert box.get_attribute("aria-describedby") == f"{form}-remember-help"
    assert help_text.is_visible()
    assert "memory only" in help_text.inner_text()


def test_alice_and_bob_keep_no_key_in_their_tabs_by_default(chromium, site):
    """After create and after join, the origin's storage is exactly empty."""
    context = chromium.new_context()
    page, _ = open_watched(context, site.url("/r/"))
    assert_remember_is_offered_and_off(page, "create")
    page.close()
    alice, _, link = create_room(context, site, "Alice")
    assert stored_by_the_site(alice) == NOTHING_STORED

    bob_context = chromium.new_context()
    page, _ = open_watched(bob_context, link)
    page.wait_for_selector("#join-view:not([hidden])")  # once the link's room is known to be there
    assert_remember_is_offered_and_off(page, "join")
    page.close()
    bob, _ = join_room(bob_context, link, "Bob")
    assert stored_by_the_site(bob) == NOTHING_STORED
    assert bob.evaluate("window.location.hash") == ""


@pytest.mark.parametrize("who", ["creator", "joiner"])
def test_a_reload_without_remember_does_not_rejoin_and_says_why(chromium, site, who):
    """The reloaded tab opens no socket and asks for the link again, in plain words."""
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    page = alice if who == "creator" else join_room(chromium.new_context(), link, "Bob")[0]
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.reload()
    page.wait_for_selector(FORGOTTEN)
    assert page.inner_text("#forgotten-title") == "This tab kept no keys"
    assert "open the room link again" in page.inner_text("#forgotten-detail")
    assert page.is_hidden("#chat-view")
    assert page.is_hidden("#create-view")
    page.wait_for_timeout(500)  # time for a socket to open, were one coming
    assert sockets == []
    assert stored_by_the_site(page) == NOTHING_STORED
    assert page.url == alice.url.split("#")[0]


def test_a_remembered_room_rejoins_on_reload_as_its_owner(chromium, site):
    """With "remember", the creator's tab keeps her link and keys, and a reload rejoins as owner."""
    alice, _, _ = create_room(chromium.new_context(), site, "Alice", remember=True)
    kept = alice.evaluate("JSON.parse(sessionStorage.getItem('atopos.room.v1'))")
    assert alice.evaluate("Object.keys(sessionStorage)") == ["atopos.room.v1"]
    assert sorted(kept) == ["edSeed", "fragment", "name", "xSecret"]
    alice.reload()
    alice.wait_for_selector(READY)
    alice.wait_for_selector("#status[data-state='connected']")
    assert alice.is_visible("#end-button")  # still the owner
    alice.click("#leave-button")
    alice.wait_for_selector("#ended-view:not([hidden])")
    assert stored_by_the_site(alice) == NOTHING_STORED


def test_the_join_form_says_what_the_browser_keeps_on_a_phone(chromium, site):
    """At 390x844 the history note and the remember choice show, with no sideways scrolling."""
    _, _, link = create_room(chromium.new_context(), site, "Alice")
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page, _ = open_watched(phone, link)
    page.wait_for_selector("#join-view:not([hidden])")
    note = page.locator("#history-note")
    note.scroll_into_view_if_needed()
    assert note.is_visible()
    assert "recorded it, key included, in its history" in note.inner_text()
    assert "private window" in note.inner_text()
    assert page.locator("#join-remember").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert page.evaluate("document.activeElement.id") == "join-name"


def test_nothing_of_an_unremembered_room_stays_after_leaving_or_closing_the_tab(chromium, site):
    """Alice leaves, Bob closes his tab: the page and Chromium itself find all five stores empty.

    Both moments are looked at through the page (what its scripts can read) and over
    the DevTools protocol (what Chromium holds for the origin, HttpOnly cookies and
    the origin's storage usage included).
    """
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    bob_context = chromium.new_context()
    bob, _ = join_room(bob_context, link, "Bob")
    send(alice, "said before anyone went")
    wait_for_message(bob, "said before anyone went")

    alice.click("#leave-button")
    alice.wait_for_selector("#ended-view:not([hidden])")
    assert stored_by_the_site(alice) == NOTHING_STORED
    assert stored_by_the_site_per_chromium(alice) == {**NOTHING_STORED, "usage": 0}
    assert alice.input_value("#share-link") == ""  # the link left the page with the keys

    bob.close()
    after, _ = open_watched(bob_context, site.url("/r/"))  # the same profile, a new tab
    after.wait_for_selector("#create-view:not([hidden])")
    assert after.is_hidden("#vault-view")
    assert stored_by_the_site(after) == NOTHING_STORED
    assert stored_by_the_site_per_chromium(after) == {**NOTHING_STORED, "usage": 0}
