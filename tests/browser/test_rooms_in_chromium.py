"""Rooms in headless Chromium: create, join, talk, end, and never send the link shard."""

from __future__ import annotations

import asyncio
import base64
import os
import threading

import pytest

from atopos_client.connection import RoomClient
from atopos_client.events import MessageReceived
from atopos_client.link import Link, split_link_url
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.live_site import live_site
from tests.support.room_pages import (
    READY,
    create_room,
    join_room,
    member_names,
    open_watched,
    send,
    wait_for_message,
)

pytestmark = pytest.mark.browser


def test_two_browsers_create_join_and_chat_both_ways(chromium, site):
    """Alice creates, Bob joins by link; both see each other and each other's messages."""
    alice, alice_log, link = create_room(chromium.new_context(), site, "Alice")
    bob, bob_log = join_room(chromium.new_context(), link, "Bob")
    send(bob, "hello alice")
    wait_for_message(alice, "hello alice")
    send(alice, "hi bob, multi\nline ✓")
    wait_for_message(bob, "hi bob, multi")
    assert member_names(alice) == ["Alice [you]", "Bob"]
    assert member_names(bob) == ["Alice", "Bob [you]"]
    for page, log in ((alice, alice_log), (bob, bob_log)):
        assert log.console_errors == []
        assert log.page_errors == []
        assert page.evaluate("window.__cspViolations") == []


def test_the_fragment_leaves_the_address_bar_and_the_tabs_history_entry(chromium, site):
    """After reading the link, the page's URL and its back/forward entry no longer hold it.

    The browser's history database on disk is another matter: see
    test_what_a_browser_keeps.py.
    """
    _, _, link = create_room(chromium.new_context(), site)
    page, _ = open_watched(chromium.new_context(), link)
    page.wait_for_selector("#join-view:not([hidden])")
    assert page.url == site.url("/r/")
    assert page.evaluate("window.location.hash") == ""
    page.go_back()
    assert page.url == "about:blank"  # the tab's first entry, before the link
    page.go_forward()
    assert page.url == site.url("/r/")  # the room's entry holds no fragment


def test_the_link_shard_is_never_sent_anywhere(chromium, site):
    """Every request URL, header, body and WebSocket frame of both pages lacks L in any form."""
    sent: list[bytes] = []

    def record_everything(page) -> None:
        def on_request(request) -> None:
            sent.append(request.url.encode())
            sent.extend(f"{k}: {v}".encode() for k, v in request.all_headers().items())
            sent.append(request.post_data_buffer or b"")

        def on_socket(socket) -> None:
            sent.append(socket.url.encode())
            socket.on(
                "framesent",
                lambda payload: sent.append(
                    payload if isinstance(payload, bytes) else payload.encode()
                ),
            )

        page.on("request", on_request)
        page.on("websocket", on_socket)

    creator_context = chromium.new_context()
    creator_context.on("page", record_everything)
    alice, _, link = create_room(creator_context, site, "Alice", remember=True)
    joiner_context = chromium.new_context()
    joiner_context.on("page", record_everything)
    bob, _ = join_room(joiner_context, link, "Bob")
    send(bob, "a message after the handshake")
    wait_for_message(alice, "a message after the handshake")
    alice.reload()
    alice.wait_for_selector(READY)

    _, parsed = split_link_url(link)
    shard = parsed.link_shard
    forms = [
        shard,
        shard.hex().encode(),
        shard.hex().upper().encode(),
        base64.b64encode(shard).rstrip(b"="),
        base64.urlsafe_b64encode(shard).rstrip(b"="),
        link.split("#", 1)[1].encode(),
    ]
    frames_sent = [item for item in sent if item]
    assert len(frames_sent) > 10, "the recorder saw too little to mean anything"
    for item in frames_sent:
        for form in forms:
            assert form not in item


def test_a_python_client_and_a_browser_talk(chromium, site):
    """The browser creates; the Python client joins by link; messages flow both ways."""
    page, _, link = create_room(chromium.new_context(), site, "Browser")
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    def run(coroutine, timeout: float = 15):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)

    client = run(RoomClient.join(link, "Python"))
    try:
        page.locator("#member-list .name", has_text="Python").wait_for()
        run(client.send_text("hello from python"))
        wait_for_message(page, "hello from python")
        send(page, "hello from the browser")

        async def next_message() -> MessageReceived:
            while True:
                event = await client.next_event(timeout=10)
                if isinstance(event, MessageReceived):
                    return event

        message = run(next_message())
        assert message.text == "hello from the browser"
        assert message.sender.name == "Browser"
    finally:
        run(client.leave())
        loop.call_soon_threadsafe(loop.stop)


def test_ending_the_room_shows_the_ended_state_everywhere(chromium, site):
    """The owner ends the room; both pages say so, and the old link says so too."""
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    bob, _ = join_room(chromium.new_context(), link, "Bob")
    alice.click("#end-button")
    alice.click("#end-dialog button[value='end']")
    for page in (alice, bob):
        page.wait_for_selector("#ended-view:not([hidden])")
        assert page.inner_text("#ended-title") == "This room has ended"
        assert page.evaluate("sessionStorage.length") == 0
    late, _ = open_watched(chromium.new_context(), link)
    late.wait_for_selector("#ended-view:not([hidden])")
    assert late.inner_text("#ended-title") == "This room has ended, or the link is not complete"


def test_a_room_that_never_existed_looks_ended_too(chromium, site):
    """A well-formed link to nothing gets the same page as an ended room, before any name."""
    never = Link(os.urandom(32), os.urandom(16)).url(site.url("").rstrip("/"))
    page, _ = open_watched(chromium.new_context(), never)
    page.wait_for_selector("#ended-view:not([hidden])")
    assert page.inner_text("#ended-title") == "This room has ended, or the link is not complete"
    assert not page.is_visible("#join-view")


def test_a_link_whose_genesis_hash_does_not_match_is_not_trusted(chromium, site):
    """Same room, other g: the relay's genesis fails the check and nothing is decrypted."""
    _, _, link = create_room(chromium.new_context(), site)
    origin, parsed = split_link_url(link)
    altered = Link(parsed.link_shard, bytes(16)).url(origin)
    page, _ = open_watched(chromium.new_context(), altered)
    page.click("#join-form button")
    page.wait_for_selector("#error-view:not([hidden])")
    assert page.inner_text("#error-title") == "This link is not complete, or was changed"
    assert page.inner_text("#error-code") == "Code: genesis-hash-mismatch"


def test_a_remembered_room_rejoins_on_reload_and_leaving_wipes_the_tab(chromium, site):
    """With "Remember this room in this tab", a reload rejoins; Leave wipes what was kept."""
    alice, _, link = create_room(chromium.new_context(), site, "Alice")
    bob, _ = join_room(chromium.new_context(), link, "Bob", remember=True)
    assert bob.evaluate("Object.keys(sessionStorage)") == ["atopos.room.v1"]
    bob.reload()
    bob.wait_for_selector(READY)
    bob.wait_for_selector("#status[data-state='connected']")
    send(bob, "still me after a reload")
    wait_for_message(alice, "still me after a reload")
    departures = alice.locator(".message--notice", has_text="left")
    before = departures.count()
    bob.click("#leave-button")
    bob.wait_for_selector("#ended-view:not([hidden])")
    assert bob.inner_text("#ended-title") == "You left the room"
    assert bob.evaluate("sessionStorage.length") == 0
    departures.nth(before).wait_for()


def test_a_tampered_module_is_refused_by_its_integrity_hash(chromium, site):
    """If the server sent altered crypto code, the preload's SRI check stops the client."""
    context = chromium.new_context()

    def tamper(route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=response.text() + "\n// altered\n")

    context.route("**/static/js/protocol/crypto.js", tamper)
    page, record = open_watched(context, site.url("/r/"))
    page.wait_for_timeout(1500)
    assert page.is_hidden("#create-view")
    assert any("integrity" in message.lower() for message in record.console_errors)


def test_rooms_work_with_the_jit_and_webassembly_disabled(playwright_instance, site):
    """As in Tor Browser's Safer level: --jitless and no WebAssembly."""
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, "--js-flags=--jitless --noexpose_wasm"]
    )
    try:
        alice, alice_log, link = create_room(browser.new_context(), site, "Alice")
        assert alice.evaluate("typeof WebAssembly") == "undefined"
        bob, _ = join_room(browser.new_context(), link, "Bob")
        send(alice, "no jit needed")
        wait_for_message(bob, "no jit needed")
        send(bob, "nor wasm")
        wait_for_message(alice, "nor wasm")
        assert alice_log.console_errors == []
    finally:
        browser.close()


def test_the_room_fits_a_phone(chromium, site):
    """At 360 px the chat has no sideways scrolling and the composer is wide enough to type in."""
    phone = chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page, _, _ = create_room(phone, site)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert page.is_visible("#composer-text")
    assert page.locator("#composer-text").bounding_box()["width"] >= 200  # room to type


def test_a_dropped_connection_shows_reconnecting_then_recovers(chromium, tmp_path):
    """When the server goes away and comes back, the page says so and the room carries on."""
    with live_site(tmp_path) as own_site:
        alice, _, link = create_room(chromium.new_context(), own_site, "Alice")
        bob, _ = join_room(chromium.new_context(), link, "Bob")
        own_site.restart()
        for page in (alice, bob):
            page.wait_for_selector("#status[data-state='connected']", timeout=20_000)
        statuses = alice.evaluate("window.__statusHistory")
        assert "reconnecting" in statuses
        send(bob, "after the outage")
        wait_for_message(alice, "after the outage")
