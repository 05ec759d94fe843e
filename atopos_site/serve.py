"""Run daphne on the Atopos ASGI application, with an access log free of addresses.

`python -m atopos_site.serve [daphne options]` takes daphne's options (bind,
port, proxy headers, timeouts...). Daphne's own access log starts every line
with the client's address; this one writes "-" there and passes the request
line through the same redaction as every other log record.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from daphne.access import AccessLogGenerator
from daphne.cli import CommandLineInterface
from daphne.server import Server

from atopos_site.backpressure import SheddingWebSocketProtocol
from atopos_site.log_redaction import redact

APPLICATION = "atopos_site.asgi:application"
# PROTOCOL §5.5: the transport drops a connection that sends a frame over 64 KiB.
# Given first, so an operator's own flags still win.
DEFAULT_OPTIONS = ("--websocket-max-message-size", "65536", "--websocket-max-frame-size", "65536")


class AddressFreeAccessLog(AccessLogGenerator):  # type: ignore[misc]  # daphne is untyped
    """NCSA-style lines with "-" where the client address would be."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)

    def write_entry(
        self,
        host: Any,
        date: dt.datetime,
        request: str,
        status: int | None = None,
        length: int | None = None,
        ident: str | None = None,
        user: str | None = None,
    ) -> None:
        """Write one line; ``host``, ``ident`` and ``user`` are never printed."""
        del host, ident, user
        self.stream.write(
            f'- - - [{date.strftime("%d/%b/%Y:%H:%M:%S")}] "{redact(request)}"'
            f" {status or '-'} {length or '-'}\n"
        )


class AtoposServer(Server):  # type: ignore[misc]  # daphne is untyped
    """Daphne's server with an address-free access log and slow-reader shedding."""

    def __init__(self, *args: Any, action_logger: Any = None, **kwargs: Any) -> None:
        if action_logger is not None:
            action_logger = AddressFreeAccessLog(action_logger.stream)
        super().__init__(*args, action_logger=action_logger, **kwargs)

    @property
    def ws_factory(self) -> Any:
        """The WebSocket factory daphne builds in run(), making our protocol."""
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory: Any) -> None:
        factory.protocol = SheddingWebSocketProtocol
        self._ws_factory = factory


class AtoposCommandLine(CommandLineInterface):  # type: ignore[misc]  # daphne is untyped
    """Daphne's command line, building :class:`AtoposServer`."""

    server_class = AtoposServer


def main(argv: Sequence[str] | None = None) -> None:
    """Serve Atopos with daphne's options from ``argv``."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    AtoposCommandLine().run([*DEFAULT_OPTIONS, *arguments, APPLICATION])


if __name__ == "__main__":
    main()
