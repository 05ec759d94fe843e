"""The local key vault in Chromium: "Remember this room on this device", My rooms and
"Delete local keys".

Alice asks her browser to keep her room, sealed under a vault passphrase she
chooses (PROTOCOL §2.2). After the tab closes, /r/ lists it under My rooms once
she types that passphrase, says whether it is still there (a PEEK, which joins
nothing) and reopens it in one click. Mallory, at the same browser without the
passphrase, is told plainly that it is wrong and gets nothing. "Delete local
keys" leaves nothing of the site in the profile: the page and Chromium itself
(over the DevTools protocol) both find every store empty.
"""

from __future__ import annotations

import re

import pytest

from tests.claims.live.storage import (
    NOTHING_STORED,
    stored_by_the_site,
    stored_by_the_site_per_chromium,
)
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, PHONE
from tests.support.room_pages import (
    READY,
    create_kept_room,
    join_room,
    open_watched,
    send,
    unlock_my_rooms,
    wait_for_message,
)

pytestmark = pytest.mark.browser

VAULT_PASSPHRASE = "four calm herons at dusk"
MY_ROOMS = "#vault-view:not([hidden])"

# The vault's records as the page reads them, bytes as lists of numbers.
VAULT_RECORDS = """async () => {
  const done = (request) => new Promise((resolve) => {
    request.onsuccess = () => resolve(request.result);
  });
  const database = await done(indexedDB.open('atopos-vault'));
  const records = await done(database.transaction('records').objectStore('records').getAll());
  database.close();
  const plain = (value) => (value instanceof Uint8Array ? [...value] : value);
  return records.map((record) => Object.fromEntries(
    Object.entries(record).map(([field, value]) => [field, plain(value)])));
}"""


# Every text My rooms' progress line shows, in order.
PROGRESS_RECORDER = """() => {
  window.__progress = [];
  const line = document.getElementById('vault-progress');
  new MutationObserver(() => line.textContent && window.__progress.push(line.textContent))
    .observe(line, { childList: true, characterData: true, subtree: true });
}"""


def my_rooms_page(context, site):
    """A new tab of the same profile at /r/; returns (page, record)."""
    page, record = open_watched(context, site.url("/r/"))
    page.wait_for_selector("#create-view:not([hidden])")
    return page, record


def choose_to_keep(page, form: str = "create") -> None:
    """Tick "Remember this room on this device" and wait until the page knows of a vault."""
    page.check(f"#{form}-keep")
    page.wait_for_selector(f"#{form}-keep-fields[data-vault]")


def room_states(page) -> list[str]:
    return page.eval_on_selector_all(
        ".vault-room", "(rooms) => rooms.map((room) => room.dataset.state)"
    )


def sockets_opened(record) -> list[str]:
    return [url for url in record.requests if url.startswith("ws")]


@pytest.mark.parametrize("form", ["create", "join"])
def test_remember_on_this_device_is_offered_off_and_says_what_it_keeps(chromium, site, form):
    """Off by default, next to "in this tab", explained; ticking it asks for a new passphrase."""
    if form == "create":
        page, _ = my_rooms_page(chromium.new_context(), site)
    else:
        _, _, link = create_kept_room(chromium.new_context(), site, VAULT_PASSPHRASE)
        page, _ = open_watched(chromium.new_context(), link)
        page.wait_for_selector("#join-view:not([hidden])")
    box = page.locator(f"#{form}-keep")
    assert box.is_visible()
    assert not box.is_checked()
    assert page.inner_text(f"label[for='{form}-keep']") == "Remember this room on this device"
    assert page.inner_text(f"label[for='{form}-remember']") == "Remember this room in this tab"
    help_text = page.inner_text(f"#{form}-keep-help")
    assert "Off: nothing of the room stays in this browser once this tab closes." in help_text
    assert "encrypted with a passphrase you choose" in help_text
    assert "Delete local keys" in help_text
    assert page.is_hidden(f"#{form}-keep-passphrase")

    choose_to_keep(page, form)
    assert page.evaluate("document.activeElement.id") == f"{form}-keep-passphrase"
    assert page.inner_text(f"#{form}-keep-label").startswith("Choose a passphrase for your rooms")
    assert page.is_visible(f"#{form}-keep-again")  # a new passphrase is typed twice
    assert "say no" in page.inner_text(f"#{form}-keep-note")
    assert page.get_attribute(f"#{form}-keep-passphrase", "type") == "password"
    page.check(f"#{form}-keep-reveal")
    assert page.get_attribute(f"#{form}-keep-passphrase", "type") == "text"
    assert page.get_attribute(f"#{form}-keep-again", "type") == "text"


def test_two_different_new_vault_passphrases_are_refused_before_any_room_is_made(chromium, site):
    page, record = my_rooms_page(chromium.new_context(), site)
    choose_to_keep(page)
    page.fill("#create-keep-passphrase", VAULT_PASSPHRASE)
    page.fill("#create-keep-again", "four calm herons at dawn")
    page.click("#create-form button[type=submit]")
    error = page.locator("#create-keep-error")
    error.wait_for()
    assert error.inner_text().startswith("The two passphrases differ.")
    assert page.evaluate("document.activeElement.id") == "create-keep-again"
    assert page.is_visible("#create-view")
    assert sockets_opened(record) == []
    assert stored_by_the_site(page) == NOTHING_STORED


def test_the_join_form_names_the_history_limit_beside_remember_on_this_device(chromium, site):
    """The history note is part of the choice's description, in the words the join form uses."""
    _, _, link = create_kept_room(chromium.new_context(), site, VAULT_PASSPHRASE)
    page, _ = open_watched(chromium.new_context(**PHONE), link)
    page.wait_for_selector("#join-view:not([hidden])")
    assert page.get_attribute("#join-keep", "aria-describedby") == "join-keep-help history-note"
    note = page.inner_text("#history-note")
    assert "recorded it, key included, in its history" in note
    assert "private window" in note
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_alice_keeps_her_room_sealed_in_indexeddb_and_nowhere_else(chromium, site):
    """One database: a meta record, a check record, one sealed room with nothing in the clear."""
    alice, _, link = create_kept_room(chromium.new_context(), site, VAULT_PASSPHRASE)
    stored = stored_by_the_site(alice)
    assert stored == {**NOTHING_STORED, "databases": ["atopos-vault"]}
    records = {record["id"]: record for record in alice.evaluate(VAULT_RECORDS)}
    meta = records.pop("meta")
    check = records.pop("check")
    ((room_id, room),) = records.items()
    assert (meta["format"], len(meta["salt"])) == (1, 16)
    assert (meta["memoryKib"], meta["passes"]) == (19456, 2)  # 19 MiB x 2 passes
    assert (len(check["nonce"]), len(room["nonce"]), len(room["sealed"])) == (24, 24, 1024 + 16)
    assert room_id.startswith("room.")
    fragment = link.split("#", 1)[1]
    everything = repr(alice.evaluate(VAULT_RECORDS)).encode() + bytes(room["sealed"])
    for secret in (fragment, fragment.split(".")[1], "Alice"):
        assert secret.encode() not in everything


def test_alice_reopens_her_kept_room_from_my_rooms_in_one_click_after_closing_its_tab(
    chromium, site
):
    """Unlocked, My rooms lists her room as hers and still there; Open takes her back as owner."""
    context = chromium.new_context()
    alice, _, link = create_kept_room(context, site, VAULT_PASSPHRASE)
    bob, _ = join_room(chromium.new_context(), link, "Bob")
    alice.close()

    page, record = my_rooms_page(context, site)
    page.wait_for_selector(MY_ROOMS)
    assert page.inner_text("#vault-summary") == (
        "This browser keeps 1 room for you, locked with your passphrase."
    )
    assert page.evaluate("document.activeElement.id") == "vault-passphrase"
    assert (
        page.locator("#vault-view").bounding_box()["y"]
        < page.locator("#create-view").bounding_box()["y"]
    )
    unlock_my_rooms(page, VAULT_PASSPHRASE)
    assert page.inner_text(".vault-room__title") == "A room you made, as Alice"
    assert re.fullmatch(
        r"Still there\. Vanishes in 1 h 5\d min\.", page.inner_text(".vault-room__state")
    )
    assert room_states(page) == ["live"]
    assert page.evaluate("document.activeElement.dataset.action") == "open"

    page.click(".vault-room [data-action=open]")
    page.wait_for_selector(READY)
    page.wait_for_selector("#status[data-state='connected']")
    assert page.is_visible("#end-button")  # the owner, with the keys the vault kept
    send(page, "back from my rooms")
    wait_for_message(bob, "back from my rooms")
    assert stored_by_the_site(page)["session"] == {}  # opened from the vault, not the tab
    assert record.console_errors == record.page_errors == []


def test_a_reload_of_a_room_opened_from_my_rooms_points_back_to_my_rooms(chromium, site):
    """The tab itself kept no keys, so it says so, and where this device keeps them."""
    context = chromium.new_context()
    create_kept_room(context, site, VAULT_PASSPHRASE)[0].close()
    page, _ = my_rooms_page(context, site)
    unlock_my_rooms(page, VAULT_PASSPHRASE)
    page.click(".vault-room [data-action=open]")
    page.wait_for_selector("#status[data-state='connected']")
    page.reload()
    page.wait_for_selector("#forgotten-view:not([hidden])")
    kept = page.locator("#forgotten-kept")
    kept.wait_for()
    assert kept.inner_text() == (
        "This device keeps rooms for you, locked with your passphrase: open My rooms."
    )
    assert page.get_attribute("#forgotten-kept a", "href") == "/r/"


def test_mallory_with_a_wrong_vault_passphrase_is_told_so_and_gets_nothing(chromium, site):
    """At Alice's browser: the check record does not open, the page says so, nothing connects."""
    context = chromium.new_context()
    alice, _, _ = create_kept_room(context, site, VAULT_PASSPHRASE)
    alice.close()
    page, record = my_rooms_page(context, site)
    page.wait_for_selector(MY_ROOMS)
    page.fill("#vault-passphrase", "four calm herons at dawn")
    page.click("#vault-unlock-form button[type=submit]")
    error = page.locator("#vault-error")
    error.wait_for()
    assert error.inner_text() == (
        "That is not the passphrase of your rooms on this device. Nothing was opened."
    )
    assert page.get_attribute("#vault-error", "role") == "alert"
    assert page.evaluate("document.activeElement.id") == "vault-passphrase"
    assert page.input_value("#vault-passphrase") == ""
    assert page.is_hidden("#vault-list")
    assert page.locator(".vault-room").count() == 0
    assert sockets_opened(record) == []


def test_a_wrong_vault_passphrase_on_the_create_form_is_said_before_any_room_is_made(
    chromium, site
):
    context = chromium.new_context()
    create_kept_room(context, site, VAULT_PASSPHRASE)[0].close()
    page, record = my_rooms_page(context, site)
    choose_to_keep(page)
    assert page.inner_text("#create-keep-label") == "Passphrase of your rooms on this device"
    assert page.is_hidden("#create-keep-again")  # the vault exists: its passphrase is asked once
    page.fill("#create-keep-passphrase", "not the herons")
    page.click("#create-form button[type=submit]")
    error = page.locator("#create-keep-error")
    error.wait_for()
    assert error.inner_text().startswith("That is not the passphrase of your rooms on this device")
    assert page.is_visible("#create-view")
    assert page.evaluate("document.activeElement.id") == "create-keep-passphrase"
    assert sockets_opened(record) == []


def test_a_room_its_owner_ended_shows_as_ended_and_can_only_be_deleted(chromium, site):
    context = chromium.new_context()
    alice, _, _ = create_kept_room(context, site, VAULT_PASSPHRASE)
    alice.click("#end-button")
    alice.click("#end-dialog button[value=end]")
    alice.wait_for_selector("#ended-view:not([hidden])")
    page, _ = my_rooms_page(context, site)
    unlock_my_rooms(page, VAULT_PASSPHRASE)
    assert room_states(page) == ["ended"]
    assert page.inner_text(".vault-room__state") == (
        "Ended: its owner ended it, and the server has forgotten it."
    )
    assert page.locator(".vault-room [data-action=open]").count() == 0
    assert page.locator(".vault-room [data-action=delete]").is_visible()


def test_deleting_one_room_keeps_the_other_and_the_last_takes_the_database_with_it(chromium, site):
    context = chromium.new_context()
    first, _, _ = create_kept_room(context, site, VAULT_PASSPHRASE, name="Alice")
    second, _, _ = create_kept_room(context, site, VAULT_PASSPHRASE, name="Alice at work")
    first.close()
    second.close()
    page, _ = my_rooms_page(context, site)
    assert page.inner_text("#vault-summary").startswith("This browser keeps 2 rooms for you")
    unlock_my_rooms(page, VAULT_PASSPHRASE)
    assert page.locator(".vault-room").count() == 2

    page.locator(".vault-room", has_text="Alice at work").locator("[data-action=delete]").click()
    assert page.inner_text("#vault-delete-title") == "Delete this room from this device?"
    page.click("#vault-delete-dialog button[value=delete]")
    page.wait_for_function("() => document.querySelectorAll('.vault-room').length === 1")
    assert page.inner_text(".vault-room__title") == "A room you made, as Alice"
    assert len(page.evaluate(VAULT_RECORDS)) == 3  # meta, check and one room

    page.click(".vault-room [data-action=delete]")
    page.click("#vault-delete-dialog button[value=delete]")
    page.wait_for_selector("#vault-view", state="hidden")
    assert page.evaluate("document.activeElement.id") == "create-name"
    assert stored_by_the_site(page) == NOTHING_STORED
    assert stored_by_the_site_per_chromium(page) == {**NOTHING_STORED, "usage": 0}


def test_delete_local_keys_leaves_the_profile_storage_empty(chromium, site):
    """Without the passphrase, one button: no database, web storage, cache or cookie is left.

    Alice keeps a room on this device, and is in another room in a second tab that
    remembers it in its session storage. Delete local keys in a third tab empties
    all of it, that second tab's session storage too, as the page and Chromium see it.
    """
    context = chromium.new_context()
    kept, _, _ = create_kept_room(context, site, VAULT_PASSPHRASE, remember=True)
    assert stored_by_the_site(kept)["session"] != {}
    page, record = my_rooms_page(context, site)
    assert stored_by_the_site_per_chromium(page)["usage"] > 0

    page.click("#vault-delete-all")
    assert page.evaluate("document.getElementById('vault-delete-dialog').open")
    assert page.inner_text("#vault-delete-title") == "Delete local keys?"
    page.click("#vault-delete-dialog button[value=delete]")
    page.wait_for_selector("#vault-view", state="hidden")
    assert page.inner_text("#status").startswith("Local keys deleted")
    assert page.evaluate("document.activeElement.id") == "create-name"
    kept.wait_for_function("() => sessionStorage.length === 0")

    for tab in (page, kept):
        assert stored_by_the_site(tab) == NOTHING_STORED
        assert stored_by_the_site_per_chromium(tab) == {**NOTHING_STORED, "usage": 0}
    assert sockets_opened(record) == []  # deleting asked nothing of the server
    kept.reload()
    kept.wait_for_selector("#forgotten-view:not([hidden])")  # the tab no longer rejoins
    assert kept.is_hidden("#forgotten-kept")


def test_my_rooms_fits_a_phone_and_its_buttons_are_large_enough_to_touch(chromium, site):
    context = chromium.new_context(**PHONE)
    create_kept_room(context, site, VAULT_PASSPHRASE)[0].close()
    page, _ = my_rooms_page(context, site)
    unlock_my_rooms(page, VAULT_PASSPHRASE)
    for selector in (
        ".vault-room [data-action=open]",
        ".vault-room [data-action=delete]",
        "#vault-delete-all",
    ):
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert "private window" in page.inner_text("#vault-limits")


def test_the_vault_works_with_the_jit_and_webassembly_off(playwright_instance, site):
    """Tor Browser's Safer level: 19 MiB x 2 passes of Argon2id in interpreted JavaScript,
    once to keep the room and once to unlock My rooms, each showing its progress."""
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, "--js-flags=--jitless --noexpose_wasm"]
    )
    try:
        context = browser.new_context()
        create_kept_room(context, site, VAULT_PASSPHRASE)[0].close()
        page, _ = my_rooms_page(context, site)
        page.wait_for_selector(MY_ROOMS)
        assert page.evaluate("typeof WebAssembly") == "undefined"
        page.evaluate(PROGRESS_RECORDER)
        page.fill("#vault-passphrase", VAULT_PASSPHRASE)
        page.click("#vault-unlock-form button[type=submit]")
        page.wait_for_selector("#vault-list:not([hidden])", timeout=60_000)
        assert room_states(page) == ["live"]
        said = page.evaluate("window.__progress")
        assert said[0] == "Unlocking your rooms on this device… 0%"
        assert len(set(said)) > 10  # it moved as Argon2id went
    finally:
        browser.close()
