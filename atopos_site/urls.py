"""Public routes of every tenant domain.

The admin is not here: it answers only on ATOPOS_ADMIN_HOST (atopos_site.admin_urls).
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path

from atopos_site import pages
from rooms import views as room_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", room_views.home, name="home"),
    path("r/", room_views.room, name="room"),
    # A link with "%23" typed for "#": the browser sent the key in the path. The page
    # reads it, cleans the address bar and says so; the log filter redacts all of /r/….
    re_path(r"^r/#", room_views.room, name="room-key-in-path"),
    path("security/", pages.security, name="security"),
    path("security/evidence/", include("evidence.urls")),
    path("threat-model/", pages.threat_model, name="threat-model"),
    path("disclosure/", pages.disclosure, name="disclosure"),
    path(".well-known/security.txt", pages.security_txt, name="security-txt"),
    path("robots.txt", pages.robots_txt, name="robots-txt"),
    path("favicon.ico", pages.favicon, name="favicon"),
]
