"""daphne bench.tutorial.asgi:application — a room relay written as the tutorial shows."""

from __future__ import annotations

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.tutorial.settings"  # never the site's
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class TutorialRelay(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """Joins the room's group and relays every binary frame to it, unmodified."""

    async def connect(self) -> None:
        self.group = "room_" + self.scope["url_route"]["kwargs"]["room"]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.channel_layer.group_send(
            self.group, {"type": "relay.frame", "frame": bytes_data, "sender": self.channel_name}
        )

    async def relay_frame(self, event: dict[str, Any]) -> None:
        if event["sender"] != self.channel_name:
            await self.send(bytes_data=event["frame"])


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("room/<str:room>", TutorialRelay.as_asgi())]),
    }
)
