"""A scripted two-browser room in headless Chromium, with every request and frame recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from atopos_client.extra_lock import passphrase_shard
from atopos_client.keys import derive_link_keys
from atopos_client.link import split_link_url
from atopos_protocol.frames import Kind, LockRequiredFrame
from atopos_site.testing.chromium import CHROMIUM, CHROMIUM_FLAGS, chromium_available
from tests.claims.live.canaries import Canaries
from tests.claims.live.wire import WireFrame, WireLog

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


@dataclass(frozen=True)
class Search:
    """Where named canaries were found among what the browsers sent."""

    violations: list[str]
    requests: int
    frames_sent: int


def search_sent(
    requests: list[RecordedRequest],
    frames: list[WireFrame],
    canaries: Canaries,
    names: tuple[str, ...],
) -> Search:
    """Every request and every sent WebSocket message, searched for ``names`` in any
    encoding; nothing searched is a violation too (a check that saw nothing proves nothing)."""
    violations = []
    for request in requests:
        for name in canaries.found_in(request.blob, names):
            violations.append(f"{name} left the browser in a {request.method} request")
    sent = [frame for frame in frames if frame.source == "browser" and frame.direction == "sent"]
    for frame in sent:
        for name in canaries.found_in(frame.data, names):
            violations.append(f"{name} left the browser in a WebSocket message")
    if not requests or not sent:
        violations.append("nothing to search: the browsers made no request or sent no frame")
    return Search(violations, len(requests), len(sent))


@dataclass
class BrowserRecord:
    """What two Chromium profiles sent and received while they used one room, then what a
    third (Mallory, the link of an Extra Lock room and no passphrase) was given."""

    requests: list[RecordedRequest] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    link: str = ""
    locked_link: str = ""
    mallory_received: list[bytes] = field(default_factory=list)
    mallory_messages_shown: int = -1  # message bubbles on her page (-1: not looked at)

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
            record_locked_room(browser, origin, record, wire, canaries)
        finally:
            browser.close()
    return record


def _fill_and_unlock(page: Any, passphrase: str) -> None:
    page.wait_for_selector("#unlock-view:not([hidden])")
    page.fill("#unlock-passphrase", passphrase)
    page.click("#unlock-form button[type=submit]")


def record_locked_room(
    browser: Any, origin: str, record: BrowserRecord, wire: WireLog, canaries: Canaries
) -> None:
    """Alice locks a room with a passphrase, Bob gets in with it and they talk; Mallory opens
    the link with no passphrase and tries a wrong one. Her received frames are kept apart."""
    passphrase = canaries.text("browser-passphrase")
    alice = browser.new_context().new_page()
    record.watch(alice, wire)
    alice.goto(f"{origin}/r/")
    alice.check("#create-lock")
    alice.fill("#create-passphrase", passphrase)
    alice.fill("#create-passphrase-again", passphrase)
    alice.click("#create-form button[type=submit]")
    alice.wait_for_selector(READY)
    alice.wait_for_selector(CONNECTED)
    record.locked_link = alice.input_value("#share-link")
    link_shard = split_link_url(record.locked_link)[1].link_shard
    canaries.plant("browser-locked-fragment", record.locked_link.split("#", 1)[1].encode())
    bob = browser.new_context().new_page()
    record.watch(bob, wire)
    bob.goto(record.locked_link)
    bob.click("#join-form button")
    _fill_and_unlock(bob, passphrase)
    bob.wait_for_selector(READY)
    text = canaries.text("browser-locked-message")
    alice.fill("#composer-text", text)
    alice.press("#composer-text", "Enter")
    bob.locator(".message__text", has_text=text).first.wait_for(timeout=15_000)
    mallory = browser.new_context().new_page()
    record.watch(mallory, wire)
    mallory.on(
        "websocket",
        lambda socket: socket.on(
            "framereceived", lambda data: record.mallory_received.append(data)
        ),
    )
    mallory.goto(record.locked_link)
    mallory.click("#join-form button")
    _fill_and_unlock(mallory, canaries.text("browser-wrong-passphrase"))
    mallory.locator("#unlock-error").wait_for(timeout=15_000)
    alice.fill("#composer-text", canaries.text("browser-locked-message-2"))
    alice.press("#composer-text", "Enter")
    bob.locator(".message__text", has_text="browser-locked-message-2").first.wait_for(
        timeout=15_000
    )
    record.mallory_messages_shown = mallory.locator(".message__text").count()
    # P, as the relay's LOCK_REQUIRED named its parameters: no frame may carry it.
    required = [
        frame for frame in record.mallory_received if frame[1:2] == bytes([Kind.LOCK_REQUIRED])
    ]
    if required:
        params = LockRequiredFrame.decode(required[0]).params
        salt = derive_link_keys(link_shard).pwsalt
        canaries.plant("browser-passphrase-shard", passphrase_shard(passphrase, salt, params))
    for page in (mallory, bob, alice):
        page.close()
