"""Fixtures shared by the whole suite: tenants as personas, a clean Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from atopos_site.tenancy import resolver
from atopos_site.tenancy.models import Tenant, TenantDomain


@pytest.fixture(autouse=True)
def _fresh_tenant_cache() -> Iterator[None]:
    """Rolled-back test data must not survive in the Host -> tenant cache."""
    resolver.clear_cache()
    yield
    resolver.clear_cache()


def make_tenant(slug: str, hostnames: list[str], **fields: Any) -> Tenant:
    """A saved tenant serving ``hostnames``."""
    tenant = Tenant(slug=slug, display_name=fields.pop("display_name", slug.title()), **fields)
    tenant.full_clean()
    tenant.save()
    for hostname in hostnames:
        TenantDomain.objects.create(tenant=tenant, hostname=hostname)
    return tenant


@pytest.fixture
def alpha(db: None) -> Tenant:
    """A small, short-lived tenant on alpha.localhost."""
    return make_tenant(
        "alpha",
        ["alpha.localhost"],
        display_name="Alpha Chat",
        default_room_ttl_seconds=3600,
        max_room_ttl_seconds=2 * 3600,
        max_members_per_room=8,
    )


@pytest.fixture
def beta(db: None) -> Tenant:
    """A larger tenant on beta.localhost and www.beta.localhost, without mix mode."""
    return make_tenant(
        "beta",
        ["beta.localhost", "www.beta.localhost"],
        display_name="Beta Rooms",
        default_room_ttl_seconds=1800,
        max_room_ttl_seconds=3 * 86400,
        max_members_per_room=50,
        allow_mix=False,
        default_join_rule="approval",
    )


@pytest.fixture
async def thread_connections_closed() -> AsyncIterator[None]:
    """Close database connections opened in asgiref's worker thread after the test.

    channels' test communicator disables close_old_connections (production
    code closes them); without this, PostgreSQL refuses to drop the test
    database while that thread still holds a connection.
    """
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """The real Redis the suite runs against, emptied before and after the test."""
    client = redis.Redis.from_url(settings.REDIS_URLS[0])
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
async def relay(alpha, redis_client, thread_connections_closed):
    """A tenant on alpha.localhost and an empty Redis."""
    return alpha
