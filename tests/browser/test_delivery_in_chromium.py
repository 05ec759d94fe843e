"""A person who loses the network, or whose relay restarts, misses nothing and sees nothing
twice: the page says it is reconnecting, comes back, and the conversation is complete."""

from __future__ import annotations

import re
import time

from tests.support.live_site import live_site
from tests.support.room_pages import create_room, join_room, send, wait_for_message

OFFLINE_SECONDS = 30
MESSAGES = """[...document.querySelectorAll('.message__text')].map((node) => node.textContent)"""
GAPS = """[...document.querySelectorAll('#messages .message--notice')]
  .map((node) => node.textContent).filter((text) => text.startsWith('Missed'))"""


def texts_from(page, prefix: str) -> list[str]:
    return [text for text in page.evaluate(MESSAGES) if text.startswith(prefix)]


class Network:
    """Bob's network, as Playwright routes his page's WebSockets: it can go away (every
    socket cut, new ones refused, pages offline) and come back. Chromium's offline mode
    alone keeps an open WebSocket up."""

    def __init__(self, context) -> None:
        self.context = context
        self.offline = False
        self.sockets: list = []
        context.route_web_socket(re.compile(r".*/ws/v1$"), self._route)

    def _route(self, socket) -> None:
        if self.offline:
            socket.close(code=1001, reason="")
            return
        socket.connect_to_server()
        self.sockets.append(socket)

    def go_away(self) -> None:
        self.offline = True
        self.context.set_offline(True)
        for socket in self.sockets:
            socket.close(code=1001, reason="")
        self.sockets.clear()

    def come_back(self) -> None:
        self.offline = False
        self.context.set_offline(False)


def test_thirty_seconds_offline_mid_conversation_loses_nothing(chromium, tmp_path):
    with live_site(tmp_path, tenant_options=["--joins-per-minute", "120"]) as site:
        alice, _, link = create_room(chromium.new_context(), site, "Alice")
        bob_context = chromium.new_context()
        network = Network(bob_context)
        bob, _ = join_room(bob_context, link, "Bob")
        send(alice, "alice 1")
        wait_for_message(bob, "alice 1")
        network.go_away()
        bob.wait_for_selector("#status[data-state='reconnecting']", timeout=15_000)
        started = time.monotonic()
        for n in (2, 3, 4):
            send(alice, f"alice {n}")
        time.sleep(max(0.0, OFFLINE_SECONDS - (time.monotonic() - started)))
        assert texts_from(bob, "alice") == ["alice 1"]  # nothing reached Bob meanwhile
        network.come_back()
        bob.wait_for_selector("#status[data-state='connected']", timeout=40_000)
        wait_for_message(bob, "alice 4")
        assert bob.locator("#status").inner_text().startswith("Back online")
        send(alice, "alice 5")
        wait_for_message(bob, "alice 5")
        time.sleep(1)
        assert texts_from(bob, "alice") == [f"alice {n}" for n in range(1, 6)]
        assert bob.evaluate(GAPS) == []


def test_a_message_sent_as_the_relay_restarts_is_shown_once(chromium, tmp_path):
    """Alice's page sends, the relay dies before or after passing it on: her page sends it
    again once back, and Bob's page shows it exactly once."""
    with live_site(tmp_path, tenant_options=["--joins-per-minute", "120"]) as site:
        alice, _, link = create_room(chromium.new_context(), site, "Alice")
        bob, _ = join_room(chromium.new_context(), link, "Bob")
        send(alice, "as the relay dies")
        site.restart()
        alice.wait_for_selector("#status[data-state='connected']", timeout=30_000)
        send(alice, "after the restart")
        wait_for_message(bob, "after the restart")
        time.sleep(1)
        assert texts_from(bob, "a") == ["as the relay dies", "after the restart"]
        assert bob.evaluate(GAPS) == []
