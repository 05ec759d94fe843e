"""Names and codes that cannot pass for someone else, in headless Chromium.

Mallory runs her own client (our page with a name and keys she chose, see
tests/support/room_pages.own_client): names with bidi overrides, zero-width
joiners or a fake "(you)", and an Ed25519 key ground until its code starts
like Alice's or Bob's. What Alice sees must give her away.
"""

from __future__ import annotations

import re

import pytest

from tests.support.room_pages import (
    READY,
    ask_to_join,
    create_room,
    ground_seed,
    member_names,
    open_watched,
    own_client,
    own_code,
    send,
    wait_for_message,
)

pytestmark = pytest.mark.browser
CODE = re.compile(r"^[0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}$")
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def entry_of(page, name: str):
    """The member list entry whose (cleaned) name is exactly ``name``, not marked as ours."""
    return page.locator("#member-list li:not(:has(.badge--you))").filter(
        has=page.locator("bdi.name", has_text=re.compile(f"^{re.escape(name)}$"))
    )


def fully_visible(page, selector: str) -> bool:
    """The element is shown, inside the viewport's width, and not clipped by its own box."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].every((node) => {
             const box = node.getBoundingClientRect();
             return box.width > 0 && box.left >= 0 && box.right <= innerWidth
               && node.scrollWidth <= node.clientWidth + 1;
           })""",
        selector,
    )


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_mallorys_ground_key_cannot_copy_alices_code_and_the_page_warns(chromium, site, size):
    """Mallory grinds a key whose code starts like Alice's; her name has a Cyrillic capital A.

    On Alice's page both entries show all 16 digits, which differ; a warning
    names both for sharing the first 4 digits and for looking alike.
    """
    alice, _, link = create_room(chromium.new_context(**size), site, "Alice")
    code = own_code(alice)
    assert CODE.match(code)
    mallory, _ = own_client(chromium.new_context(), site, link, "\u0410lice", ground_seed(code[:4]))
    mallory.wait_for_selector(READY)

    impostor = entry_of(alice, "\u0410lice")
    impostor.wait_for()
    impostor_code = impostor.locator(".code").inner_text()
    assert CODE.match(impostor_code)
    assert impostor_code[:4] == code[:4]
    assert impostor_code != code
    warning = alice.locator("#clash-warning")
    warning.wait_for()
    assert warning.get_attribute("role") == "alert"
    lines = warning.locator("li").all_inner_texts()
    assert len(lines) == 2
    by_code, by_name = (next(line for line in lines if why in line) for why in ("same 4", "alike"))
    for line in (by_code, by_name):
        assert code in line
        assert impostor_code in line
    assert fully_visible(alice, "#member-list .code, #clash-warning .code")
    assert alice.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_two_knocks_whose_codes_start_alike_are_flagged_and_differ_in_full(chromium, site):
    """Approval room: Mallory knocks with a key ground to start like Bob's.

    Bob's waiting screen shows his full code to read out; Alice sees two
    requests with different 16-digit codes, both flagged, not two identical
    "Let in / Decline" entries.
    """
    alice, _, link = create_room(chromium.new_context(), site, "Alice", rule="approval")
    bob, _ = ask_to_join(chromium.new_context(**PHONE), link, "Bob")
    bob.wait_for_selector("#waiting-view:not([hidden])")
    bob_code = bob.inner_text("#waiting-id")
    assert CODE.match(bob_code)
    assert bob.locator("#waiting-id").is_visible()
    assert fully_visible(bob, "#waiting-id")
    assert "Read this code to an admin" in bob.inner_text("#waiting-view")
    alice.locator("#knock-list .knock").first.wait_for()

    mallory, _ = own_client(chromium.new_context(), site, link, "Bob", ground_seed(bob_code[:4]))
    mallory.wait_for_selector("#waiting-view:not([hidden])")
    knocks = alice.locator("#knock-list .knock")
    knocks.nth(1).wait_for()
    codes = knocks.locator(".code").all_inner_texts()
    assert bob_code in codes
    assert len(set(codes)) == 2
    assert all(CODE.match(one) and one[:4] == bob_code[:4] for one in codes)
    for index in range(2):
        flag = knocks.nth(index).locator(".knock__warning")
        assert flag.is_visible()
        assert "compare all 16 digits" in flag.inner_text()
    assert "someone asking to join" in alice.inner_text("#clash-warning")


def test_a_name_past_64_bytes_is_cut_to_fit_instead_of_stopping_the_page(chromium, site):
    """Bob types 40 Chinese characters (120 bytes): he joins as their first 21 (63 bytes)."""
    _, _, link = create_room(chromium.new_context(), site, "Alice")
    bob, record = open_watched(chromium.new_context(), link)
    bob.fill("#join-name", "李" * 40)
    bob.click("#join-form button")
    bob.wait_for_selector("#status[data-state='connected']")
    bob.locator("#member-list li").nth(1).wait_for()  # Alice's hello
    assert member_names(bob) == ["Alice", "李" * 21 + " [you]"]
    assert record.page_errors == []


def test_a_right_to_left_override_cannot_reorder_the_kick_dialog(chromium, site):
    """Mallory names herself "Bob" plus an unclosed RLO: the dialog's sentence stays in order."""
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    mallory, _ = own_client(chromium.new_context(), site, link, "Bob\u202e")
    mallory.wait_for_selector(READY)
    entry = entry_of(alice, "Bob")
    entry.wait_for()
    code = entry.locator(".code").inner_text()
    entry.get_by_role("button", name="Remove from room").click()
    dialog = alice.locator("#kick-dialog")
    dialog.wait_for()
    title = dialog.locator("#kick-dialog-title")
    assert title.evaluate("(node) => node.textContent") == f"Remove Bob {code} from the room?"
    assert title.locator("#kick-name > bdi.name").evaluate("(node) => node.textContent") == "Bob"
    assert title.locator("#kick-code .code").inner_text() == code
    assert not BIDI_CONTROLS.search(alice.evaluate("document.body.textContent"))
    assert dialog.evaluate("(node) => node.contains(document.activeElement)")
    alice.keyboard.press("Escape")  # keep her


def test_a_member_named_alice_you_shows_no_second_self_marker(chromium, site):
    """Mallory calls herself "Alice (you)": Alice's page marks only her own entry and message."""
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    mallory, _ = own_client(chromium.new_context(), site, link, "Alice (you)")
    mallory.wait_for_selector(READY)
    mallory.wait_for_selector("#status[data-state='connected']")
    entry_of(alice, "Alice (you)").wait_for()
    send(mallory, "it is me, Alice")
    wait_for_message(alice, "it is me, Alice")
    send(alice, "who are you?")
    wait_for_message(alice, "who are you?")

    assert member_names(alice) == ["Alice (you)", "Alice [you]"]
    assert alice.locator("#member-list .badge--you").count() == 1
    own_entry = alice.locator("#member-list li").first
    assert own_entry.locator(".badge--you").is_visible()
    theirs = alice.locator(".message:not(.message--own)", has_text="it is me, Alice")
    assert theirs.locator("bdi.name").inner_text() == "Alice (you)"
    assert theirs.locator(".badge--you").count() == 0
    assert alice.locator(".message--own .badge--you").count() == 1


def test_a_zero_width_joined_name_renders_as_its_visible_letters(chromium, site):
    """Mallory puts zero-width characters between the letters of "Alice": it shows as "Alice".

    Alice's page also warns that two names look alike.
    """
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    mallory, _ = own_client(chromium.new_context(), site, link, "A\u200dl\u200bi\u200cc\u2060e")
    mallory.wait_for_selector(READY)
    impostor = entry_of(alice, "Alice")
    impostor.wait_for()
    assert impostor.locator("bdi.name").evaluate("(node) => node.textContent") == "Alice"
    warning = alice.locator("#clash-warning")
    warning.wait_for()
    assert "names look alike" in warning.inner_text()


def test_markup_in_a_name_or_a_message_shows_as_text_and_builds_nothing(chromium, site):
    """Mallory names herself and writes in HTML: Alice's page shows the characters, no element."""
    name = '<img src="/nowhere" id="from-name">'
    text = '<img src="/nowhere" id="from-text"><b>bold</b>'
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    mallory, _ = own_client(chromium.new_context(), site, link, name)
    mallory.wait_for_selector(READY)
    mallory.wait_for_selector("#status[data-state='connected']")
    entry = entry_of(alice, name)
    entry.wait_for()
    send(mallory, text)
    wait_for_message(alice, text)

    assert entry.locator("bdi.name").evaluate("(node) => node.textContent") == name
    theirs = alice.locator(".message:not(.message--own)").last
    assert theirs.locator(".message__text").evaluate("(node) => node.textContent") == text
    assert theirs.locator("bdi.name").evaluate("(node) => node.textContent") == name
    assert alice.locator("#from-name, #from-text, #room-app b").count() == 0
