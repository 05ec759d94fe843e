"""A real daphne, at full verbosity, logs nothing of a client's address or room routes."""

from __future__ import annotations

import asyncio
import os

import pytest
import websockets

from atopos_client.link import Link
from tests.support.live_site import LiveSite, live_site
from tests.support.processes import http_get

pytestmark = pytest.mark.integration

CLIENT_V4 = "203.0.113.77"
CLIENT_V6 = "2001:db8:0:7::77"
ROOM_SECRET_PATH = "/r/S3cretRoomIdZ7x"
# A room link with "%23" typed for "#": the key travels in the request's path.
KEY_IN_PATH = Link(os.urandom(32), os.urandom(16))
KEY_IN_PATH_PATH = "/r/%23" + KEY_IN_PATH.fragment()


def fetch(site: LiveSite, path: str, forwarded_for: str, host: str = "localhost") -> int:
    status, _, _ = http_get(site.port, path, host, {"X-Forwarded-For": forwarded_for})
    return status


async def open_socket(site: LiveSite, forwarded_for: str) -> None:
    """Open a room socket (refused for now): daphne still logs the attempt."""
    try:
        async with websockets.connect(
            f"ws://localhost:{site.port}/ws/v1",
            origin=websockets.Origin("http://localhost"),
            additional_headers={"X-Forwarded-For": forwarded_for},
        ):
            pass
    except websockets.InvalidStatus:
        pass


@pytest.fixture(scope="module")
def chatty_site(tmp_path_factory):
    """A live site believing X-Forwarded-For from loopback, with every logger at DEBUG."""
    with live_site(
        tmp_path_factory.mktemp("logs"),
        env={"ATOPOS_LOG_LEVEL": "DEBUG", "ATOPOS_TRUSTED_PROXIES": "127.0.0.1, ::1"},
        serve_arguments=["-v", "2"],
    ) as site:
        assert fetch(site, "/", CLIENT_V4) == 200
        assert fetch(site, "/security/", CLIENT_V6) == 200
        assert fetch(site, ROOM_SECRET_PATH, CLIENT_V4) == 404
        assert fetch(site, KEY_IN_PATH_PATH, CLIENT_V4) == 200  # the page reads the link
        assert fetch(site, "/", CLIENT_V4, host="unknown.localhost") == 404
        asyncio.run(open_socket(site, CLIENT_V4))
        yield site
    # The fixture's body ends before the process stops; the output is complete
    # once live_site() has waited for it.


@pytest.fixture(scope="module")
def log_output(chatty_site) -> str:
    return chatty_site.output()


def test_logs_were_actually_written(log_output):
    """The capture is real: requests and the socket attempt appear in it."""
    assert '"GET /" 200' in log_output
    assert '"GET /security/" 200' in log_output
    assert "WSCONNECTING /ws/[redacted]" in log_output or "WSREJECT /ws/[redacted]" in log_output
    assert "DEBUG" in log_output


@pytest.mark.parametrize("address", [CLIENT_V4, CLIENT_V6, "127.0.0.1"])
def test_no_client_address_appears_anywhere(log_output, address):
    """Neither the forwarded addresses nor the loopback peer are in any line."""
    assert address not in log_output


def test_room_routes_are_redacted(log_output):
    """What followed /r/ in a requested path is not in the log."""
    assert "S3cretRoomIdZ7x" not in log_output
    assert "/r/[redacted]" in log_output


def test_a_key_sent_in_the_path_leaves_no_trace(log_output):
    """A link opened with "%23" for "#" put its key in the request line: no piece of the
    key or of the genesis hash, in any encoding, is in the log."""
    _, key, genesis_hash = KEY_IN_PATH.fragment().split(".")
    pieces = {part[start : start + 8] for part in (key, genesis_hash) for start in range(0, 15)}
    assert not [piece for piece in pieces if piece in log_output]
    assert "GET /r/[redacted]" in log_output
