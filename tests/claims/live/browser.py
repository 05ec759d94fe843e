"""A scripted two-browser room in headless Chromium, with every request and frame recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from atopos_client.link import split_link_url
from atopos_site.testing.chromium import CHROMIUM, CHROMIUM_FLAGS, chromium_available
from tests.claims.live.canaries import Canaries
from tests.claims.live.wire import WireLog

READY = "#chat-view:not([hidden])"
CONNECTED = "#status[data-state='connected']"


@dataclass(frozen=True)
class RecordedRequest:
    """One request a page made: everything that left the browser for it."""

    url: str
    method: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def blob(self) -> bytes:
        lines = [f"{self.method} {self.url}", *(f"{k}: {v}" for k, v in self.headers)]
        return "\n".join(lines).encode() + b"\n\n" + self.body


@dataclass
class BrowserRecord:
    """What two Chromium profiles sent and received while they used one room."""

    requests: list[RecordedRequest] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    link: str = ""

    def watch(self, page: Any, wire: WireLog) -> None:
        def on_request(request: Any) -> None:
            body = request.post_data_buffer or b""
            headers = tuple(sorted(request.headers.items()))
            self.requests.append(RecordedRequest(request.url, request.method, headers, body))

        def on_socket(socket: Any) -> None:
            self.requests.append(RecordedRequest(socket.url, "WEBSOCKET", (), b""))
            socket.on("framesent", lambda data: wire.add("browser", "sent", data))
            socket.on("framereceived", lambda data: wire.add("browser", "received", data))

        page.on("request", on_request)
        page.on("websocket", on_socket)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))


def record_browser_room(origin: str, wire: WireLog, canaries: Canaries) -> BrowserRecord:
    """Alice creates a room in one profile, Bob joins by link in another; they talk."""
    if not chromium_available():
        raise RuntimeError(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    record = BrowserRecord()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            alice = browser.new_context().new_page()
            record.watch(alice, wire)
            alice.goto(f"{origin}/r/")
            alice.fill("#create-name", canaries.text("browser-alice-name"))
            alice.click("#create-form button[type=submit]")
            alice.wait_for_selector(READY)
            alice.wait_for_selector(CONNECTED)
            record.link = alice.input_value("#share-link")
            canaries.plant("browser-fragment", record.link.split("#", 1)[1].encode())
            canaries.plant("browser-link-shard", split_link_url(record.link)[1].link_shard)
            bob = browser.new_context().new_page()
            record.watch(bob, wire)
            bob.goto(record.link)
            bob.fill("#join-name", canaries.text("browser-bob-name"))
            bob.click("#join-form button")
            bob.wait_for_selector(READY)
            bob.wait_for_selector(CONNECTED)
            for speaker, listener, name in ((alice, bob, "browser-message-1"),
                                            (bob, alice, "browser-message-2")):  # fmt: skip
                text = canaries.text(name)
                speaker.fill("#composer-text", text)
                speaker.press("#composer-text", "Enter")
                listener.locator(".message__text", has_text=text).first.wait_for(timeout=15_000)
            # Tidy up through the UI so the page's own leave path runs too.
            bob.close()
            alice.close()
        finally:
            browser.close()
    return record
