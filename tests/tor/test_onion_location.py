"""A tenant with an onion service names it to Tor Browser on its clearnet pages, and only there.

Tor Browser reads ``Onion-Location`` on an HTTPS page and offers the same
page on the onion. The tenant's ``onion_location`` setting holds the onion's
origin; the address is checked as tor checks one (its checksum included).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from atopos_site.tenancy.models import Tenant
from atopos_site.tenancy.onion import normalize_onion_location
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db

# The Tor Project's own onion service: a real version 3 address, made by tor.
ONION = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
ORIGIN = f"http://{ONION}"


@pytest.fixture
def acme(db: None) -> Tenant:
    """A tenant on acme.localhost whose onion service is ONION."""
    return make_tenant("acme", ["acme.localhost"], onion_location=ORIGIN)


@pytest.mark.parametrize(
    ("path", "named"),
    [("/", "/"), ("/security/", "/security/"), ("/threat-model/", "/threat-model/")],
)
def test_alice_in_tor_browser_is_offered_the_same_page_on_the_onion(client, acme, path, named):
    """Each clearnet page names its own path on the onion."""
    response = client.get(path, HTTP_HOST="acme.localhost")
    assert response.status_code == 200
    assert response["Onion-Location"] == f"{ORIGIN}{named}"


def test_a_room_key_pasted_into_the_path_is_not_echoed_in_the_header(client, acme):
    """A link typed with %23 brings the key in the path; the header names plain /r/."""
    response = client.get("/r/%23v1.S3cretLinkShard.genesis", HTTP_HOST="acme.localhost")
    assert response.status_code == 200
    assert response["Onion-Location"] == f"{ORIGIN}/r/"
    assert "S3cret" not in response["Onion-Location"]


def test_the_room_page_names_the_onions_room_page(client, acme):
    response = client.get("/r/", HTTP_HOST="acme.localhost")
    assert response["Onion-Location"] == f"{ORIGIN}/r/"


@pytest.mark.parametrize("path", ["/static/css/site.css", "/robots.txt", "/no-such-page/"])
def test_files_and_missing_pages_carry_no_onion_location(client, acme, path):
    """Only successful HTML pages name the onion: not a stylesheet, not text, not a 404."""
    response = client.get(path, HTTP_HOST="acme.localhost")
    assert "Onion-Location" not in response


def test_a_tenant_without_an_onion_service_names_none(client, alpha):
    response = client.get("/", HTTP_HOST="alpha.localhost")
    assert response.status_code == 200
    assert "Onion-Location" not in response


def test_another_tenants_onion_is_not_named_on_this_tenants_pages(client, acme, alpha):
    """Tenants are apart: alpha's pages never point at acme's onion."""
    assert "Onion-Location" not in client.get("/", HTTP_HOST="alpha.localhost")
    assert client.get("/", HTTP_HOST="acme.localhost")["Onion-Location"] == f"{ORIGIN}/"


def test_the_onion_site_itself_points_nowhere_else(client, settings):
    """A tenant serving both its clearnet name and its onion: the onion's pages carry no header."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ONION]
    make_tenant("both", ["both.localhost", ONION], onion_location=ORIGIN)
    assert client.get("/", HTTP_HOST="both.localhost")["Onion-Location"] == f"{ORIGIN}/"
    on_onion = client.get("/", HTTP_HOST=ONION)
    assert on_onion.status_code == 200
    assert "Onion-Location" not in on_onion


def test_an_unknown_host_gets_no_hint_of_any_onion(client, acme):
    """The fixed 404 for a host no tenant serves says nothing about anyone's onion."""
    response = client.get("/", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404
    assert "Onion-Location" not in response


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (ORIGIN, ORIGIN),
        (f"{ORIGIN}/", ORIGIN),
        (f"  HTTP://{ONION.upper().replace('.ONION', '.onion')}/  ", ORIGIN),
        (f"https://{ONION}", f"https://{ONION}"),
        (f"http://{ONION}:8080", f"http://{ONION}:8080"),
    ],
)
def test_an_onion_origin_is_stored_in_one_form(typed, stored):
    assert normalize_onion_location(typed) == stored


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (ONION, "http://"),  # no scheme
        (f"ftp://{ONION}", "http://"),
        (f"http://{ONION[:-7]}x.onion", "not a version 3 onion"),  # one character changed
        ("http://expyuzz4wqqyqhjn.onion", "not a version 3 onion"),  # version 2: gone from tor
        ("http://chat.example.org", "not a version 3 onion"),
        (f"http://www.{ONION}", "not a version 3 onion"),
        (f"{ORIGIN}/r/", "origin only"),
        (f"{ORIGIN}/?from=clearnet", "origin only"),
        (f"{ORIGIN}#x", "origin only"),
        (f"http://alice:secret@{ONION}", "no user name"),
        (f"http://{ONION}:99999", "port"),
    ],
)
def test_anything_but_an_onion_origin_is_refused_with_the_reason(value, reason):
    with pytest.raises(ValueError, match=reason):
        normalize_onion_location(value)


def test_the_model_refuses_a_mistyped_onion(db):
    tenant = Tenant(slug="typo", display_name="Typo", onion_location=f"http://{ONION[1:]}")
    with pytest.raises(ValidationError) as refused:
        tenant.full_clean()
    assert "onion_location" in refused.value.message_dict


def run(*arguments: str) -> str:
    out = StringIO()
    call_command("tenant", *arguments, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_operator_sets_lists_and_clears_the_onion_from_the_command_line(alpha):
    assert run("onion-location", "alpha", f"{ORIGIN}/") == (
        f"Pages of alpha now name {ORIGIN} to Tor Browser.\n"
    )
    assert Tenant.objects.get(slug="alpha").onion_location == ORIGIN
    assert f"onion:   {ORIGIN} (Onion-Location)" in run("list")
    assert run("onion-location", "alpha") == "Pages of alpha name no onion service.\n"
    assert Tenant.objects.get(slug="alpha").onion_location == ""


def test_a_bad_onion_on_the_command_line_changes_nothing(alpha):
    run("onion-location", "alpha", ORIGIN)
    with pytest.raises(CommandError, match="not a version 3 onion"):
        run("onion-location", "alpha", "http://chat.example.org")
    assert Tenant.objects.get(slug="alpha").onion_location == ORIGIN


def test_tenant_add_takes_the_onion_location(db):
    run("add", "gamma", "--domain", "gamma.localhost", "--onion-location", f"{ORIGIN}/")
    assert Tenant.objects.get(slug="gamma").onion_location == ORIGIN
