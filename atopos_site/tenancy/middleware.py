"""HTTP: find the tenant for the Host header, or answer 404 without a hint.

The Host is read once, here, through Django's own ``get_host()`` (so
ALLOWED_HOSTS applies) and our normaliser. A host Django would refuse with a
400 and a logged traceback gets the same silent, fixed 404 as an unknown one.

The operator host (ATOPOS_ADMIN_HOST) is no tenant: its requests get the
admin's URL configuration (atopos_site.admin_urls) and no tenant, so the
admin never shares an origin with room pages, and tenant domains have no
admin route at all.

A tenant with an onion service (``onion_location``) gets an Onion-Location
header on its HTML pages here, once the page is made (atopos_site.tenancy.onion).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotFound

from atopos_site.tenancy.hostnames import CanonicalHost, canonical_host
from atopos_site.tenancy.onion import onion_location_for
from atopos_site.tenancy.policy import ResolvedTenant
from atopos_site.tenancy.resolver import resolve_hostname

# The same bytes for every unknown, inactive or malformed host, so a response
# says nothing about which tenants exist.
ADMIN_URLCONF = "atopos_site.admin_urls"

UNKNOWN_HOST_BODY = (
    b'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Not found</title>'
    b"</head><body><h1>Not found</h1></body></html>\n"
)


def unknown_host_response() -> HttpResponse:
    """The fixed 404 for a host that no active tenant serves."""
    return HttpResponseNotFound(UNKNOWN_HOST_BODY, content_type="text/html; charset=utf-8")


def tenant_of(request: HttpRequest) -> ResolvedTenant:
    """The tenant TenantMiddleware attached to ``request``."""
    tenant: ResolvedTenant = request.tenant  # type: ignore[attr-defined]  # set by TenantMiddleware
    return tenant


def request_host(request: HttpRequest) -> CanonicalHost | None:
    """The request's canonical host, or None for a missing, refused or malformed Host."""
    # Without a Host header, get_host() would fall back to the server's own
    # name; a request that names no host is not for any tenant.
    if not request.META.get("HTTP_HOST"):
        return None
    try:
        return canonical_host(request.get_host())
    except DisallowedHost:
        return None


class TenantMiddleware:
    """Attaches ``request.tenant``; unknown hosts stop here with a 404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """Resolve the raw Host header before anything else reads it."""
        host = request_host(request)
        if host is not None and host.hostname == settings.ATOPOS_ADMIN_HOST:
            request.urlconf = ADMIN_URLCONF  # type: ignore[attr-defined]  # read by Django's handler
            return self.get_response(request)
        tenant = resolve_hostname(host.hostname) if host is not None else None
        if host is None or tenant is None:
            return unknown_host_response()
        request.tenant = tenant  # type: ignore[attr-defined]  # read back through tenant_of()
        response = self.get_response(request)
        location = onion_location_for(request, response, host.hostname, tenant.onion_location)
        if location is not None:
            response["Onion-Location"] = location
        return response
