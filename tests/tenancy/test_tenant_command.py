"""`manage.py tenant add|list|remove` manages tenants with clear errors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from atopos_site.tenancy.models import Tenant, TenantDomain

pytestmark = pytest.mark.django_db


def run(*arguments: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("tenant", *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_add_creates_a_tenant_with_its_domains_and_policy():
    """Every option lands in the saved tenant."""
    out, _ = run(
        "add", "gamma", "--name", "Gamma Group", "--domain", "Gamma.Localhost",
        "--domain", "chat.gamma.localhost", "--default-ttl", "600", "--max-ttl", "3600",
        "--max-members", "12", "--modes", "direct,mix", "--join-rule", "invite",
        "--messages-per-minute", "600", "--joins-per-minute", "40", "--rooms-per-hour", "5",
    )  # fmt: skip
    tenant = Tenant.objects.get(slug="gamma")
    policy = tenant.policy()
    assert out == "Added tenant gamma for gamma.localhost, chat.gamma.localhost.\n"
    assert tenant.display_name == "Gamma Group"
    assert set(tenant.domains.values_list("hostname", flat=True)) == {
        "gamma.localhost",
        "chat.gamma.localhost",
    }
    assert (policy.default_room_ttl_seconds, policy.max_room_ttl_seconds) == (600, 3600)
    assert policy.max_members_per_room == 12
    assert {mode.value for mode in policy.routing_modes} == {"direct", "mix"}
    assert policy.default_join_rule == "invite"
    assert policy.rate_limits.messages_per_minute == 600
    assert policy.rate_limits.joins_per_minute == 40
    assert policy.rate_limits.rooms_per_hour == 5


def test_add_refuses_a_taken_slug_unless_asked_to_skip(alpha):
    """A duplicate slug is an error, or a no-op with --if-absent."""
    with pytest.raises(CommandError, match="a tenant with slug 'alpha' already exists"):
        run("add", "alpha", "--domain", "other.localhost")
    out, _ = run("add", "alpha", "--domain", "other.localhost", "--if-absent")
    assert out == "Tenant alpha already exists; left unchanged.\n"
    assert not TenantDomain.objects.filter(hostname="other.localhost").exists()


def test_add_refuses_a_domain_another_tenant_serves(alpha):
    """One hostname serves one tenant."""
    with pytest.raises(CommandError, match=r"already serving another tenant: alpha\.localhost"):
        run("add", "delta", "--domain", "ALPHA.localhost")
    assert not Tenant.objects.filter(slug="delta").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["Bad_Slug", "--domain", "x.localhost"], r"invalid tenant: slug"),
        (["ok", "--domain", "not a host"], r"is not a valid hostname"),
        (["ok", "--domain", "x.localhost", "--modes", "direct,carrier-pigeon"], r"--modes takes"),
        (["ok", "--domain", "x.localhost", "--default-ttl", "7200", "--max-ttl", "3600"],
         r"default room lifetime exceeds the maximum"),
        (["ok", "--domain", "x.localhost", "--max-members", "1"], r"max_members_per_room"),
    ],
)  # fmt: skip
def test_add_explains_invalid_input_and_saves_nothing(arguments, message):
    """Bad slugs, hostnames, modes or policies are refused with a reason."""
    with pytest.raises(CommandError, match=message):
        run("add", *arguments)
    assert not Tenant.objects.exists()


def test_add_warns_about_domains_outside_allowed_hosts(settings):
    """A domain Django would refuse is saved, with a warning to fix ALLOWED_HOSTS."""
    settings.ALLOWED_HOSTS = [".localhost"]
    _, err = run("add", "omega", "--domain", "chat.omega.example")
    assert "Warning: chat.omega.example is not in ALLOWED_HOSTS" in err


def test_list_shows_domains_and_policy(alpha, beta):
    """Each tenant is listed with its hostnames, room policy and limits."""
    out, _ = run("list")
    assert "alpha  'Alpha Chat'\n  domains: alpha.localhost\n" in out
    assert "up to 8 members, join rule open, modes direct,mix,tor" in out
    assert "beta  'Beta Rooms'\n  domains: beta.localhost, www.beta.localhost\n" in out
    assert "join rule approval, modes direct,tor" in out


def test_list_with_no_tenants_says_how_to_add_one():
    """An empty deployment gets a hint rather than silence."""
    out, _ = run("list")
    assert "No tenants yet" in out


def test_remove_deletes_the_tenant_and_its_domains(alpha, beta):
    """Removing a tenant frees its hostnames; others are untouched."""
    out, _ = run("remove", "alpha")
    assert out == "Removed tenant alpha and its domains.\n"
    assert list(Tenant.objects.values_list("slug", flat=True)) == ["beta"]
    assert not TenantDomain.objects.filter(hostname="alpha.localhost").exists()


def test_remove_of_a_missing_tenant_is_an_error():
    """Removing what does not exist says so."""
    with pytest.raises(CommandError, match="no tenant with slug 'ghost'"):
        run("remove", "ghost")
