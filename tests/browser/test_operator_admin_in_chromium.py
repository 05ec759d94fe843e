"""The operator admin works in Chromium, under its own policy, on the operator host only.

Bob, the operator, signs in at ATOPOS_ADMIN_PATH on ATOPOS_ADMIN_HOST, adds a
tenant with a domain, edits it and saves: every POST passes Django's CSRF
check (the admin's pages send a same-origin Referrer-Policy, so Chromium
sends the real Origin instead of ``null``), and the admin's own scripts run
under a policy that still admits nothing inline, nothing evaluated and
nothing from another origin. Public pages keep their stricter headers.
"""

from __future__ import annotations

import pytest

from atopos_site.testing.live_site import manage
from tests.site.test_security_headers import EXPECTED_CSP, parse_csp
from tests.support.browser import PageRecord, origin
from tests.support.live_site import live_site
from tests.support.processes import http_get

pytestmark = pytest.mark.browser

OPS = "ops.localhost"
ADMIN = "/ops-7f3k/"
PASSWORD = "correct horse battery staple 7"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def ops_site(tmp_path_factory):
    """A live site with the admin on ops.localhost, and Bob, its operator."""
    admin = {"ATOPOS_ADMIN_PATH": ADMIN.strip("/"), "ATOPOS_ADMIN_HOST": OPS}
    with live_site(tmp_path_factory.mktemp("ops"), env=admin) as running:
        operator = {**running.environment, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
        manage(operator, "createsuperuser", "--noinput", "--username", "bob",
               "--email", "bob@ops.example")  # fmt: skip
        yield running


def sign_in(page, site) -> None:
    """Bob opens the admin, is sent to its login form, and signs in."""
    page.goto(site.url(ADMIN, host=OPS), wait_until="networkidle")
    page.fill("#id_username", "bob")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")


def assert_clean(page, record: PageRecord) -> None:
    """No CSP violation, no console error, no script error, nothing from another origin."""
    assert page.evaluate("window.__cspViolations") == []
    assert record.console_errors == []
    assert record.page_errors == []
    assert {origin(url) for url in record.requests} == {origin(page.url)}


def test_bob_adds_a_tenant_with_a_domain_edits_it_and_saves(chromium, ops_site):
    """At desktop size: sign in, add Gamma with gamma.localhost, rename it, see each change."""
    context = chromium.new_context(**DESKTOP)
    try:
        page = context.new_page()
        record = PageRecord()
        record.watch(page)
        sign_in(page, ops_site)
        assert page.locator("#site-name").inner_text() == "Atopos operations"
        assert page.locator("#user-tools").inner_text().upper().startswith("WELCOME, BOB")

        page.goto(ops_site.url(f"{ADMIN}tenancy/tenant/add/", host=OPS), wait_until="networkidle")
        page.fill("#id_slug", "gamma")
        page.fill("#id_display_name", "Gamma Talk")
        page.fill("#id_domains-0-hostname", "gamma.localhost")
        # The admin's jQuery code writes this button and the row it adds: its scripts run.
        page.get_by_role("button", name="Add another Tenant domain").click()
        page.fill("#id_domains-1-hostname", "www.gamma.localhost")
        page.click("input[name=_save]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".messagelist .success").inner_text() == (
            "The tenant “Gamma Talk (gamma)” was added successfully."
        )
        domains = page.locator("#result_list tbody tr", has_text="Gamma Talk")
        assert domains.locator("td.field-domain_list").inner_text() == (
            "gamma.localhost, www.gamma.localhost"
        )

        page.locator("#result_list a", has_text="gamma").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#id_domains-0-hostname").input_value() == "gamma.localhost"
        page.fill("#id_display_name", "Gamma Chat")
        page.fill("#id_max_members_per_room", "12")
        page.click("input[name=_save]")
        page.wait_for_load_state("networkidle")
        assert page.locator(".messagelist .success").inner_text() == (
            "The tenant “Gamma Chat (gamma)” was changed successfully."
        )
        row = page.locator("#result_list tbody tr", has_text="www.gamma.localhost")
        assert row.locator("td.field-display_name").inner_text() == "Gamma Chat"
        assert row.locator("td.field-max_members_per_room").inner_text() == "12"
        assert_clean(page, record)
    finally:
        context.close()


def test_on_a_phone_bob_signs_in_and_sees_the_tenants_without_sideways_scrolling(
    chromium, ops_site
):
    """At 390 px with touch: the login works and the tenant list fits the screen's width."""
    context = chromium.new_context(**PHONE)
    try:
        page = context.new_page()
        record = PageRecord()
        record.watch(page)
        sign_in(page, ops_site)
        page.goto(ops_site.url(f"{ADMIN}tenancy/tenant/", host=OPS), wait_until="networkidle")
        assert page.locator("#result_list").get_by_text("acme.localhost").is_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        assert_clean(page, record)
    finally:
        context.close()


def test_only_the_admin_gets_the_admins_policy_and_public_pages_keep_theirs(ops_site):
    """The admin: same-origin referrer, no Trusted Types, every other directive unchanged.

    A public page of the same server still sends no referrer and the strict policy.
    """
    _, public, _ = http_get(ops_site.port, "/", "localhost")
    assert public["Referrer-Policy"] == "no-referrer"
    assert parse_csp(public["Content-Security-Policy"]) == EXPECTED_CSP

    _, admin, _ = http_get(ops_site.port, f"{ADMIN}login/", OPS)
    assert admin["Referrer-Policy"] == "same-origin"
    relaxed = {name: EXPECTED_CSP[name] for name in EXPECTED_CSP if "trusted-types" not in name}
    assert parse_csp(admin["Content-Security-Policy"]) == relaxed
