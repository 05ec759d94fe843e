"""`manage.py check --database default` warns about domains Django would refuse."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError
from django.http.request import validate_host


def domains_outside_allowed_hosts(hostnames: Iterable[str]) -> list[str]:
    """The tenant hostnames that ALLOWED_HOSTS does not cover (they get the unknown-host 404)."""
    return [name for name in hostnames if not validate_host(name, settings.ALLOWED_HOSTS)]


@register(Tags.database)
def check_tenant_domains_allowed(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **_kwargs: Any,
) -> list[CheckMessage]:
    """Every tenant domain must also be in ALLOWED_HOSTS (only with --database)."""
    from atopos_site.tenancy.models import TenantDomain

    if not databases or "default" not in databases:
        return []
    try:
        hostnames = list(TenantDomain.objects.values_list("hostname", flat=True))
    except DatabaseError:
        return []  # not migrated yet: `migrate` runs the checks before creating tables
    return [
        Warning(
            f"Tenant domain {name} is not covered by ALLOWED_HOSTS;"
            " requests to it get the unknown-host 404.",
            hint="Add it (or a parent domain with a leading '.') to the ALLOWED_HOSTS variable.",
            id="tenancy.W001",
        )
        for name in domains_outside_allowed_hosts(hostnames)
    ]
