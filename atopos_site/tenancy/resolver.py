"""Host header -> tenant, with a small per-process cache.

A miss costs two queries; answers (including "unknown") are cached for
``ATOPOS_TENANT_CACHE_SECONDS`` and dropped at once when a tenant or domain is
saved or deleted in this process.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings

from atopos_site.tenancy.models import TenantDomain
from atopos_site.tenancy.policy import ResolvedTenant

# Random Host headers from scanners must not grow the cache without bound.
_MAX_ENTRIES = 1024

_lock = threading.Lock()
_cache: dict[str, tuple[float, ResolvedTenant | None]] = {}


def clear_cache() -> None:
    """Forget every cached answer (after tenant edits, and between tests)."""
    with _lock:
        _cache.clear()


def _lookup(hostname: str) -> ResolvedTenant | None:
    domain = (
        TenantDomain.objects.select_related("tenant")
        .filter(hostname=hostname, tenant__is_active=True)
        .first()
    )
    return domain.tenant.resolved() if domain is not None else None


def resolve_hostname(hostname: str) -> ResolvedTenant | None:
    """The active tenant serving ``hostname`` (already normalised), or None."""
    now = time.monotonic()
    with _lock:
        cached = _cache.get(hostname)
    if cached is not None and cached[0] > now:
        return cached[1]
    tenant = _lookup(hostname)
    ttl = settings.ATOPOS_TENANT_CACHE_SECONDS
    if ttl > 0:
        with _lock:
            if len(_cache) >= _MAX_ENTRIES:
                _cache.clear()
            _cache[hostname] = (now + ttl, tenant)
    return tenant
