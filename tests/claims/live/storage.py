"""What a site leaves in a Chromium profile, asked of the page and of Chromium itself, and a
scripted session that keeps nothing, keeps a room and then deletes every local key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from atopos_site.testing.chromium import CHROMIUM, CHROMIUM_FLAGS, chromium_available

# Everything a page of the site could have left in the browser profile, as the page sees it:
# IndexedDB, both web storages, Cache Storage and the cookies scripts can read.
SITE_STORAGE = """async () => ({
  databases: (await indexedDB.databases()).map((database) => database.name),
  local: { ...localStorage },
  session: { ...sessionStorage },
  caches: await caches.keys(),
  cookies: document.cookie ? document.cookie.split('; ') : [],
})"""
NOTHING_STORED: dict[str, Any] = {
    "databases": [], "local": {}, "session": {}, "caches": [], "cookies": [],
}  # fmt: skip
READY = "#chat-view:not([hidden])"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stored_by_the_site(page: Any) -> dict[str, Any]:
    """What the site keeps in ``page``'s profile, asked of the page itself."""
    return dict(page.evaluate(SITE_STORAGE))


def stored_by_the_site_per_chromium(page: Any) -> dict[str, Any]:
    """The same, asked of Chromium over the DevTools protocol, which no page script can
    deceive: also every cookie of the context (HttpOnly ones too) and the origin's usage."""
    cdp = page.context.new_cdp_session(page)
    site = {"securityOrigin": origin_of(page.url)}
    try:
        cdp.send("DOMStorage.enable")

        def web_storage(local: bool) -> dict[str, str]:
            storage_id = {**site, "isLocalStorage": local}
            return dict(
                cdp.send("DOMStorage.getDOMStorageItems", {"storageId": storage_id})["entries"]
            )

        return {
            "databases": cdp.send("IndexedDB.requestDatabaseNames", site)["databaseNames"],
            "local": web_storage(local=True),
            "session": web_storage(local=False),
            "caches": cdp.send("CacheStorage.requestCacheNames", site)["caches"],
            "cookies": cdp.send("Network.getAllCookies")["cookies"],
            "usage": cdp.send("Storage.getUsageAndQuota", {"origin": origin_of(page.url)})["usage"],
        }
    finally:
        cdp.detach()


@dataclass
class StorageRecord:
    """Snapshots of the profile's storage at each moment of the session, both ways."""

    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)

    def take(self, moment: str, page: Any) -> None:
        self.snapshots[f"{moment} (page)"] = stored_by_the_site(page)
        self.snapshots[f"{moment} (Chromium)"] = stored_by_the_site_per_chromium(page)


def _create(page: Any, origin: str) -> None:
    page.goto(f"{origin}/r/")
    page.wait_for_selector("#create-view:not([hidden])")


def record_storage_session(origin: str) -> StorageRecord:
    """Alice's profile: a room she does not ask to keep, left, then its tab closed; then a
    room kept on this device (the vault must hold something), then Delete local keys."""
    if not chromium_available():
        raise RuntimeError(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    record = StorageRecord()
    vault_passphrase = f"evidence vault {secrets.token_hex(8)}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            _create(page, origin)
            page.click("#create-form button[type=submit]")
            page.wait_for_selector(READY)
            page.click("#leave-button")
            page.wait_for_selector("#ended-view:not([hidden])")
            record.take("after leaving an unremembered room", page)
            page.close()
            page = context.new_page()
            _create(page, origin)
            record.take("after closing its tab", page)
            page.check("#create-keep")
            page.wait_for_selector("#create-keep-fields[data-vault]")
            page.fill("#create-keep-passphrase", vault_passphrase)
            page.fill("#create-keep-again", vault_passphrase)
            page.click("#create-form button[type=submit]")
            page.wait_for_selector(READY)
            page.wait_for_selector(".message--notice:has-text('This device now keeps this room')")
            record.take("while a room is kept on this device", page)
            page.close()
            page = context.new_page()
            _create(page, origin)
            page.click("#vault-delete-all")
            page.click("#vault-delete-dialog button[value=delete]")
            page.wait_for_selector("#vault-view", state="hidden")
            record.take("after Delete local keys", page)
        finally:
            browser.close()
    return record
