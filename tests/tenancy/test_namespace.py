"""Every tenant's Redis keys live under its own prefix."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from atopos_site.tenancy.namespace import SLUG_PATTERN, TenantNamespace

slugs = st.from_regex(SLUG_PATTERN, fullmatch=True)
parts = st.lists(st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True), min_size=1, max_size=3)


def test_keys_start_with_the_tenant():
    """The same room in two tenants gets two different keys."""
    alpha, beta = TenantNamespace("alpha"), TenantNamespace("beta")
    assert alpha.key("room", "abc123", "shard") == "atopos:alpha:room:abc123:shard"
    assert alpha.key("room", "abc123") != beta.key("room", "abc123")


@given(slugs, slugs, parts, parts)
def test_distinct_tenants_or_parts_never_share_a_key(slug_a, slug_b, parts_a, parts_b):
    """Property: (tenant, parts) -> key is injective."""
    assume((slug_a, parts_a) != (slug_b, parts_b))
    a, b = TenantNamespace(slug_a), TenantNamespace(slug_b)
    assert a.key(*parts_a) != b.key(*parts_b)


@pytest.mark.parametrize("bad_slug", ["Alpha", "al:pha", "al.pha", "-alpha", "", "a" * 33])
def test_slugs_that_could_break_out_of_their_namespace_are_refused(bad_slug):
    """Separators, capitals and over-long slugs are rejected."""
    with pytest.raises(ValueError, match="tenant slug"):
        TenantNamespace(bad_slug)


@pytest.mark.parametrize("bad_part", ["a:b", "a.b", "", "x" * 65, "ro om"])
def test_parts_cannot_contain_separators(bad_part):
    """A part with ':' or '.' could forge another name, so it is refused."""
    with pytest.raises(ValueError, match="namespace part"):
        TenantNamespace("alpha").key("room", bad_part)
