"""WebSocket routes; anything unrouted is refused like a bad origin."""

from __future__ import annotations

from channels.routing import URLRouter
from django.urls import path, re_path

from atopos_site.routes import ROOM_SOCKET_PATH
from atopos_site.tenancy.asgi import refuse_websocket
from rooms.consumers import RoomConsumer

websocket_urlpatterns = [
    path(ROOM_SOCKET_PATH.lstrip("/"), RoomConsumer.as_asgi()),
    # Channels routes ASGI callables through Django's patterns, typed for views.
    re_path(r"", refuse_websocket),  # type: ignore[arg-type]
]

websocket_router = URLRouter(websocket_urlpatterns)
