"""A tenant's policy is validated when saved and read back as a plain value."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from atopos_protocol.routing_modes import RoutingMode
from atopos_site.tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def test_policy_reflects_every_field(beta):
    """TTLs, size, modes, join rule and rate limits all come through."""
    policy = beta.policy()
    assert policy.default_room_ttl_seconds == 1800
    assert policy.max_room_ttl_seconds == 3 * 86400
    assert policy.max_members_per_room == 50
    assert policy.routing_modes == frozenset({RoutingMode.DIRECT, RoutingMode.TOR})
    assert policy.default_join_rule == "approval"
    assert policy.rate_limits.messages_per_minute == 300


@pytest.mark.parametrize(
    ("requested", "granted"), [(None, 3600), (0, 3600), (600, 600), (10**9, 7200)]
)
def test_room_lifetime_is_clamped_to_the_tenant_maximum(alpha, requested, granted):
    """No request can outlive the tenant's maximum; none means the default."""
    assert alpha.policy().clamp_room_ttl(requested) == granted


def test_default_lifetime_above_maximum_is_invalid():
    """The model refuses a default TTL longer than its maximum."""
    tenant = Tenant(slug="x", display_name="X", default_room_ttl_seconds=7200,
                    max_room_ttl_seconds=3600)  # fmt: skip
    with pytest.raises(ValidationError, match="default room lifetime exceeds the maximum"):
        tenant.full_clean()


def test_a_tenant_must_allow_some_routing_mode():
    """With every mode switched off no room could exist, so it is refused."""
    tenant = Tenant(slug="x", display_name="X", allow_direct=False, allow_tor=False,
                    allow_mix=False)  # fmt: skip
    with pytest.raises(ValidationError, match="Allow at least one routing mode"):
        tenant.full_clean()


def test_the_database_enforces_the_same_rules():
    """Even a write that skips validation cannot store an impossible policy."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Tenant.objects.create(slug="x", display_name="X", default_room_ttl_seconds=7200,
                              max_room_ttl_seconds=3600)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Tenant.objects.create(slug="y", display_name="Y", allow_direct=False, allow_tor=False,
                              allow_mix=False)  # fmt: skip


def test_domains_are_stored_normalised(alpha):
    """A hostname saved in any case or with a trailing dot is stored canonically."""
    domain = alpha.domains.create(hostname="Chat.Alpha.Localhost.")
    domain.refresh_from_db()
    assert domain.hostname == "chat.alpha.localhost"
