"""Inline script elements admitted by their hash, one response at a time.

The CSP allows no inline script. The one exception is data, not code: the
room page's import map (``<script type="importmap">``, see atopos_site.sri),
which browsers treat as an inline script. A template tag that writes one
calls ``admit_inline_script``; this response's ``script-src`` then names the
SHA-384 of exactly that text, so nothing else inline (and no edited copy of
the map) runs. Responses without one keep ``script-src 'self'`` alone.
"""

from __future__ import annotations

import base64
import hashlib

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.http import HttpRequest, HttpResponseBase

from atopos_site.admin_policy import ADMIN_CSP_REPLACE, on_operator_host

_HASHES = "_atopos_inline_script_hashes"


def hash_source(text: str) -> str:
    """The CSP hash-source for an inline element whose text is ``text``."""
    digest = hashlib.sha384(text.encode("utf-8")).digest()
    return f"'sha384-{base64.b64encode(digest).decode('ascii')}'"


def admit_inline_script(request: HttpRequest, text: str) -> None:
    """Allow the inline script element holding exactly ``text`` in this request's response."""
    hashes: list[str] = getattr(request, _HASHES, [])
    hashes.append(hash_source(text))
    setattr(request, _HASHES, hashes)


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, plus the hashes of the inline elements this page admitted.

    The operator host's responses get the admin's policy (atopos_site.admin_policy).
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        hashes: list[str] = getattr(request, _HASHES, [])
        if hashes:
            update = dict(parts.update or {})
            update["script-src"] = [*update.get("script-src", []), *hashes]
            parts.update = update
        if on_operator_host(request):
            parts.replace = {**(parts.replace or {}), **ADMIN_CSP_REPLACE}
        return parts
