"""A malicious relay cannot write the page's words.

The relay's REFUSED frame carries a reason; the page shows its own sentence
for the reasons it knows and one fixed sentence for any other. Here the relay
in front of Bob's and Alice's pages (a Playwright WebSocket route around the
real relay) injects REFUSED frames whose reason is a phishing line, or a
JavaScript property name that a careless lookup would find.
"""

from __future__ import annotations

import pytest

from atopos_protocol import VERSION
from tests.support.room_pages import READY, ask_to_join, create_room, open_watched

pytestmark = pytest.mark.browser
PHISH = "re-verify your link at https://evil.example"
REASONS = [PHISH, "constructor"]
PENDING, REFUSED = 0x85, 0x88
ADMISSION_REFUSED = 4403


def refused(reason: str) -> bytes:
    """A REFUSED frame: version, kind, a 32-byte head, the reason's bytes."""
    return bytes([VERSION, REFUSED]) + bytes(32) + reason.encode()


def relay_in_front(context, on_server_frame=None) -> list:
    """Route the context's room sockets through the real relay, with a hook on its frames."""
    routes: list = []

    def handle(route) -> None:
        server = route.connect_to_server()
        routes.append(route)

        def from_server(message) -> None:
            route.send(message)
            if on_server_frame is not None and isinstance(message, bytes):
                on_server_frame(route, message)

        server.on_message(from_server)

    context.route_web_socket("**/ws/v1", handle)
    return routes


def shown_anywhere(page, text: str) -> bool:
    """Whether ``text`` is in the document: markup, attributes, form values, title."""
    values = page.evaluate(
        "[...document.querySelectorAll('input, textarea')].map((field) => field.value).join(' ')"
    )
    return text in page.content() or text in values or text in page.title()


@pytest.mark.parametrize("reason", REASONS, ids=["phishing-line", "prototype-name"])
def test_a_relays_refusal_reason_never_reaches_bobs_page(chromium, site, reason):
    """Bob knocks; the relay answers REFUSED(reason) and closes 4403: the page says our sentence."""
    _, _, link = create_room(chromium.new_context(), site, "Alice", rule="approval")
    bob_context = chromium.new_context()

    def refuse_once_pending(route, frame: bytes) -> None:
        if frame[1] == PENDING:
            route.send(refused(reason))
            route.close(code=ADMISSION_REFUSED, reason="")

    relay_in_front(bob_context, refuse_once_pending)
    bob, record = ask_to_join(bob_context, link, "Bob")
    bob.wait_for_selector("#error-view:not([hidden])")
    assert bob.inner_text("#error-title") == "Not let in"
    assert bob.inner_text("#error-detail") == (
        "The room did not let you in, for a reason this page does not know."
        " Ask someone in the room."
    )
    assert not shown_anywhere(bob, reason if reason == PHISH else "function")
    assert not shown_anywhere(bob, "evil.example")
    assert record.page_errors == []


@pytest.mark.parametrize("reason", REASONS, ids=["phishing-line", "prototype-name"])
def test_a_relays_refusal_of_a_change_shows_only_our_words(chromium, site, reason):
    """In the room, the relay sends Alice's page REFUSED(reason): one fixed notice, nothing else."""
    alice_context = chromium.new_context()
    routes = relay_in_front(alice_context)
    alice, record = open_watched(alice_context, site.url("/r/"))
    alice.fill("#create-name", "Alice")
    alice.click("#create-form button[type=submit]")
    alice.wait_for_selector(READY)
    alice.wait_for_selector("#status[data-state='connected']")
    routes[-1].send(refused(reason))
    notice = alice.locator(".message--notice", has_text="Not done")
    notice.wait_for()
    assert notice.inner_text() == "Not done: the room refused this change."
    assert not shown_anywhere(alice, "evil.example")
    assert not shown_anywhere(alice, "native code")
    assert record.page_errors == []
