"""Operators manage tenants in the Django admin, on the operator host only, staff only.

The admin answers at ATOPOS_ADMIN_PATH on ATOPOS_ADMIN_HOST and nowhere else,
and sign-ins are throttled per client and per username in the real Redis.
"""

from __future__ import annotations

import importlib

import pytest
from django.urls import clear_url_caches

import atopos_site.admin_urls
from atopos_site.login_throttle import MAX_FAILURES
from atopos_site.tenancy.middleware import UNKNOWN_HOST_BODY
from atopos_site.tenancy.models import Tenant

ADMIN = "/ops-console/"
OPS = "ops.localhost"
PASSWORD = "correct horse battery staple 7"
MALLORY = "203.0.113.66"
BOB = "198.51.100.20"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's cost is not under test here; a cheap hasher keeps these tests fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_routes(settings, redis_client):
    """The site as if ATOPOS_ADMIN_PATH=ops-console and ATOPOS_ADMIN_HOST=ops.localhost."""
    settings.ATOPOS_ADMIN_PATH = "ops-console"
    settings.ATOPOS_ADMIN_HOST = OPS
    importlib.reload(atopos_site.admin_urls)
    clear_url_caches()
    yield
    settings.ATOPOS_ADMIN_PATH = None
    settings.ATOPOS_ADMIN_HOST = None
    importlib.reload(atopos_site.admin_urls)
    clear_url_caches()


@pytest.fixture
def operator(django_user_model):
    """Bob, the operator: a superuser with a real password."""
    return django_user_model.objects.create_superuser("bob", password=PASSWORD)


def sign_in(client, username: str, password: str, address: str):
    """POST the admin's login form from ``address``; the response."""
    return client.post(
        f"{ADMIN}login/",
        {"username": username, "password": password, "next": ADMIN},
        HTTP_HOST=OPS,
        REMOTE_ADDR=address,
    )


def signed_in(client) -> bool:
    """True when the client's session opens the admin index."""
    return client.get(ADMIN, HTTP_HOST=OPS).status_code == 200


def test_anonymous_visitors_are_sent_to_the_login(client, alpha, admin_routes):
    """The admin asks for a login before showing anything."""
    response = client.get(f"{ADMIN}tenancy/tenant/", HTTP_HOST=OPS)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ADMIN}login/")


def test_non_staff_users_cannot_get_in(client, alpha, admin_routes, django_user_model):
    """A user account without staff status is refused."""
    user = django_user_model.objects.create_user("visitor", password="a-long-password-1")
    client.force_login(user)
    response = client.get(f"{ADMIN}tenancy/tenant/", HTTP_HOST=OPS)
    assert response.status_code == 302


def test_staff_can_add_a_tenant_with_a_domain(admin_client, alpha, admin_routes):
    """A superuser adds a tenant and its hostname through the admin form."""
    response = admin_client.post(
        f"{ADMIN}tenancy/tenant/add/",
        {
            "slug": "gamma", "display_name": "Gamma", "is_active": "on",
            "default_room_ttl_seconds": "3600", "max_room_ttl_seconds": "7200",
            "max_members_per_room": "10", "default_join_rule": "open", "allow_direct": "on",
            "messages_per_minute": "300", "joins_per_minute": "20", "rooms_per_hour": "30",
            "domains-TOTAL_FORMS": "1", "domains-INITIAL_FORMS": "0",
            "domains-MIN_NUM_FORMS": "1", "domains-MAX_NUM_FORMS": "1000",
            "domains-0-hostname": "Gamma.Localhost",
        },
        HTTP_HOST=OPS,
    )  # fmt: skip
    assert response.status_code == 302
    gamma = Tenant.objects.get(slug="gamma")
    assert list(gamma.domains.values_list("hostname", flat=True)) == ["gamma.localhost"]
    assert gamma.policy().routing_modes == {"direct"}


def test_admin_lists_tenants_with_their_domains(admin_client, alpha, beta, admin_routes):
    """The change list shows every tenant's hostnames."""
    html = admin_client.get(f"{ADMIN}tenancy/tenant/", HTTP_HOST=OPS).content
    assert b"beta.localhost, www.beta.localhost" in html


def test_the_operator_signs_in_with_the_right_password(client, admin_routes, operator):
    """The throttle does not stand in the way of a right password within the limit."""
    response = sign_in(client, "bob", PASSWORD, BOB)
    assert response.status_code == 302
    assert signed_in(client)


# The admin lives on the operator host only --------------------------------------------------


@pytest.mark.parametrize("path", [ADMIN, f"{ADMIN}login/", f"{ADMIN}tenancy/tenant/"])
def test_mallory_finds_no_admin_on_a_tenant_domain(client, alpha, admin_routes, path):
    """On a tenant's domain the admin path is an unknown page: the same bytes as any other."""
    unknown = client.get("/no-such-page/", HTTP_HOST="alpha.localhost")
    response = client.get(path, HTTP_HOST="alpha.localhost")
    assert response.status_code == 404
    assert response.content == unknown.content
    assert "Set-Cookie" not in response


def test_mallory_cannot_sign_in_through_a_tenant_domain(client, alpha, admin_routes, operator):
    """Posting the right password to the admin path of a tenant domain signs nobody in."""
    response = client.post(
        f"{ADMIN}login/",
        {"username": "bob", "password": PASSWORD},
        HTTP_HOST="alpha.localhost",
        REMOTE_ADDR=MALLORY,
    )
    assert response.status_code == 404
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize("path", ["/", "/r/", "/security/", "/no-such-page/"])
def test_the_operator_host_serves_nothing_but_the_admin(client, alpha, admin_routes, path):
    """Tenant pages are not on the operator host: the fixed unknown-host 404."""
    response = client.get(path, HTTP_HOST=OPS)
    assert response.status_code == 404
    assert response.content == UNKNOWN_HOST_BODY


# Sign-ins are throttled ----------------------------------------------------------------------


def test_mallory_guessing_bobs_password_is_locked_out_even_with_the_right_one(
    client, admin_routes, operator
):
    """After five wrong passwords in the window, the sixth try is refused, right or not."""
    for _ in range(MAX_FAILURES):
        wrong = sign_in(client, "bob", "guess-" + "x" * 12, MALLORY)
        assert wrong.status_code == 200
        assert b"Please enter the correct username and password" in wrong.content
    locked = sign_in(client, "bob", PASSWORD, MALLORY)
    assert locked.status_code == 200
    assert b"Too many failed sign-ins. Wait 15 minutes" in locked.content
    assert not signed_in(client)


def test_mallory_spreading_guesses_over_addresses_is_locked_out_by_username(
    client, admin_routes, operator
):
    """Five wrong passwords for bob from five addresses lock bob's name for a sixth address."""
    for n in range(MAX_FAILURES):
        sign_in(client, "bob", "guess-" + "x" * 12, f"203.0.113.{n + 1}")
    locked = sign_in(client, "bob", PASSWORD, "203.0.113.99")
    assert b"Too many failed sign-ins" in locked.content
    assert not signed_in(client)


def test_mallory_spraying_usernames_from_one_client_is_locked_out(
    client, admin_routes, operator, django_user_model
):
    """Five wrong guesses on five usernames lock Mallory's client, even for a right password."""
    django_user_model.objects.create_superuser("carol", password=PASSWORD)
    for n in range(MAX_FAILURES):
        sign_in(client, f"user{n}", "guess-" + "x" * 12, MALLORY)
    locked = sign_in(client, "carol", PASSWORD, MALLORY)
    assert b"Too many failed sign-ins" in locked.content
    assert not signed_in(client)


def test_bob_is_not_locked_out_by_mallorys_failures_on_another_username(
    client, admin_routes, operator
):
    """Mallory locks her client and the name she guessed; Bob, elsewhere, signs in."""
    for _ in range(MAX_FAILURES + 3):
        sign_in(client, "admin", "guess-" + "x" * 12, MALLORY)
    response = sign_in(client, "bob", PASSWORD, BOB)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_throttle_stores_no_address_and_no_username(
    client, admin_routes, operator, redis_client
):
    """Redis holds keyed hashes only, each with a TTL no longer than the window."""
    sign_in(client, "bob", "guess-" + "x" * 12, MALLORY)
    keys = [key.decode() for key in redis_client.keys("*")]
    assert len(keys) == 2
    for key in keys:
        assert MALLORY not in key
        assert "bob" not in key
        assert 0 < redis_client.ttl(key) <= 15 * 60
        assert MALLORY.encode() not in redis_client.dump(key)
