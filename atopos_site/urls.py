"""Public routes; the admin only when ATOPOS_ADMIN_PATH is set."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from atopos_site import pages
from rooms import views as room_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", room_views.home, name="home"),
    path("r/", room_views.room, name="room"),
    path("security/", pages.security, name="security"),
    path("security/evidence/", include("evidence.urls")),
    path("threat-model/", pages.threat_model, name="threat-model"),
    path("disclosure/", pages.disclosure, name="disclosure"),
    path(".well-known/security.txt", pages.security_txt, name="security-txt"),
    path("robots.txt", pages.robots_txt, name="robots-txt"),
]

if settings.ATOPOS_ADMIN_PATH:
    admin.site.site_header = "Atopos operations"
    admin.site.site_title = "Atopos operations"
    urlpatterns.append(path(f"{settings.ATOPOS_ADMIN_PATH}/", admin.site.urls))
