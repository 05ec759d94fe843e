"""What everyone in a room is told when its people or rules change, in headless Chromium.

One open room for the whole module: Alice owns it on a laptop, Bob is on a
phone, Carol on a laptop. The tests run in order, as the room's story: a
newcomer comes and goes, Alice makes the room invite-only with a cap, makes
Bob an admin, removes Carol and locks the room. Every member sees each change
in words, whoever made it, and the invite panel offers only what admits
someone.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.support.browser import DESKTOP, PHONE
from tests.support.room_pages import create_room, join_room, open_invite_panel, own_code

pytestmark = pytest.mark.browser


def notice(page, text: str):
    """The page's own line in the conversation that reads exactly ``text``."""
    return page.locator(".message--notice").filter(has_text=re.compile(f"^{re.escape(text)}$"))


def phrase(page) -> str:
    return page.inner_text("#safety-phrase")


def inside_viewport(page, selector: str) -> bool:
    """The element is shown and fits the viewport's width."""
    box = page.locator(selector).bounding_box()
    return (
        box is not None
        and box["width"] > 0
        and box["x"] >= 0
        and box["x"] + box["width"] <= page.viewport_size["width"]
    )


@pytest.fixture(scope="module")
def room(chromium, site):
    """Alice (laptop) owns an open room; Bob (phone) and Carol (laptop) joined it."""
    contexts = [chromium.new_context(**size) for size in (DESKTOP, PHONE, DESKTOP)]
    alice, alice_log, link = create_room(contexts[0], site, "Alice")
    alone = phrase(alice)
    bob, bob_log = join_room(contexts[1], link, "Bob")
    carol, carol_log = join_room(contexts[2], link, "Carol")
    expect(alice.locator("#member-list li")).to_have_count(3)
    expect(bob.locator("#member-list li")).to_have_count(3)
    yield SimpleNamespace(
        alice=alice,
        bob=bob,
        carol=carol,
        link=link,
        alone=alone,
        logs=(alice_log, bob_log, carol_log),
        chromium=chromium,
    )
    for context in contexts:
        context.close()


def test_the_safety_phrase_help_says_what_the_words_cover(room):
    """On a phone and a laptop, the help names each part of the record and when it changes."""
    for page in (room.bob, room.alice):
        page.click(".safety summary")
        help_text = page.locator("#safety-help")
        expect(help_text).to_be_visible()
        assert inside_viewport(page, "#safety-help")
        words = " ".join(help_text.inner_text().split())
        for part in (
            "the people it lists (everyone let in and not removed, whether here right now or not)",
            "who is an admin and who was removed",
            "who may join and how many, whether the room is locked, its invite links and their",
            "they change when someone new joins (in every kind of room), is removed or made an",
            "People leaving or coming back in a tab that remembered the room do not change them",
            "names are no part of them",
        ):
            assert part in words
        page.click(".safety summary")


def test_a_newcomer_changes_the_phrase_and_coming_back_or_leaving_does_not(room):
    """Dave's joining lists his key, so the words change for all; his reload and leaving do not."""
    joined = phrase(room.alice)
    assert joined != room.alone
    assert phrase(room.bob) == joined
    dave_context = room.chromium.new_context(**PHONE)
    dave, _ = join_room(dave_context, room.link, "Dave", remember=True)
    expect(room.alice.locator("#member-list li")).to_have_count(4)
    with_dave = phrase(dave)
    assert with_dave != joined
    for page in (room.alice, room.bob):
        assert phrase(page) == with_dave
        expect(
            notice(page, f"The safety phrase changed: compare it again. It is now {with_dave}.")
        ).to_be_visible()
    dave_code = own_code(dave)
    dave.reload()
    dave.wait_for_selector("#status[data-state='connected']")
    expect(room.alice.locator("#member-list li")).to_have_count(4)
    assert phrase(dave) == with_dave
    dave.click("#leave-button")
    expect(room.alice.locator("#member-list li")).to_have_count(3)
    expect(notice(room.alice, f"Dave ({dave_code}) left.")).to_have_count(
        2
    )  # the reload, then Leave
    assert phrase(room.alice) == with_dave
    dave_context.close()


def test_an_invite_only_rule_is_told_to_all_and_the_plain_link_is_withdrawn(room):
    """Bob watches the invite panel while Alice makes the room invite-only for at most 3 people."""
    bob, alice = room.bob, room.alice
    open_invite_panel(bob)
    expect(bob.locator("#share-link")).to_be_visible()
    open_invite_panel(alice)
    before = phrase(bob)
    alice.select_option("#rule-select", "invite")
    alice.fill("#cap-input", "3")
    alice.click("#rule-form button")
    for page in (bob, room.carol, alice):
        expect(notice(page, "New people now need an invite link.")).to_be_visible()
        expect(notice(page, "The room now holds at most 3 people.")).to_be_visible()
    assert phrase(bob) != before
    expect(
        notice(bob, f"The safety phrase changed: compare it again. It is now {phrase(bob)}.")
    ).to_be_visible()
    expect(bob.locator("#share-rule")).to_have_text(
        "This link alone lets nobody in. Ask an admin for an invite link."
    )
    expect(alice.locator("#share-rule")).to_have_text(
        "This link alone lets nobody in: create an invite link below."
    )
    for page in (bob, alice):
        expect(page.locator("#share-link")).to_be_hidden()
        expect(page.locator("#share-qr")).to_be_hidden()
        assert inside_viewport(page, "#share-rule")


def test_an_invite_admits_any_number_of_people_the_room_allows(room):
    """With a cap of 3, Alice may invite 1 to 3 people; 0, 4 and 1.5 are refused in words."""
    alice = room.alice
    refusal = "Enter a whole number of people from 1 to 3 (the room holds at most 3 people)."
    for typed in ("4", "0", "1.5"):
        alice.fill("#invite-uses", typed)
        alice.click("#invite-form button")
        expect(alice.locator("#invite-uses-error")).to_have_text(refusal)
        expect(alice.locator("#invite-uses")).to_be_focused()
        assert alice.get_attribute("#invite-uses", "aria-invalid") == "true"
    expect(alice.locator("#invite-list .invite")).to_have_count(0)
    alice.fill("#invite-uses", "3")
    alice.click("#invite-form button")
    expect(alice.locator("#invite-list .invite")).to_have_count(1)
    assert alice.locator("#invite-list .invite").inner_text().count("3 of 3 left") == 1
    expect(alice.locator("#invite-uses-error")).to_be_hidden()


def test_a_promotion_is_told_to_everyone_and_gives_the_new_admin_the_tools(room):
    """Alice makes Bob an admin: all read it; Bob's phone now offers invite links, bounded alike."""
    bob, alice = room.bob, room.alice
    bob_code = own_code(bob)
    before = phrase(room.carol)
    alice.get_by_role("button", name="Make admin: Bob").click()
    for page in (bob, room.carol, alice):
        expect(notice(page, f"Bob ({bob_code}) is now an admin.")).to_be_visible()
    assert phrase(room.carol) not in (before, "")
    expect(
        notice(
            room.carol,
            f"The safety phrase changed: compare it again. It is now {phrase(room.carol)}.",
        )
    ).to_be_visible()
    expect(bob.locator("#share-rule")).to_have_text(
        "This link alone lets nobody in: create an invite link below."
    )
    bob.fill("#invite-uses", "1000")
    bob.click("#invite-form button")
    expect(bob.locator("#invite-uses-error")).to_have_text(
        "Enter a whole number of people from 1 to 3 (the room holds at most 3 people)."
    )
    assert inside_viewport(bob, "#invite-uses-error")
    assert bob.locator("#invite-uses").bounding_box()["width"] >= 60


def test_a_removal_reads_as_removed_by_an_admin_not_as_leaving(room):
    """Alice removes Carol: Alice and Bob read that an admin removed her, never that she left."""
    alice, bob = room.alice, room.bob
    carol_code = own_code(room.carol)
    phrases_before = alice.locator(".message--notice", has_text="The safety phrase changed").count()
    alice.get_by_role("button", name="Remove from room: Carol").click()
    alice.click("#kick-dialog button[value='kick']")
    for page in (alice, bob):
        expect(notice(page, f"Carol ({carol_code}) was removed by an admin.")).to_be_visible()
        expect(page.locator("#paused-note")).to_be_hidden()  # the re-key is done
        new_phrase = phrase(page)
        expect(
            notice(page, f"The safety phrase changed: compare it again. It is now {new_phrase}.")
        ).to_have_count(1)
        expect(page.locator("#member-list li")).to_have_count(2)
        assert page.locator(".message--notice", has_text=f"Carol ({carol_code}) left").count() == 0
    # One phrase line for the kick and its re-key together, not one each.
    assert (
        alice.locator(".message--notice", has_text="The safety phrase changed").count()
        == phrases_before + 1
    )
    assert phrase(alice) == phrase(bob)


def test_locking_is_told_to_everyone_and_the_link_offers_nothing(room):
    """Alice locks the room: Bob's phone says so in the conversation and in the invite panel."""
    alice, bob = room.alice, room.bob
    alice.click("#lock-button")
    alice.click("#lock-dialog button[value='lock']")
    for page in (alice, bob):
        expect(notice(page, "The room is now locked: nobody new can join.")).to_be_visible()
        expect(page.locator("#share-rule")).to_have_text(
            "This room is locked: nobody new can join."
        )
        expect(page.locator("#share-link")).to_be_hidden()
        expect(page.locator("#invite-form button")).to_be_disabled()
        expect(page.locator("#invite-list .invite")).to_have_count(0)
        expect(page.locator("#invite-uses-error")).to_be_hidden()
    for log in room.logs:
        assert log.page_errors == []
        assert log.console_errors == []
