"""Record every WebSocket message the Python client sends and receives."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar
from unittest import mock
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect

from atopos_client import connection as client_connection

LOOPBACK = "127.0.0.1"


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


def _as_bytes(message: bytes | str) -> bytes:
    return message.encode() if isinstance(message, str) else bytes(message)


class RecordingConnection(ClientConnection):
    """A client connection that keeps what it sent and received (and adds it to ``log``)."""

    log: ClassVar[WireLog | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[bytes] = []
        self.received: list[bytes] = []

    async def send(self, message: Any, text: bool | None = None) -> None:
        if isinstance(message, bytes | str):
            self.sent.append(_as_bytes(message))
            if self.log is not None:
                self.log.add("python", "sent", message)
        await super().send(message, text=text)

    async def recv(self, decode: bool | None = None) -> Any:
        message = await super().recv(decode)
        self.received.append(_as_bytes(message))
        if self.log is not None:
            self.log.add("python", "received", message)
        return message


def loopback_options(url: str) -> dict[str, Any]:
    """Where to open the TCP connection for ``url``: loopback for a *.localhost name.

    Chromium sends every *.localhost name to loopback; Python's resolver may
    not, so tenants added on such names are reached this way.
    """
    parts = urlsplit(url)
    if parts.hostname and parts.hostname.endswith(".localhost"):
        return {"host": LOOPBACK, "port": parts.port or (443 if parts.scheme == "wss" else 80)}
    return {}


@contextmanager
def recording_python_clients(log: WireLog | None = None) -> Iterator[None]:
    """While open, every RoomClient connection records its messages (into ``log`` too)."""
    connection_class = type("LoggedConnection", (RecordingConnection,), {"log": log})

    def recording_connect(uri: str, **options: Any) -> Any:
        options.pop("create_connection", None)
        return connect(uri, create_connection=connection_class, **loopback_options(uri), **options)

    with mock.patch.object(client_connection, "connect", recording_connect):
        yield
