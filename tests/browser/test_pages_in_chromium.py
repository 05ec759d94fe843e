"""The public pages render in Chromium with no errors, no CSP violations, no other origin."""

from __future__ import annotations

import pytest

from tests.support.browser import PageRecord, origin

pytestmark = pytest.mark.browser

PAGES = [
    ("/", "Private rooms that vanish."),
    ("/security/", "Security"),
    ("/threat-model/", "Plain-English Threat Model"),
    ("/disclosure/", "Disclosure policy"),
    ("/security/evidence/", "Security evidence"),
]


@pytest.mark.parametrize(("path", "heading"), PAGES)
def test_page_renders_cleanly_from_its_own_origin(context, site, path, heading):
    """Zero console errors, zero CSP violations, every request to the page's origin."""
    page = context.new_page()
    record = PageRecord()
    record.watch(page)
    response = page.goto(site.url(path), wait_until="networkidle")

    assert response is not None
    assert response.status == 200
    assert page.locator("h1").inner_text() == heading
    assert page.evaluate("window.__cspViolations") == []
    assert record.console_errors == []
    assert record.console_warnings == []  # e.g. an unknown Permissions-Policy feature
    assert record.page_errors == []
    page_origin = origin(page.url)
    assert record.requests, "the page made no requests at all"
    assert {origin(url) for url in record.requests} == {page_origin}


def test_stylesheet_is_applied_under_the_strict_policy(context, site):
    """The site's CSS loads with its integrity hash and styles the page."""
    page = context.new_page()
    page.goto(site.url("/"), wait_until="networkidle")
    button = page.locator(".hero .button--primary")
    assert button.evaluate("el => getComputedStyle(el).borderRadius") == "10px"
    assert page.locator('link[rel="stylesheet"]').get_attribute("integrity").startswith("sha384-")


def test_each_tenant_host_shows_its_own_brand(context, site):
    """acme.localhost is another tenant on the same server, with its own name."""
    page = context.new_page()
    page.goto(site.url("/", host="acme.localhost"), wait_until="networkidle")
    assert page.title() == "Private rooms that vanish · Acme Talk"
    assert page.locator(".brand").inner_text().strip() == "Acme Talk"


def test_keyboard_users_can_skip_to_the_content(context, site):
    """The first Tab reaches the skip link, and following it focuses the main content."""
    page = context.new_page()
    page.goto(site.url("/security/"), wait_until="networkidle")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize("path", [path for path, _ in PAGES])
def test_pages_fit_a_phone_screen(chromium, site, path):
    """At 360 px wide nothing overflows sideways and text stays readable."""
    phone = chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    try:
        page = phone.new_page()
        page.goto(site.url(path), wait_until="networkidle")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        font_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert font_size >= 16
    finally:
        phone.close()


def test_the_recorder_sees_a_violation_when_one_happens(context, site):
    """Guard against a vacuous pass: a blocked cross-origin image is caught and reported."""
    page = context.new_page()
    record = PageRecord()
    record.watch(page)
    page.goto(site.url("/"), wait_until="networkidle")
    page.evaluate(
        "() => { const image = new Image(); image.src = 'http://example.invalid/x.png';"
        " document.body.append(image); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__cspViolations") == ["img-src http://example.invalid/x.png"]
    assert any("violates the following Content Security Policy" in e for e in record.console_errors)


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
)
def test_with_javascript_off_the_room_page_says_why_and_what_to_do(chromium, site, viewport):
    """Tor Browser's Safest level switches JavaScript off: the room page cannot open a room
    there, and tells the person so, naming the Safer level that works."""
    context = chromium.new_context(java_script_enabled=False, viewport=viewport)
    try:
        page = context.new_page()
        page.goto(site.url("/r/"), wait_until="load")
        notice = page.locator("noscript + .notice, p.notice").filter(
            has_text="Rooms need JavaScript"
        )
        assert notice.is_visible()
        text = notice.inner_text()
        assert "Safer" in text
        assert "Safest" in text
        box = notice.bounding_box()
        assert box is not None
        assert box["width"] <= viewport["width"]
        assert page.locator("#create-view").is_hidden()
        # Nothing will load: the page must not promise that something is loading.
        assert page.get_by_text("Loading the encrypted client").is_hidden()
    finally:
        context.close()
