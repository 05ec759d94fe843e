"""Operators manage tenants in the Django admin at ATOPOS_ADMIN_PATH, staff only."""

from __future__ import annotations

import importlib

import pytest
from django.urls import clear_url_caches

import atopos_site.urls
from atopos_site.tenancy.models import Tenant

ADMIN = "/ops-console/"


@pytest.fixture
def admin_routes(settings):
    """The URL configuration rebuilt as if ATOPOS_ADMIN_PATH=ops-console."""
    settings.ATOPOS_ADMIN_PATH = "ops-console"
    importlib.reload(atopos_site.urls)
    clear_url_caches()
    yield
    settings.ATOPOS_ADMIN_PATH = None
    importlib.reload(atopos_site.urls)
    clear_url_caches()


def test_anonymous_visitors_are_sent_to_the_login(client, alpha, admin_routes):
    """The admin asks for a login before showing anything."""
    response = client.get(f"{ADMIN}tenancy/tenant/", HTTP_HOST="alpha.localhost")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ADMIN}login/")


def test_non_staff_users_cannot_get_in(client, alpha, admin_routes, django_user_model):
    """A user account without staff status is refused."""
    user = django_user_model.objects.create_user("visitor", password="a-long-password-1")
    client.force_login(user)
    response = client.get(f"{ADMIN}tenancy/tenant/", HTTP_HOST="alpha.localhost")
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
        HTTP_HOST="alpha.localhost",
    )  # fmt: skip
    assert response.status_code == 302
    gamma = Tenant.objects.get(slug="gamma")
    assert list(gamma.domains.values_list("hostname", flat=True)) == ["gamma.localhost"]
    assert gamma.policy().routing_modes == {"direct"}


def test_admin_lists_tenants_with_their_domains(admin_client, alpha, beta, admin_routes):
    """The change list shows every tenant's hostnames."""
    html = admin_client.get(f"{ADMIN}tenancy/tenant/", HTTP_HOST="alpha.localhost").content
    assert b"beta.localhost, www.beta.localhost" in html
