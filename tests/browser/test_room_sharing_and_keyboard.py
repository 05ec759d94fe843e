"""Sharing a room and using it without a mouse."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from tests.support.room_pages import (
    READY,
    create_room,
    open_invite_panel,
    open_watched,
    wait_for_message,
)

pytestmark = pytest.mark.browser


def test_the_qr_code_decodes_to_the_room_link(chromium, site):
    """The QR code drawn in the page holds exactly the link shown beside it."""
    page, _, link = create_room(chromium.new_context(), site)
    open_invite_panel(page)
    image = Image.open(io.BytesIO(page.locator("#share-qr").screenshot()))
    [decoded] = zxingcpp.read_barcodes(image)
    assert decoded.text == link


def test_the_copy_button_puts_the_link_on_the_clipboard(chromium, site):
    """Copy link writes the room link to the clipboard and says so."""
    context = chromium.new_context()
    origin = site.url("").rstrip("/")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page, _, link = create_room(context, site)
    open_invite_panel(page)
    page.click("#copy-button")
    page.wait_for_selector("#copy-status:has-text('Link copied.')")
    assert page.evaluate("navigator.clipboard.readText()") == link


def test_a_room_can_be_created_and_used_with_the_keyboard_alone(chromium, site):
    """Tab to the form, type, Enter: the room opens with the link selected for copying."""
    page, record = open_watched(chromium.new_context(), site.url("/r/"))
    page.wait_for_selector("#create-view:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "create-name"
    page.keyboard.type("Keyboard Kim")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "create-lifetime"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "create-rule"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(READY)
    page.wait_for_selector("#composer-text:not([disabled])")
    assert page.evaluate("document.activeElement.id") == "composer-text"
    page.keyboard.type("typed, not clicked")
    page.keyboard.press("Enter")
    wait_for_message(page, "typed, not clicked")
    assert record.console_errors == []


def test_live_regions_announce_status_and_messages(chromium, site):
    """Screen readers hear connection changes and new messages."""
    page, _, _ = create_room(chromium.new_context(), site)
    assert page.get_attribute("#status", "role") == "status"
    assert page.get_attribute("#messages", "role") == "log"
    assert page.get_attribute("#messages", "aria-live") == "polite"
    assert page.get_attribute("#share-toggle", "aria-expanded") == "false"
    page.click("#share-toggle")
    assert page.get_attribute("#share-toggle", "aria-expanded") == "true"
