from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _forget_cached_tenants(**_kwargs: Any) -> None:
    from atopos_site.tenancy.resolver import clear_cache

    clear_cache()


class TenancyConfig(AppConfig):
    name = "atopos_site.tenancy"
    label = "tenancy"
    verbose_name = "Tenants"

    def ready(self) -> None:
        from atopos_site.tenancy import checks  # noqa: F401 -- registers the system check
        from atopos_site.tenancy.models import Tenant, TenantDomain

        for model in (Tenant, TenantDomain):
            post_save.connect(_forget_cached_tenants, sender=model, dispatch_uid=f"forget-{model}")
            post_delete.connect(
                _forget_cached_tenants, sender=model, dispatch_uid=f"forget-del-{model}"
            )
