"""Every close code the relay uses is one its WebSocket server will actually send.

autobahn, under daphne, refuses to send any code but 1000 and 3000-4999: a
relay that closed with 1013 raised inside daphne instead, and the member sat on
an open socket that no longer carried the room (a Redis restart showed it).
"""

from __future__ import annotations

import pytest
from autobahn.twisted.websocket import WebSocketServerProtocol
from autobahn.websocket.protocol import WebSocketProtocol

from atopos_protocol.frames import CloseCode


@pytest.mark.parametrize("code", list(CloseCode), ids=lambda code: code.name)
def test_daphne_can_send_the_close_code(code: CloseCode) -> None:
    protocol = WebSocketServerProtocol()
    # Closed already: sendClose checks the code, then sends nothing.
    protocol.state = WebSocketProtocol.STATE_CLOSED
    protocol.sendClose(code=int(code))


def test_a_code_outside_the_sendable_ranges_is_refused() -> None:
    protocol = WebSocketServerProtocol()
    protocol.state = WebSocketProtocol.STATE_CLOSED
    with pytest.raises(Exception, match="invalid close code 1013"):
        protocol.sendClose(code=1013)
