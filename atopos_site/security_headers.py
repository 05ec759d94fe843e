"""Response headers that every Atopos response carries, whatever produced it.

django-csp writes Content-Security-Policy; Django's SecurityMiddleware adds
HSTS on secure requests in production. This middleware sits outermost so the
404 for an unknown host, static files and error pages get the same headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from atopos_site.admin_policy import ADMIN_REFERRER_POLICY, on_operator_host

# Every powerful feature is denied to our pages and to anything they embed.
# Only features Chromium and Firefox recognise are listed: an unknown name
# makes the browser print an error on every page load.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "gamepad",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-create",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "storage-access",
    "usb",
    "window-management",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


def security_headers() -> dict[str, str]:
    """The fixed headers of public pages, read from settings where Django has a setting."""
    return {
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
        "Cross-Origin-Resource-Policy": "same-origin",
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "Permissions-Policy": PERMISSIONS_POLICY,
    }


def admin_security_headers() -> dict[str, str]:
    """The operator host's headers: the public ones with a same-origin referrer policy."""
    return {**security_headers(), "Referrer-Policy": ADMIN_REFERRER_POLICY}


GetResponse = Callable[[HttpRequest], HttpResponseBase]
AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


class SecurityHeadersMiddleware:
    """Sets :func:`security_headers` on every response, replacing weaker values.

    Responses on the operator host get :func:`admin_security_headers` instead.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse | AsyncGetResponse) -> None:
        self.get_response = get_response
        self.headers = security_headers()
        self.admin_headers = admin_security_headers()
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        """Pass the request on and stamp the headers on whatever comes back."""
        if self.is_async:
            return self._acall(request)
        return self._stamp(request, cast(GetResponse, self.get_response)(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        return self._stamp(request, await cast(AsyncGetResponse, self.get_response)(request))

    def _stamp(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        # Read after the response: TenantMiddleware, further in, marks the operator host.
        headers = self.admin_headers if on_operator_host(request) else self.headers
        for name, value in headers.items():
            response[name] = value
        return response
