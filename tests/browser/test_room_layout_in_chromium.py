"""The room as a person sees it on a phone and a laptop, in headless Chromium.

One open room per size, told as a story in order: Alice creates it and sees
her conversation first; she opens Invite; Bob joins and talks while Alice is
typing or has a member's button focused; Dana, whose name is Hebrew, joins;
Alice makes Dana an admin. At every step what each person sees is measured:
sizes, positions, visibility, focus and what a screen reader reads.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.support.browser import DESKTOP, PHONE
from tests.support.room_pages import (
    create_room,
    join_room,
    open_invite_panel,
    send,
    wait_for_message,
)

pytestmark = pytest.mark.browser

SIZES = {"phone": PHONE, "desktop": DESKTOP}

# Every element of the room app that carries `hidden`, and whether any of them shows.
HIDDEN_BUT_SHOWN = """
[...document.querySelectorAll('#room-app [hidden]')]
  .filter((node) => getComputedStyle(node).display !== 'none' || node.getClientRects().length > 0)
  .map((node) => node.id || node.className || node.tagName)
"""

# The rendered box of one word of an element's text, found with a Range.
WORD_BOX = """([selector, word]) => {
  const node = [...document.querySelectorAll(selector)].at(-1);
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const at = text.data.indexOf(word);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(text, at);
    range.setEnd(text, at + word.length);
    const box = range.getBoundingClientRect();
    return { left: box.left, right: box.right, top: box.top };
  }
  return null;
}"""


def box(page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.tagName")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def in_view(page, selector: str) -> bool:
    """The element is on screen now: inside the viewport, without scrolling."""
    found = box(page, selector)
    size = page.viewport_size
    return (
        0 <= found["y"] <= found["y"] + found["height"] <= size["height"]
        and 0 <= found["x"] <= found["x"] + found["width"] <= size["width"]
    )


def direction(page, selector: str) -> str:
    """The direction the last element matching ``selector`` is laid out in."""
    return page.locator(selector).last.evaluate("(node) => getComputedStyle(node).direction")


def word_box(page, selector: str, word: str) -> dict[str, float]:
    found = page.evaluate(WORD_BOX, [selector, word])
    assert found is not None, f"{word!r} is not in {selector}"
    return found


@pytest.fixture(scope="module", params=list(SIZES), ids=list(SIZES))
def room(request, chromium, site):
    """Alice creates an open room at this size; the tests add Bob and Dana."""
    size = SIZES[request.param]
    contexts = [chromium.new_context(**size) for _ in range(3)]
    alice, _, link = create_room(contexts[0], site, "Alice")
    story = SimpleNamespace(size=request.param, alice=alice, link=link, contexts=contexts)
    yield story
    for context in contexts:
        context.close()


def test_the_owners_first_screen_is_the_conversation_and_a_focused_composer(room):
    alice = room.alice
    assert focused_id(alice) == "composer-text"
    expect(alice.locator("#share-panel")).to_be_hidden()
    expect(alice.locator("#share-toggle")).to_have_attribute("aria-expanded", "false")
    expect(alice.locator(".message--notice").last).to_have_text(
        "Nobody else is here yet. Press Invite to share the room's link."
    )
    assert in_view(alice, "#composer-text")
    assert in_view(alice, "#send-button")
    assert in_view(alice, "#share-toggle")
    assert no_sideways_scroll(alice)


def test_the_composer_spans_the_screen_with_send_beside_it(room):
    alice = room.alice
    text, send_button = box(alice, "#composer-text"), box(alice, "#send-button")
    width = alice.viewport_size["width"]
    assert text["width"] >= (0.7 * width if room.size == "phone" else 400)
    assert send_button["width"] <= 120
    assert send_button["x"] >= text["x"] + text["width"]  # beside the box, on its row
    assert send_button["y"] < text["y"] + text["height"]
    if room.size == "phone":
        # docked at the bottom of the screen, above whatever the page scrolls
        assert text["y"] + text["height"] >= alice.viewport_size["height"] - 120
        assert box(alice, "#messages")["height"] >= 200


def test_invite_opens_on_demand_with_a_readable_link(room):
    alice = room.alice
    open_invite_panel(alice)
    link_field = box(alice, "#share-link")
    assert link_field["width"] >= (300 if room.size == "phone" else 450)
    assert link_field["x"] + link_field["width"] <= alice.viewport_size["width"]
    assert no_sideways_scroll(alice)
    alice.click("#share-toggle")
    expect(alice.locator("#share-panel")).to_be_hidden()


def test_bob_sees_no_control_he_may_not_use(room):
    room.bob, _ = join_room(room.contexts[1], room.link, "Bob")
    bob = room.bob
    expect(bob.locator("#end-button")).to_be_hidden()
    expect(bob.get_by_role("button", name="End room for everyone")).to_have_count(0)
    assert bob.evaluate(HIDDEN_BUT_SHOWN) == []
    assert focused_id(bob) == "composer-text"
    assert in_view(bob, "#composer-text")
    assert no_sideways_scroll(bob)
    # the owner, and only she, may end the room
    expect(room.alice.locator("#end-button")).to_be_visible()
    assert room.alice.evaluate(HIDDEN_BUT_SHOWN) == []


def test_alices_half_typed_message_keeps_focus_when_bob_talks(room):
    alice = room.alice
    alice.fill("#composer-text", "half a thought")
    alice.focus("#composer-text")
    send(room.bob, "hello")
    wait_for_message(alice, "hello")
    assert focused_id(alice) == "composer-text"
    assert alice.input_value("#composer-text") == "half a thought"
    # the newest message shows above the composer, not under it
    newest = box(alice, "#messages li:last-child")
    assert newest["y"] >= 0
    assert newest["y"] + newest["height"] <= box(alice, ".composer-dock")["y"]


def test_a_screen_reader_hears_who_said_what(room):
    spoken = room.alice.locator("#messages li.message:not(.message--notice)").last
    assert re.sub(r"\s+", " ", spoken.evaluate("(node) => node.innerText")).startswith("Bob")
    said = room.alice.locator("#messages").aria_snapshot().split("\n")[-2:]
    assert [line.strip() for line in said] == ['- text: "Bob:"', "- paragraph: hello"]


def test_a_focused_member_button_keeps_focus_when_the_list_changes(room):
    alice = room.alice
    make_admin = alice.locator("#member-list li", has_text="Bob").locator("[data-action='promote']")
    make_admin.focus()
    room.dana, _ = join_room(room.contexts[2], room.link, "דנה")
    expect(alice.locator("#member-list li")).to_have_count(3)
    send(room.bob, "still here")
    wait_for_message(alice, "still here")
    assert alice.evaluate("document.activeElement.dataset.action") == "promote"
    assert alice.evaluate("document.activeElement.closest('li').textContent").startswith("Bob")


def test_hebrew_text_reads_right_to_left_and_keeps_its_order(room):
    send(room.bob, "שלום world")
    wait_for_message(room.alice, "שלום world")
    last = "#messages .message__text"
    assert room.alice.locator(last).last.get_attribute("dir") == "auto"
    assert direction(room.alice, last) == "rtl"
    assert (
        word_box(room.alice, last, "world")["right"] <= word_box(room.alice, last, "שלום")["left"]
    )
    send(room.bob, "hello עולם")
    wait_for_message(room.alice, "hello עולם")
    assert direction(room.alice, last) == "ltr"
    assert (
        word_box(room.alice, last, "hello")["right"] <= word_box(room.alice, last, "עולם")["left"]
    )


def test_a_hebrew_name_does_not_move_the_code_beside_it(room):
    arrival = room.alice.locator(".message--notice", has_text="is here").last
    expect(arrival).to_contain_text("דנה")
    notice = ".message--notice:has(bdi)"
    name, code = (room.alice.locator(notice).last.locator(part) for part in ("bdi.name", ".code"))
    assert name.get_attribute("dir") == "auto"
    name_box, code_box = name.bounding_box(), code.bounding_box()
    one_line = abs(name_box["y"] - code_box["y"]) < 4
    assert one_line or room.size == "phone"  # a laptop's notice never wraps this short a line
    if one_line:  # the name, then its code, left to right as the sentence reads
        assert name_box["x"] + name_box["width"] <= code_box["x"]
    else:  # wrapped on a phone: the code comes on the line below
        assert code_box["y"] > name_box["y"]


def test_a_promoted_admin_does_not_see_the_end_control(room):
    alice = room.alice
    alice.locator("#member-list li", has_text="דנה").locator("[data-action='promote']").click()
    expect(room.dana.locator("#admin-tools")).to_be_attached()
    expect(room.dana.locator("#member-list .badge", has_text="admin")).to_have_count(1)
    expect(room.dana.locator("#end-button")).to_be_hidden()
    assert room.dana.evaluate(HIDDEN_BUT_SHOWN) == []
    room.dana.click("#share-toggle")
    expect(room.dana.locator("#admin-tools")).to_be_visible()
    assert no_sideways_scroll(room.dana)
