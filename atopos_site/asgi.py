"""The ASGI application daphne serves: Django for HTTP, Channels for WebSockets.

Django's ASGI app is built first so that settings and apps are ready before
any consumer module is imported (channels' documented order).
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atopos_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from atopos_site.client_address import TrustedProxyMiddleware  # noqa: E402
from atopos_site.tenancy.asgi import TenantOriginValidator, TenantScopeMiddleware  # noqa: E402
from rooms.routing import websocket_router  # noqa: E402

if not settings.REDIS_URLS:
    raise ImproperlyConfigured(
        "REDIS_URL is unset: start the site with `make run`, which starts an embedded Redis, "
        "or point REDIS_URL at a Redis server"
    )

# Outermost, so Django (REMOTE_ADDR) and the relay's rate limits both see the
# client a trusted proxy forwarded, never an address a client wrote itself.
application = TrustedProxyMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": TenantScopeMiddleware(TenantOriginValidator(websocket_router)),
        }
    )
)
