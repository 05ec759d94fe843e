"""Shedding slow readers: a bounded send queue per WebSocket, on daphne's transport.

An ASGI ``send`` never blocks in daphne: Twisted buffers whatever it cannot
write yet, without limit, so one member who stops reading would make the
server hold every frame of the room for them. Twisted does report when a
transport's buffer passes its high-water mark, through the producer/consumer
interface. This protocol takes the producer slot after the HTTP upgrade,
counts what is queued while the buffer is full, and closes a socket with
4200 once that passes ``SHED_AFTER_BYTES``; the other members never wait.
"""

from __future__ import annotations

from typing import Any

from daphne.ws_protocol import WebSocketProtocol
from twisted.internet.interfaces import IPushProducer
from zope.interface import implementer  # type: ignore[import-untyped]  # zope ships no hints

SLOW_READER_CLOSE_CODE = 4200  # CloseCode.SLOW_READER in atopos_protocol.frames
# Queued on top of Twisted's own 64 KiB buffer before a reader counts as gone.
SHED_AFTER_BYTES = 1024 * 1024


@implementer(IPushProducer)
class _WriteBufferWatch:
    """Told by the transport when its write buffer is full (paused) or drained (resumed)."""

    def __init__(self, protocol: SheddingWebSocketProtocol) -> None:
        self.protocol = protocol

    def pauseProducing(self) -> None:
        self.protocol.buffer_full()

    def resumeProducing(self) -> None:
        self.protocol.buffer_drained()

    def stopProducing(self) -> None:
        self.protocol.buffer_drained()


class SheddingWebSocketProtocol(WebSocketProtocol):  # type: ignore[misc]  # daphne is untyped
    """daphne's WebSocket protocol with a bound on what it queues for a slow reader."""

    backlog_bytes: int | None = None
    shed = False

    def connectionMade(self) -> None:
        """Take the transport's producer slot from the HTTP channel that upgraded it."""
        super().connectionMade()
        transport = self.transport
        if getattr(transport, "producer", None) is not None:
            transport.unregisterProducer()
        transport.registerProducer(_WriteBufferWatch(self), True)

    def buffer_full(self) -> None:
        if self.backlog_bytes is None:
            self.backlog_bytes = 0

    def buffer_drained(self) -> None:
        self.backlog_bytes = None

    def handle_reply(self, message: dict[str, Any]) -> None:
        """Count frames queued behind a full buffer; shed the reader past the bound."""
        if self.shed:
            return
        if message.get("type") == "websocket.send" and self.backlog_bytes is not None:
            self.backlog_bytes += len(message.get("bytes") or message.get("text") or b"")
            if self.backlog_bytes > SHED_AFTER_BYTES:
                self.shed_slow_reader()
                return
        super().handle_reply(message)

    def shed_slow_reader(self) -> None:
        """Close with 4200 and drop the connection: its buffer will not drain in time."""
        self.shed = True
        self.sendClose(code=SLOW_READER_CLOSE_CODE)
        self.transport.abortConnection()
