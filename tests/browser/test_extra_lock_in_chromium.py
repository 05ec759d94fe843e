"""Extra Lock in Chromium: a passphrase on top of the link, typed by people, never sent.

Alice locks her room with a passphrase she tells Bob on the phone. Bob, with
the link and the passphrase, gets in; Mallory, with the link alone, sees a
passphrase form and nothing of the room; no request or frame of anyone's
carries the passphrase or the passphrase shard P.
"""

from __future__ import annotations

import base64

import pytest

from atopos_client.extra_lock import DEFAULT_LOCK_PARAMS, passphrase_shard
from atopos_client.keys import derive_link_keys
from atopos_client.link import split_link_url
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.room_pages import (
    READY,
    ask_to_join,
    create_room,
    open_watched,
    send,
    unlock,
    wait_for_message,
)

pytestmark = pytest.mark.browser

PASSPHRASE = "seven otters on the quay"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


def test_bob_gets_in_with_the_link_and_the_passphrase(chromium, site):
    alice, alice_log, link = create_room(
        chromium.new_context(), site, "Alice", passphrase=PASSPHRASE
    )
    bob, bob_log = ask_to_join(chromium.new_context(), link, "Bob")
    bob.wait_for_selector("#unlock-view:not([hidden])")
    assert bob.evaluate("document.activeElement.id") == "unlock-passphrase"
    unlock(bob, PASSPHRASE)
    bob.wait_for_selector(READY)
    send(bob, "the otters say hi")
    wait_for_message(alice, "the otters say hi")
    send(alice, "hi from the quay")
    wait_for_message(bob, "hi from the quay")
    for log in (alice_log, bob_log):
        assert (log.console_errors, log.page_errors) == ([], [])


def test_mallory_with_the_link_alone_sees_a_passphrase_form_and_nothing_of_the_room(chromium, site):
    alice, _, link = create_room(chromium.new_context(), site, "Alice", passphrase=PASSPHRASE)
    send(alice, "only for those who know")
    mallory, _ = ask_to_join(chromium.new_context(**PHONE), link, "Mallory")
    unlock(mallory, "seven otters on the pier")
    error = mallory.locator("#unlock-error")
    error.wait_for()
    assert error.inner_text() == (
        "That is not the passphrase. 2 more tries before you need to open the link again."
    )
    assert mallory.is_visible("#unlock-view")
    assert mallory.is_hidden("#chat-view")
    assert mallory.evaluate("document.activeElement.id") == "unlock-passphrase"
    box = mallory.locator("#unlock-passphrase").bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390  # the field fits the phone
    assert mallory.locator(".message__text").count() == 0


def test_the_third_wrong_passphrase_sends_mallory_back_with_plain_words(chromium, site):
    _, _, link = create_room(chromium.new_context(), site, "Alice", passphrase=PASSPHRASE)
    mallory, _ = ask_to_join(chromium.new_context(), link, "Mallory")
    for attempt in range(3):
        unlock(mallory, f"guess {attempt} of mallory")
        if attempt < 2:
            mallory.locator("#unlock-error").wait_for()
            mallory.wait_for_function(
                "document.querySelector('#unlock-passphrase').disabled === false"
            )
    mallory.wait_for_selector("#error-view:not([hidden])")
    assert mallory.inner_text("#error-title") == "That is not the passphrase"


def test_a_short_passphrase_is_refused_before_any_room_is_made(chromium, site):
    page, record = open_watched(chromium.new_context(**PHONE), site.url("/r/"))
    page.check("#create-lock")
    assert page.evaluate("document.activeElement.id") == "create-passphrase"
    page.fill("#create-passphrase", "otters")
    page.click("#create-form button[type=submit]")
    error = page.locator("#create-passphrase-error")
    error.wait_for()
    assert "at least 8 characters" in error.inner_text()
    assert page.is_visible("#create-view")
    assert not any(url.startswith("ws") for url in record.requests)


def test_neither_the_passphrase_nor_its_shard_is_ever_sent(chromium, site):
    sent: list[bytes] = []

    def record(page) -> None:
        page.on("request", lambda request: sent.append(request.url.encode()))
        page.on("request", lambda request: sent.append(request.post_data_buffer or b""))
        page.on(
            "websocket",
            lambda socket: socket.on(
                "framesent",
                lambda payload: sent.append(
                    payload if isinstance(payload, bytes) else payload.encode()
                ),
            ),
        )

    alice_context, bob_context = chromium.new_context(), chromium.new_context()
    for context in (alice_context, bob_context):
        context.on("page", record)
    alice, _, link = create_room(alice_context, site, "Alice", passphrase=PASSPHRASE)
    bob, _ = ask_to_join(bob_context, link, "Bob")
    unlock(bob, PASSPHRASE)
    bob.wait_for_selector(READY)
    send(bob, "done")
    wait_for_message(alice, "done")
    _, parsed = split_link_url(link)
    shard = passphrase_shard(
        PASSPHRASE, derive_link_keys(parsed.link_shard).pwsalt, DEFAULT_LOCK_PARAMS
    )
    forms = [
        PASSPHRASE.encode(),
        shard,
        shard.hex().encode(),
        base64.urlsafe_b64encode(shard).rstrip(b"="),
        base64.b64encode(shard),
    ]
    assert len(sent) > 10  # frames and requests were recorded
    assert not [form for form in forms for item in sent if form in item]


def test_extra_lock_works_with_the_jit_and_webassembly_off(playwright_instance, site):
    """Tor Browser's Safer level: Argon2id runs in plain interpreted JavaScript."""
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, "--js-flags=--jitless --noexpose_wasm"]
    )
    try:
        alice, _, link = create_room(browser.new_context(), site, "Alice", passphrase=PASSPHRASE)
        assert alice.evaluate("typeof WebAssembly") == "undefined"
        bob, _ = ask_to_join(browser.new_context(), link, "Bob")
        unlock(bob, PASSPHRASE)
        bob.wait_for_selector(READY, timeout=30_000)
        send(alice, "no jit, still locked")
        wait_for_message(bob, "no jit, still locked")
    finally:
        browser.close()


def test_a_remembered_locked_room_comes_back_after_a_reload_without_the_passphrase(chromium, site):
    """The tab keeps P (never the passphrase itself) when asked to remember the room."""
    alice, _, link = create_room(chromium.new_context(), site, "Alice", passphrase=PASSPHRASE)
    bob, _ = ask_to_join(chromium.new_context(), link, "Bob", remember=True)
    unlock(bob, PASSPHRASE)
    bob.wait_for_selector(READY)
    stored = bob.evaluate("sessionStorage.getItem('atopos.room.v1')")
    assert PASSPHRASE not in stored
    assert '"shards"' in stored
    bob.reload()
    bob.wait_for_selector(READY)
    assert bob.is_hidden("#unlock-view")
    send(alice, "welcome back")
    wait_for_message(bob, "welcome back")


def test_two_different_passphrases_on_the_create_form_are_refused(chromium, site):
    """A typo would lock the room to a passphrase nobody knows, for good."""
    page, record = open_watched(chromium.new_context(**PHONE), site.url("/r/"))
    page.check("#create-lock")
    page.fill("#create-passphrase", PASSPHRASE)
    page.fill("#create-passphrase-again", "seven otters on the quai")
    page.click("#create-form button[type=submit]")
    error = page.locator("#create-passphrase-error")
    error.wait_for()
    assert error.inner_text().startswith("The two passphrases differ.")
    assert page.evaluate("document.activeElement.id") == "create-passphrase-again"
    assert not any(url.startswith("ws") for url in record.requests)


def test_no_passphrase_field_invites_the_browser_to_save_it(chromium, site):
    page, _ = open_watched(chromium.new_context(), site.url("/r/"))
    fields = page.eval_on_selector_all(
        "input[type=password]", "(inputs) => inputs.map((input) => [input.id, input.autocomplete])"
    )
    assert sorted(fields) == [
        ["create-keep-again", "off"],  # the local key vault's (test_vault_in_chromium.py)
        ["create-keep-passphrase", "off"],
        ["create-passphrase", "off"],
        ["create-passphrase-again", "off"],
        ["join-keep-again", "off"],
        ["join-keep-passphrase", "off"],
        ["unlock-passphrase", "off"],
        ["vault-passphrase", "off"],
    ]


def test_a_passphrase_of_white_space_alone_is_asked_for_again(chromium, site):
    _, _, link = create_room(chromium.new_context(), site, "Alice", passphrase=PASSPHRASE)
    mallory, _ = ask_to_join(chromium.new_context(), link, "Mallory")
    unlock(mallory, "\u001c\u0085 ")
    error = mallory.locator("#unlock-error")
    error.wait_for()
    assert error.inner_text() == "Type the passphrase first."
    assert mallory.locator("#unlock-passphrase").is_enabled()
