"""Links as people really paste them, rooms that are gone, reloads, second tabs, rejoining.

Issue 10, items 6, 7 and 10, at phone (390x844, touch) and desktop (1280x800)
sizes: what a person sees, and that the key never stays in the address bar.
"""

from __future__ import annotations

import re

import pytest

from atopos_client.link import Link, split_link_url
from tests.support.browser import DESKTOP, PHONE
from tests.support.room_pages import (
    READY,
    ask_to_join,
    create_room,
    join_room,
    member_names,
    open_watched,
    send,
    wait_for_message,
)

pytestmark = pytest.mark.browser
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
UNAVAILABLE = "This room has ended, or the link is not complete"


@pytest.fixture(scope="module")
def alices_room(chromium, site):
    """Alice's open room on localhost, shared by the tests that only need its link."""
    context = chromium.new_context(**DESKTOP)
    page, _, link = create_room(context, site, "Alice")
    yield page, link
    context.close()


def shown_within_width(page, selector: str) -> bool:
    """The element is visible and fits the viewport's width."""
    box = page.locator(selector).bounding_box()
    return (
        page.is_visible(selector)
        and box is not None
        and box["x"] >= 0
        and box["x"] + box["width"] <= page.viewport_size["width"]
    )


def no_link_in_address_bar(page, site) -> bool:
    return page.url == site.url("/r/") and page.evaluate("window.location.hash") == ""


def altered_key(link: str) -> str:
    """The link with one character of its key changed, as a typo does."""
    origin, parsed = split_link_url(link)
    shard = bytearray(parsed.link_shard)
    shard[5] ^= 0x01
    return Link(bytes(shard), parsed.genesis_hash).url(origin)


@pytest.mark.parametrize("size", [PHONE], ids=["phone"])
def test_a_link_pasted_with_trailing_punctuation_opens_the_join_form(
    chromium, site, alices_room, size
):
    """Bob's chat app glued ")." to the link: the page drops it and asks his name."""
    _, link = alices_room
    page, record = open_watched(chromium.new_context(**size), link + ").")
    page.wait_for_selector("#join-view:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "join-name"
    assert shown_within_width(page, "#join-form button")
    assert not page.is_visible("#path-key-note")  # the key stayed in the fragment
    assert no_link_in_address_bar(page, site)
    assert record.page_errors == []
    assert page.evaluate("window.__cspViolations") == []


@SIZES
def test_a_typo_in_the_key_says_ended_or_incomplete_before_asking_a_name(
    chromium, site, alices_room, size
):
    """One character of the key wrong: the page peeks, and says what Bob can do, with no
    name form."""
    _, link = alices_room
    page, _ = open_watched(chromium.new_context(**size), altered_key(link))
    page.wait_for_selector("#ended-view:not([hidden])")
    assert page.inner_text("#ended-title") == UNAVAILABLE
    assert page.inner_text("#ended-detail").startswith("Ask for the link again.")
    assert page.inner_text("#ended-code") == "Code: room-unavailable (4004)"
    assert not page.is_visible("#join-name")
    assert shown_within_width(page, "#ended-view .button")
    assert no_link_in_address_bar(page, site)


def test_an_ended_rooms_link_says_so_without_a_name_form(chromium, site):
    """Alice ends her room; Bob, opening the link later, is told at once, not after Join."""
    alice, _, link = create_room(chromium.new_context(**DESKTOP), site, "Alice")
    alice.click("#end-button")
    alice.click("#end-dialog button[value='end']")
    alice.wait_for_selector("#ended-view:not([hidden])")
    page, _ = open_watched(chromium.new_context(**PHONE), link)
    page.wait_for_selector("#ended-view:not([hidden])")
    assert page.inner_text("#ended-title") == UNAVAILABLE
    assert not page.is_visible("#join-view")


@pytest.mark.parametrize(
    ("size", "address"), [(PHONE, "/r/#"), (DESKTOP, "/r/#v2.")], ids=["phone", "desktop"]
)
def test_a_link_that_lost_its_fragment_says_it_is_incomplete(chromium, site, size, address):
    """A link cut after "#" is not a new room: the page says the link is incomplete."""
    page, _ = open_watched(chromium.new_context(**size), site.url(address))
    page.wait_for_selector("#error-view:not([hidden])")
    assert page.inner_text("#error-title") == "This link is not complete"
    assert page.inner_text("#error-code") == "Code: link-incomplete"
    assert not page.is_visible("#create-view")
    assert shown_within_width(page, "#error-detail")
    assert no_link_in_address_bar(page, site)


def test_a_typo_in_the_hash_part_is_said_plainly_with_the_code_apart(chromium, site, alices_room):
    """The room is there but its genesis does not match the link: words to act on, and the
    technical code on its own muted line."""
    _, link = alices_room
    origin, parsed = split_link_url(link)
    altered = Link(parsed.link_shard, bytes(16)).url(origin)
    page, _ = ask_to_join(chromium.new_context(**DESKTOP), altered)
    page.wait_for_selector("#error-view:not([hidden])")
    assert page.inner_text("#error-title") == "This link is not complete, or was changed"
    assert "genesis" not in page.inner_text("#error-detail")
    assert page.inner_text("#error-code") == "Code: genesis-hash-mismatch"


@pytest.mark.parametrize("size", [PHONE], ids=["phone"])
def test_a_link_opened_on_another_host_names_the_host_it_was_made_for(
    chromium, site, alices_room, size
):
    """Alice's link made on localhost, opened on 127.0.0.1: the page names localhost and links
    to its room page, without the key."""
    _, link = alices_room
    elsewhere = link.replace("//localhost:", "//127.0.0.1:")
    page, _ = ask_to_join(chromium.new_context(**size), elsewhere)
    page.wait_for_selector("#error-view:not([hidden])")
    home = site.url("").rstrip("/")
    assert page.inner_text("#error-title") == "This link was made for another site"
    assert home in page.inner_text("#error-detail")
    assert page.get_attribute("#error-host-link", "href") == f"{home}/r/"
    assert page.inner_text("#error-code") == "Code: genesis-origin-mismatch"
    assert shown_within_width(page, "#error-host")
    assert page.url == site.url("/r/", host="127.0.0.1")


@pytest.mark.parametrize("size", [DESKTOP], ids=["desktop"])
def test_a_link_with_percent_23_for_the_hash_opens_and_says_the_key_reached_the_server(
    chromium, site, alices_room, size
):
    """ "%23" typed for "#": the room opens, the address bar is cleaned, and the page says
    plainly that this form of the link sent the key to the server."""
    _, link = alices_room
    page, _ = open_watched(chromium.new_context(**size), link.replace("/r/#", "/r/%23"))
    page.wait_for_selector("#join-view:not([hidden])")
    note = page.locator("#path-key-note")
    assert note.is_visible()
    assert "sent the room's key to this server" in note.inner_text()
    assert "ask the others to start a new room" in note.inner_text()
    assert shown_within_width(page, "#path-key-note")
    assert no_link_in_address_bar(page, site)


@SIZES
def test_a_reload_says_earlier_messages_are_not_kept(chromium, site, alices_room, size):
    """Bob asked the tab to remember the room; after a reload he is back, and told plainly
    that what was said before is gone."""
    alice, link = alices_room
    bob, _ = join_room(chromium.new_context(**size), link, "Bob", remember=True)
    send(alice, "before the reload")
    wait_for_message(bob, "before the reload")
    bob.reload()
    bob.wait_for_selector(READY)
    notice = bob.locator(".message--notice", has_text="Earlier messages are not kept")
    notice.wait_for()
    assert bob.locator(".message__text", has_text="before the reload").count() == 0
    assert no_link_in_address_bar(bob, site)
    bob.click("#leave-button")


@SIZES
def test_a_second_tab_offers_to_take_the_room_over(chromium, site, alices_room, size):
    """Bob opens the link again in a second tab: it says the room is open in another tab;
    taking over moves him there, and the first tab says the room moved."""
    alice, link = alices_room
    context = chromium.new_context(**size)
    first, _ = join_room(context, link, "Bob")
    second, _ = open_watched(context, link)
    second.wait_for_selector("#elsewhere-view:not([hidden])")
    assert second.inner_text("#elsewhere-title") == "This room is open in another tab"
    assert second.evaluate("document.activeElement.id") == "take-over-button"
    assert shown_within_width(second, "#take-over-button")
    second.click("#take-over-button")
    second.wait_for_selector(READY)
    first.wait_for_selector("#ended-view:not([hidden])")
    assert first.inner_text("#ended-title") == "This room moved to another tab"
    second.wait_for_selector("#status[data-state='connected']")
    moved = second.locator(".message--notice", has_text="You moved this room here from another tab")
    assert moved.is_visible()
    assert "Earlier messages are not kept" in moved.inner_text()
    send(second, "from the second tab")
    wait_for_message(alice, "from the second tab")
    assert "Bob [you]" in member_names(second)
    assert second.evaluate("sessionStorage.length") == 0
    assert no_link_in_address_bar(second, site)
    second.click("#leave-button")


@SIZES
def test_pasting_the_link_again_after_leaving_works_in_the_same_tab(
    chromium, site, alices_room, size
):
    """Bob leaves, then pastes the link into the same tab's address bar: he can join again."""
    _, link = alices_room
    bob, _ = join_room(chromium.new_context(**size), link, "Bob")
    bob.click("#leave-button")
    bob.wait_for_selector("#ended-view:not([hidden])")
    bob.goto(link)  # only the fragment differs: the browser does not load a new page
    bob.wait_for_selector("#join-view:not([hidden])")
    assert no_link_in_address_bar(bob, site)
    bob.click("#join-form button")
    bob.wait_for_selector("#status[data-state='connected']")
    assert re.fullmatch(re.escape(site.url("/r/")), bob.url)
    bob.click("#leave-button")
