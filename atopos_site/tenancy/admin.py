"""Tenants in the Django admin (staff only, at ATOPOS_ADMIN_PATH)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from atopos_site.tenancy.checks import domains_outside_allowed_hosts
from atopos_site.tenancy.models import Tenant, TenantDomain

if TYPE_CHECKING:  # the admin classes are generic only in django-stubs
    DomainInlineBase = admin.TabularInline[TenantDomain, Tenant]
    TenantAdminBase = admin.ModelAdmin[Tenant]
else:
    DomainInlineBase = admin.TabularInline
    TenantAdminBase = admin.ModelAdmin


class TenantDomainInline(DomainInlineBase):
    model = TenantDomain
    extra = 1
    min_num = 1


@admin.register(Tenant)
class TenantAdmin(TenantAdminBase):
    list_display = ("slug", "display_name", "is_active", "domain_list", "max_members_per_room")
    list_filter = ("is_active",)
    search_fields = ("slug", "display_name", "domains__hostname")
    inlines = (TenantDomainInline,)
    fieldsets = (
        (None, {"fields": ("slug", "display_name", "is_active")}),
        (
            "Rooms",
            {
                "fields": (
                    ("default_room_ttl_seconds", "max_room_ttl_seconds"),
                    "max_members_per_room",
                    "default_join_rule",
                    ("allow_direct", "allow_tor", "allow_mix"),
                )
            },
        ),
        ("Rate limits", {"fields": ("messages_per_minute", "joins_per_minute", "rooms_per_hour")}),
        ("Tor", {"fields": ("onion_location",)}),
    )

    @admin.display(description="Domains")
    def domain_list(self, tenant: Tenant) -> str:
        """The tenant's hostnames, comma-separated."""
        return ", ".join(domain.hostname for domain in tenant.domains.all())

    def save_related(
        self,
        request: HttpRequest,
        form: Any,
        formsets: list[BaseInlineFormSet[Any, Any, Any]],
        change: bool,
    ) -> None:
        """Save, then warn about domains Django would refuse for ALLOWED_HOSTS."""
        super().save_related(request, form, formsets, change)
        tenant: Tenant = form.instance
        hostnames = tenant.domains.values_list("hostname", flat=True)
        for hostname in domains_outside_allowed_hosts(hostnames):
            self.message_user(
                request,
                f"{hostname} is not in ALLOWED_HOSTS yet: requests to it are refused until it is.",
                messages.WARNING,
            )
