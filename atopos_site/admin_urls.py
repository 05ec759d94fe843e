"""The operator host's routes: the Django admin at ATOPOS_ADMIN_PATH (and /favicon.ico).

TenantMiddleware gives this URL configuration to requests for
ATOPOS_ADMIN_HOST only; tenant domains use atopos_site.urls, which has no
admin, so the admin path there is an unknown page like any other. Anything
else on the operator host gets the fixed unknown-host 404, except the icon
browsers ask for by themselves.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from atopos_site import pages
from atopos_site.admin_forms import ThrottledAdminAuthenticationForm
from atopos_site.tenancy.middleware import unknown_host_response

admin.site.site_header = "Atopos operations"
admin.site.site_title = "Atopos operations"
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns: list[URLPattern | URLResolver] = [path("favicon.ico", pages.favicon, name="favicon")]
if settings.ATOPOS_ADMIN_PATH:
    urlpatterns.append(path(f"{settings.ATOPOS_ADMIN_PATH}/", admin.site.urls))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The fixed 404: the operator host has no public pages to link back to."""
    del request, exception
    return unknown_host_response()


handler404 = not_found
