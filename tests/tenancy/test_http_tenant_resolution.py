"""HTTP requests are served for the tenant their Host header names, or not at all."""

from __future__ import annotations

import pytest

from atopos_site.tenancy.middleware import UNKNOWN_HOST_BODY
from atopos_site.tenancy.models import Tenant


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
