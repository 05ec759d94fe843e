"""Record every WebSocket message the Python client sends and receives."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from websockets.asyncio.client import ClientConnection, connect

from rooms.client import connection as client_connection


@dataclass(frozen=True)
class WireFrame:
    """One WebSocket message as it crossed the wire: who saw it, which way, its bytes."""

    source: str  # "python" or "browser"
    direction: str  # "sent" (client to server) or "received"
    data: bytes

    @property
    def kind(self) -> int | None:
        return self.data[1] if len(self.data) > 1 else None


@dataclass
class WireLog:
    """Every message of every recorded connection, in order."""

    frames: list[WireFrame] = field(default_factory=list)

    def add(self, source: str, direction: str, data: bytes | str) -> None:
        payload = data.encode() if isinstance(data, str) else bytes(data)
        self.frames.append(WireFrame(source, direction, payload))


@contextmanager
def recording_python_clients(log: WireLog) -> Iterator[None]:
    """While open, every RoomClient connection records its messages into ``log``."""

    class RecordingConnection(ClientConnection):
        async def send(self, message: Any, text: bool | None = None) -> None:
            if isinstance(message, bytes | str):
                log.add("python", "sent", message)
            await super().send(message, text=text)

        async def recv(self, decode: bool | None = None) -> Any:
            message = await super().recv(decode)
            log.add("python", "received", message)
            return message

    def recording_connect(uri: str, **options: Any) -> Any:
        return connect(uri, create_connection=RecordingConnection, **options)

    with mock.patch.object(client_connection, "connect", recording_connect):
        yield
