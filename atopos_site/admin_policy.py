"""What the operator admin's responses need that public pages must not have.

The admin is Django's own, on its own host (ATOPOS_ADMIN_HOST), which no room
page shares. Two of the public pages' headers break it in Chromium:

* ``Referrer-Policy: no-referrer`` makes Chromium send ``Origin: null`` on
  the admin's form POSTs, and Django's CSRF check rightly refuses that
  origin. ``same-origin`` sends the real origin to the admin itself and
  still nothing to any other site.
* Trusted Types: jQuery, which the admin's scripts need, writes HTML strings
  to ``innerHTML`` while it loads, which a page requiring Trusted Types
  refuses, so jQuery never defines itself. The admin's policy drops that
  requirement and nothing else: scripts, styles and connections from the
  admin's own origin only, no inline script, no eval, no framing.
"""

from __future__ import annotations

from django.http import HttpRequest

from atopos_site.tenancy.middleware import ADMIN_URLCONF

ADMIN_REFERRER_POLICY = "same-origin"
# django-csp removes a directive whose replacement is None.
ADMIN_CSP_REPLACE: dict[str, list[str] | None] = {
    "require-trusted-types-for": None,
    "trusted-types": None,
}


def on_operator_host(request: HttpRequest) -> bool:
    """True when TenantMiddleware gave ``request`` the admin's URL configuration."""
    return getattr(request, "urlconf", None) == ADMIN_URLCONF
