"""Driving the room page in Chromium like a person would."""

from __future__ import annotations

from tests.support.browser import PageRecord

READY = "#chat-view:not([hidden])"


def open_watched(context, url: str):
    """A new page in ``context`` at ``url``, with its console, errors and requests recorded."""
    page = context.new_page()
    record = PageRecord()
    record.watch(page)
    page.goto(url)
    return page, record


def create_room(context, site, name: str = "Alice", rule: str = "open"):
    """Create a room through the form; returns (page, record, link)."""
    page, record = open_watched(context, site.url("/r/"))
    page.fill("#create-name", name)
    page.select_option("#create-rule", rule)
    page.click("#create-form button")
    page.wait_for_selector(READY)
    page.wait_for_selector("#status[data-state='connected']")
    return page, record, page.input_value("#share-link")


def join_room(context, link: str, name: str = "Bob"):
    """Open a link and join; returns (page, record)."""
    page, record = ask_to_join(context, link, name)
    page.wait_for_selector(READY)
    page.wait_for_selector("#status[data-state='connected']")
    return page, record


def ask_to_join(context, link: str, name: str = "Bob"):
    """Open a link and press Join, without waiting for the outcome; returns (page, record)."""
    page, record = open_watched(context, link)
    page.fill("#join-name", name)
    page.click("#join-form button")
    return page, record


def send(page, text: str) -> None:
    """Type a message and press Enter."""
    page.fill("#composer-text", text)
    page.press("#composer-text", "Enter")


def wait_for_message(page, text: str) -> None:
    page.locator(".message__text", has_text=text).first.wait_for(timeout=10_000)


def member_names(page) -> list[str]:
    return sorted(page.locator("#member-list .member__name").all_inner_texts())
