"""HTTP requests are served for the tenant their Host header names, or not at all."""

from __future__ import annotations

import logging

import pytest

from atopos_site.tenancy.middleware import UNKNOWN_HOST_BODY
from atopos_site.tenancy.models import Tenant
from tests.conftest import make_tenant


def test_two_tenants_on_two_hosts_each_get_their_own_policy(client, alpha, beta):
    """Each host shows its own tenant's name and room policy."""
    alpha_page = client.get("/", HTTP_HOST="alpha.localhost").content.decode()
    beta_page = client.get("/", HTTP_HOST="beta.localhost").content.decode()
    assert "Alpha Chat" in alpha_page
    assert "Beta Rooms" not in alpha_page
    assert "1 hour unless you choose otherwise, at most 2 hours" in alpha_page
    assert "up to 8 people" in alpha_page
    assert "30 minutes unless you choose otherwise, at most 3 days" in beta_page
    assert "up to 50 people" in beta_page


def test_request_carries_the_resolved_policy(rf, alpha, beta):
    """The middleware attaches the tenant's policy as a plain value."""
    from atopos_site.tenancy.middleware import TenantMiddleware

    seen = {}

    def view(request):
        seen["tenant"] = request.tenant
        return

    TenantMiddleware(view)(rf.get("/", HTTP_HOST="www.beta.localhost"))
    tenant = seen["tenant"]
    assert tenant.slug == "beta"
    assert tenant.domains == frozenset({"beta.localhost", "www.beta.localhost"})
    assert tenant.policy.max_members_per_room == 50
    assert tenant.policy.default_join_rule == "approval"
    assert {mode.value for mode in tenant.policy.routing_modes} == {"direct", "tor"}


def test_port_and_case_in_the_host_header_do_not_matter(client, alpha):
    """ALPHA.localhost:8443 is alpha.localhost."""
    response = client.get("/", HTTP_HOST="ALPHA.localhost:8443")
    assert response.status_code == 200
    assert "Alpha Chat" in response.content.decode()


@pytest.mark.parametrize(
    "host", ["unknown.localhost", "localhost", "alpha.localhost.evil.test", "[::1]", "a b"]
)
def test_unknown_hosts_get_the_same_bare_404(client, alpha, host):
    """Every unknown or malformed host gets identical bytes that name no tenant."""
    response = client.get("/", HTTP_HOST=host)
    assert response.status_code == 404
    assert response.content == UNKNOWN_HOST_BODY
    assert b"Alpha" not in response.content


def test_an_inactive_tenant_looks_exactly_like_an_unknown_host(client, alpha):
    """Switching a tenant off makes its domains indistinguishable from unknown ones."""
    Tenant.objects.filter(pk=alpha.pk).update(is_active=False)
    response = client.get("/security/", HTTP_HOST="alpha.localhost")
    assert response.status_code == 404
    assert response.content == UNKNOWN_HOST_BODY


def test_tenant_edits_show_at_once_in_this_process(client, alpha):
    """Saving a tenant drops the cached answer for its hosts."""
    client.get("/", HTTP_HOST="alpha.localhost")
    alpha.display_name = "Alpha Renamed"
    alpha.save()
    assert "Alpha Renamed" in client.get("/", HTTP_HOST="alpha.localhost").content.decode()


def test_resolution_is_cached_between_requests(client, alpha, django_assert_num_queries):
    """A second request to the same host costs no tenant queries."""
    client.get("/", HTTP_HOST="alpha.localhost")
    with django_assert_num_queries(0):
        client.get("/", HTTP_HOST="alpha.localhost")


@pytest.mark.parametrize(
    "host",
    ["alpha.localhost..", "alpha.localhost..:8000", "localhost..", "alpha..localhost", ".", ":80"],
    ids=[
        "two-trailing-dots",
        "two-trailing-dots-and-port",
        "bare-name-two-dots",
        "empty-label",
        "dot-only",
        "port-only",
    ],
)
def test_mallory_with_an_odd_host_gets_the_fixed_404_and_no_logged_traceback(
    client, alpha, host, caplog
):
    """A malformed Host is the fixed unknown-host 404, and nothing is logged for it."""
    with caplog.at_level(logging.DEBUG):
        response = client.get("/", HTTP_HOST=host)
    assert response.status_code == 404
    assert response.content == UNKNOWN_HOST_BODY
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert "Traceback" not in caplog.text


def test_a_host_outside_allowed_hosts_gets_the_fixed_404_and_no_logged_traceback(
    client, alpha, settings, caplog
):
    """Django's own ALLOWED_HOSTS refusal looks exactly like an unknown host, silently."""
    settings.ALLOWED_HOSTS = ["beta.localhost"]
    with caplog.at_level(logging.DEBUG):
        response = client.get("/", HTTP_HOST="alpha.localhost")
    assert response.status_code == 404
    assert response.content == UNKNOWN_HOST_BODY
    assert "Traceback" not in caplog.text
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


def test_a_sharp_s_domain_is_served_at_its_own_name_not_at_the_double_s_one(client, alpha):
    """IDNA2008: faß.localhost is xn--fa-hia.localhost; fass.localhost is someone else."""
    make_tenant("sharp", ["faß.localhost"], display_name="Sharp S")
    own = client.get("/", HTTP_HOST="xn--fa-hia.localhost")
    assert own.status_code == 200
    assert "Sharp S" in own.content.decode()
    other = client.get("/", HTTP_HOST="fass.localhost")
    assert other.status_code == 404
    assert other.content == UNKNOWN_HOST_BODY
