"""Governance in headless Chromium: letting people in, invite links, removing someone."""

from __future__ import annotations

import json

import pytest

from atopos_client.admission import Admission
from atopos_client.envelope import open_envelope
from atopos_client.keys import MemberKeys
from atopos_client.link import Link
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import Kind
from tests.support.room_pages import (
    READY,
    ask_to_join,
    create_room,
    join_room,
    member_names,
    open_invite_panel,
    send,
    wait_for_message,
)

pytestmark = pytest.mark.browser
WAITING = "#waiting-view:not([hidden])"
ERROR = "#error-view:not([hidden])"


def test_an_admin_lets_a_newcomer_in(chromium, site):
    """Approval room: Bob waits, Alice sees his request and lets him in; they talk and agree."""
    alice, alice_log, link = create_room(chromium.new_context(), site, "Alice", rule="approval")
    bob, bob_log = ask_to_join(chromium.new_context(), link, "Bob")
    bob.wait_for_selector(WAITING)
    code = bob.inner_text("#waiting-id")
    request = alice.locator("#knock-list .knock")
    request.wait_for()
    assert code in request.inner_text()
    request.get_by_role("button", name="Let in").click()
    bob.wait_for_selector(READY)
    alice.wait_for_selector("#knock-panel", state="hidden")
    send(bob, "thanks for letting me in")
    wait_for_message(alice, "thanks for letting me in")
    assert member_names(alice) == ["Alice [you]", "Bob"]
    assert alice.inner_text("#safety-phrase") == bob.inner_text("#safety-phrase")
    assert len(alice.inner_text("#safety-phrase").split()) == 5
    for log in (alice_log, bob_log):
        assert log.console_errors == []
        assert log.page_errors == []


def test_a_declined_newcomer_is_told_so(chromium, site):
    """Alice declines Bob's request: his page says he was not let in."""
    alice, _, link = create_room(chromium.new_context(), site, "Alice", rule="approval")
    bob, _ = ask_to_join(chromium.new_context(), link, "Bob")
    bob.wait_for_selector(WAITING)
    alice.locator("#knock-list").get_by_role("button", name="Decline").click()
    bob.wait_for_selector(ERROR)
    assert bob.inner_text("#error-title") == "Not let in"


def invite_link(page, uses: str = "1") -> str:
    """Create an invite link in the share panel and return it."""
    open_invite_panel(page)
    page.fill("#invite-uses", uses)
    page.click("#invite-form button")
    field = page.locator("#invite-list .invite__link").last
    field.wait_for()
    return field.input_value()


def test_an_invite_link_admits_once_and_fails_the_second_time(chromium, site):
    """Invite-only room: the plain link admits nobody; a one-use invite admits Bob, not Carol."""
    alice, _, link = create_room(chromium.new_context(), site, "Alice", rule="invite")
    plain, _ = ask_to_join(chromium.new_context(), link, "Mallory")
    plain.wait_for_selector(ERROR)
    assert plain.inner_text("#error-title") == "This room admits by invitation only"
    invite = invite_link(alice)
    assert invite.startswith(link + ".")
    bob, _ = join_room(chromium.new_context(), invite, "Bob")
    send(bob, "in with my invite")
    wait_for_message(alice, "in with my invite")
    alice.locator("#invite-list .invite").first.wait_for(state="detached")
    carol, _ = ask_to_join(chromium.new_context(), invite, "Carol")
    carol.wait_for_selector(ERROR)
    assert carol.inner_text("#error-title") == "This invite link was already used"


def capture_frames(page) -> list[bytes]:
    """Every binary frame the page's WebSockets receive from now on."""
    frames: list[bytes] = []
    page.on(
        "websocket",
        lambda socket: socket.on(
            "framereceived",
            lambda payload: frames.append(payload) if isinstance(payload, bytes) else None,
        ),
    )
    return frames


def test_a_removed_member_is_shown_out_and_cannot_read_what_follows(chromium, site):
    """Alice removes Bob: his view ends; what Alice sends next does not open with his keys."""
    bob_context, carol_context = chromium.new_context(), chromium.new_context()
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    bob_page = bob_context.new_page()
    bob_frames = capture_frames(bob_page)
    bob_page.goto(link)
    bob_page.fill("#join-name", "Bob")
    bob_page.check("#join-remember")  # so this test can read his keys afterwards
    bob_page.click("#join-form button")
    bob_page.wait_for_selector(READY)
    carol, _ = join_room(carol_context, link, "Carol", remember=True)
    carol_frames = capture_frames(carol)
    carol.reload()
    carol.wait_for_selector(READY)
    alice.locator("#member-list li").nth(2).wait_for()  # Alice, Bob and Carol
    send(alice, "before the kick")
    wait_for_message(bob_page, "before the kick")
    stored = json.loads(bob_page.evaluate("sessionStorage.getItem('atopos.room.v1')"))

    alice.get_by_role("button", name="Remove from room: Bob").click()
    alice.click("#kick-dialog button[value='kick']")
    bob_page.wait_for_selector("#ended-view:not([hidden])")
    assert bob_page.inner_text("#ended-title") == "You were removed from this room"
    alice.wait_for_selector("#paused-note", state="hidden")
    alice.wait_for_selector("#composer-text:not([disabled])")
    received_before = len(carol_frames)
    send(alice, "after the kick")
    wait_for_message(carol, "after the kick")

    origin, link_value = site.url("").rstrip("/"), Link.parse_fragment(stored["fragment"])
    keys = MemberKeys(bytes.fromhex(stored["edSeed"]), bytes.fromhex(stored["xSecret"]))
    welcome = next(frame for frame in bob_frames if frame[1] == Kind.WELCOME)
    bob, _ = Admission(origin, link_value, "Bob", member=keys).accept_welcome(welcome)
    epochs = bob.membership.epochs

    def opens(frame: bytes) -> bool:
        try:
            open_envelope(frame, bob.keys.room_id, bob.mode, epochs)
        except ProtocolError:
            return False
        return True

    assert any(opens(frame) for frame in bob_frames if frame[1] == Kind.ENVELOPE)  # his keys work
    after = [frame for frame in carol_frames[received_before:] if frame[1] == Kind.ENVELOPE]
    assert after, "Carol received the message after the kick"
    assert not any(opens(frame) for frame in after)
    assert alice.inner_text("#safety-phrase") == carol.inner_text("#safety-phrase")


def test_an_admin_promotes_a_member_and_both_see_the_role(chromium, site):
    """Make admin: Bob's badge appears on both pages and his admin tools open."""
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    bob, _ = join_room(chromium.new_context(), link, "Bob")
    assert bob.locator("#admin-tools").is_hidden()
    alice.get_by_role("button", name="Make admin: Bob").click()
    bob.locator("#member-list li:has(.badge--you)", has_text="Bob").locator(
        ".badge", has_text="admin"
    ).wait_for()
    alice.locator("#member-list li", has_text="Bob").locator(".badge", has_text="admin").wait_for()
    bob.click("#share-toggle")
    bob.wait_for_selector("#admin-tools:not([hidden])")
    assert alice.inner_text("#safety-phrase") == bob.inner_text("#safety-phrase")


def test_a_locked_room_turns_newcomers_away(chromium, site):
    """Lock: the next person with the link is told the room is locked."""
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    phrase = alice.inner_text("#safety-phrase")
    open_invite_panel(alice)
    alice.click("#lock-button")
    alice.click("#lock-dialog button[value='lock']")
    alice.wait_for_selector("#lock-button:disabled")  # the LOCK is in Alice's merged log
    assert alice.inner_text("#safety-phrase") != phrase
    carol, _ = ask_to_join(chromium.new_context(), link, "Carol")
    carol.wait_for_selector(ERROR)
    assert carol.inner_text("#error-title") == "This room is locked"
