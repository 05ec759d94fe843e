"""Template context: the tenant the page is served for."""

from __future__ import annotations

from django.http import HttpRequest

from atopos_site.tenancy.policy import ResolvedTenant


def tenant(request: HttpRequest) -> dict[str, ResolvedTenant | None]:
    """``{{ tenant }}`` in every template (None only on pages outside a tenant)."""
    return {"tenant": getattr(request, "tenant", None)}
