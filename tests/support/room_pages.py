"""Driving the room page in Chromium like a person would."""

from __future__ import annotations

import os

from nacl.signing import SigningKey

from tests.support.browser import PageRecord

READY = "#chat-view:not([hidden])"


def open_watched(context, url: str):
    """A new page in ``context`` at ``url``, with its console, errors and requests recorded."""
    page = context.new_page()
    record = PageRecord()
    record.watch(page)
    page.goto(url)
    return page, record


def create_room(
    context,
    site,
    name: str = "Alice",
    rule: str = "open",
    remember: bool = False,
    lifetime_seconds: int | None = None,
    passphrase: str | None = None,
):
    """Create a room through the form (under Extra Lock with ``passphrase``); returns
    (page, record, link)."""
    page, record = open_watched(context, site.url("/r/"))
    page.fill("#create-name", name)
    page.select_option("#create-rule", rule)
    if lifetime_seconds is not None:
        page.select_option("#create-lifetime", str(lifetime_seconds))
    page.set_checked("#create-remember", remember)
    if passphrase is not None:
        page.check("#create-lock")
        page.fill("#create-passphrase", passphrase)
        page.fill("#create-passphrase-again", passphrase)
    page.click("#create-form button[type=submit]")
    page.wait_for_selector(READY)
    page.wait_for_selector("#status[data-state='connected']")
    return page, record, page.input_value("#share-link")


def join_room(context, link: str, name: str = "Bob", remember: bool = False):
    """Open a link and join; returns (page, record)."""
    page, record = ask_to_join(context, link, name, remember)
    page.wait_for_selector(READY)
    page.wait_for_selector("#status[data-state='connected']")
    return page, record


def ask_to_join(context, link: str, name: str = "Bob", remember: bool = False):
    """Open a link and press Join, without waiting for the outcome; returns (page, record)."""
    page, record = open_watched(context, link)
    page.fill("#join-name", name)
    page.set_checked("#join-remember", remember)
    page.click("#join-form button")
    return page, record


def unlock(page, passphrase: str) -> None:
    """Type the room's passphrase into the unlock form and press Unlock (Extra Lock)."""
    page.wait_for_selector("#unlock-view:not([hidden])")
    page.fill("#unlock-passphrase", passphrase)
    page.click("#unlock-form button[type=submit]")


def send(page, text: str) -> None:
    """Type a message and press Enter."""
    page.fill("#composer-text", text)
    page.press("#composer-text", "Enter")


def wait_for_message(page, text: str) -> None:
    page.locator(".message__text", has_text=text).first.wait_for(timeout=10_000)


# Each member list entry as a person reads it: the name, and "[you]" for the page's own
# marker (a separate badge element, never part of a name).
MEMBER_ENTRIES = """
[...document.querySelectorAll('#member-list li')].map((item) =>
  item.querySelector('bdi.name').textContent + (item.querySelector('.badge--you') ? ' [you]' : ''))
"""


def member_names(page) -> list[str]:
    """The member list's names, sorted, the page's own entry marked " [you]"."""
    return sorted(page.evaluate(MEMBER_ENTRIES))


def own_client(context, site, link: str, name: str, ed_seed: bytes | None = None):
    """Mallory's own client: our page, with a name and keys she chose.

    She plants them in her tab as a remembered room (what the page's own
    "Remember this room in this tab" writes), then reloads: the page rejoins
    with her Ed25519 seed and sends her name exactly as she wrote it, hidden
    characters and all, which the page's forms would have cleaned.
    Returns (page, record) once the page is connecting.
    """
    page, record = open_watched(context, site.url("/r/"))
    page.wait_for_selector("#create-view:not([hidden])")
    stored = {
        "fragment": link.split("#", 1)[1],
        "edSeed": (ed_seed or os.urandom(32)).hex(),
        "xSecret": os.urandom(32).hex(),
        "name": name,
    }
    plant = "(stored) => sessionStorage.setItem('atopos.room.v1', JSON.stringify(stored))"
    page.evaluate(plant, stored)
    page.reload()
    return page, record


def ground_seed(code_start: str) -> bytes:
    """An Ed25519 seed whose public key in hex starts with ``code_start`` (~2^16 tries)."""
    while True:
        seed = os.urandom(32)
        if SigningKey(seed).verify_key.encode().hex().startswith(code_start):
            return seed


def own_code(page) -> str:
    """The 16-digit code the page shows for its own member."""
    return page.locator("#member-list li:has(.badge--you) .code").inner_text()


def open_invite_panel(page) -> None:
    """Open the invite panel (it starts closed: the conversation comes first)."""
    if page.locator("#share-panel").is_hidden():
        page.click("#share-toggle")
    page.locator("#share-panel").wait_for()


def create_kept_room(context, site, vault_passphrase: str, name: str = "Alice", remember=False):
    """Create a room with "Remember this room on this device" ticked (and "in this tab" with
    ``remember``); returns (page, record, link) once the page says the device keeps it."""
    page, record = open_watched(context, site.url("/r/"))
    page.wait_for_selector("#create-view:not([hidden])")
    page.fill("#create-name", name)
    page.set_checked("#create-remember", remember)
    page.check("#create-keep")
    page.wait_for_selector("#create-keep-fields[data-vault]")  # the page looked for a vault
    page.fill("#create-keep-passphrase", vault_passphrase)
    if page.is_visible("#create-keep-again"):  # a new vault: its passphrase is typed twice
        page.fill("#create-keep-again", vault_passphrase)
    page.click("#create-form button[type=submit]")
    page.wait_for_selector(READY)
    page.wait_for_selector("#status[data-state='connected']")
    page.wait_for_selector(".message--notice:has-text('This device now keeps this room')")
    return page, record, page.input_value("#share-link")


def unlock_my_rooms(page, vault_passphrase: str) -> None:
    """Type the vault passphrase into My rooms and wait until every room was checked."""
    page.wait_for_selector("#vault-view:not([hidden])")
    page.fill("#vault-passphrase", vault_passphrase)
    page.click("#vault-unlock-form button[type=submit]")
    page.wait_for_selector("#vault-list:not([hidden])")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.vault-room__state')]"
        ".every((line) => !line.textContent.includes('Checking'))"
    )
