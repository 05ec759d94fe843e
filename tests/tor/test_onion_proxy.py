"""Behind the onion service, each Tor circuit is its own client, and nobody gets in unnamed.

Every onion visitor reaches the site from tor's own 127.0.0.1. deploy/tor/torrc
has tor start each connection with a PROXY protocol line naming the visitor's
circuit (``HiddenServiceExportCircuitID haproxy``), and Debian's nginx runs the
shipped deploy/nginx/atopos-onion.conf, which turns the circuit into the
client address it passes to daphne (``ATOPOS_TRUSTED_PROXIES=127.0.0.2``,
as for the clearnet template). Here the tests write the PROXY lines tor
would write, so two circuits are two connections with two lines.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import websockets

from atopos_protocol.frames import ChallengeFrame, CloseCode
from atopos_site.testing import nginx
from atopos_site.testing.nginx import nginx_available
from atopos_site.testing.onion_nginx import OnionProxy, onion_proxy
from atopos_site.testing.onion_nginx import render_template as render_onion_template
from tests.support.live_site import LiveSite, live_site

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not nginx_available(), reason="needs Debian's nginx: apt-get install nginx"),
]

JOINS_PER_MINUTE = 4


def circuit_line(circuit: int) -> bytes:
    """The PROXY line tor writes for a connection on rendezvous circuit ``circuit``."""
    high, low = circuit >> 16, circuit & 0xFFFF
    return f"PROXY TCP6 fc00:dead:beef:4dad::{high:x}:{low:x} ::1 {low} 0\r\n".encode()


# Mallory's and Bob's circuits differ only in their last bits (tor numbers circuits in
# order), so they would share an IPv6 /64 if the circuit id stayed where tor puts it.
MALLORY = circuit_line(0x2A)
BOB = circuit_line(0x2B)


@pytest.fixture(scope="module")
def onion_site(tmp_path_factory) -> Iterator[tuple[LiveSite, OnionProxy]]:
    """daphne trusting only 127.0.0.2, with the onion template's nginx in front of it."""
    directory = tmp_path_factory.mktemp("onion-nginx")
    with live_site(
        directory,
        env={"ATOPOS_TRUSTED_PROXIES": "127.0.0.2"},
        tenant_options=["--joins-per-minute", str(JOINS_PER_MINUTE)],
    ) as site, onion_proxy(directory / "proxy", site.port) as proxy:  # fmt: skip
        yield site, proxy


def connected(port: int, first_line: bytes | None) -> socket.socket:
    """A loopback connection to ``port`` that has sent ``first_line`` (as tor would)."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    if first_line is not None:
        connection.sendall(first_line)
    return connection


async def join_attempt(
    port: int, first_line: bytes | None, headers: dict[str, str] | None = None
) -> int | None:
    """Open a room socket through ``port``; None if challenged, else the close code."""
    host = f"localhost:{port}"
    async with websockets.connect(
        f"ws://{host}/ws/v1",
        sock=connected(port, first_line),
        origin=websockets.Origin(f"http://{host}"),
        additional_headers=headers or {},
        proxy=None,
        open_timeout=10,
    ) as room_socket:
        try:
            ChallengeFrame.decode(await asyncio.wait_for(room_socket.recv(decode=False), 10))
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        return None


def attempts(port: int, lines: list[bytes], headers: dict[str, str] | None = None):
    """The outcome of a join attempt for each PROXY line, in order."""

    async def scenario() -> list[int | None]:
        return [await join_attempt(port, line, headers) for line in lines]

    return asyncio.run(scenario())


def get(port: int, first_line: bytes | None, path: str = "/") -> bytes:
    """Everything the proxy answers to a GET of ``path`` on a connection led by ``first_line``."""
    with connected(port, first_line) as connection:
        connection.sendall(
            f"GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def test_an_onion_visitor_gets_the_page_through_the_proxy(onion_site):
    """A connection led by tor's PROXY line is an ordinary visitor: the home page, 200."""
    _, proxy = onion_site
    answer = get(proxy.port, circuit_line(7))
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"Create a room" in answer


def test_mallory_on_one_circuit_cannot_spend_bobs_join_budget(onion_site):
    """Mallory spends her circuit's whole join budget; Bob, on the next circuit, joins."""
    _, proxy = onion_site
    mallory = attempts(proxy.port, [MALLORY] * (JOINS_PER_MINUTE + 1))
    assert mallory == [None] * JOINS_PER_MINUTE + [CloseCode.RATE_LIMITED]
    assert attempts(proxy.port, [BOB]) == [None]


def test_circuits_that_differ_only_in_their_high_bits_are_two_clients(onion_site):
    """Circuit 0x1002a and 0x2002a: the whole 32-bit id names the client, not its low half."""
    _, proxy = onion_site
    first, second = circuit_line(0x1_002A), circuit_line(0x2_002A)
    assert attempts(proxy.port, [first] * (JOINS_PER_MINUTE + 1))[-1] == CloseCode.RATE_LIMITED
    assert attempts(proxy.port, [second]) == [None]


def test_mallory_naming_another_circuit_in_x_forwarded_for_is_still_herself(onion_site):
    """nginx replaces X-Forwarded-For with the circuit tor named: Mallory's header is dropped."""
    _, proxy = onion_site
    mallory = circuit_line(0x51)
    spent = attempts(proxy.port, [mallory] * (JOINS_PER_MINUTE + 1))
    assert spent[-1] == CloseCode.RATE_LIMITED
    spoofed = attempts(proxy.port, [mallory], {"X-Forwarded-For": "fc00:4dad:0:52::"})
    assert spoofed == [CloseCode.RATE_LIMITED]
    assert attempts(proxy.port, [circuit_line(0x52)]) == [None]


def test_a_connection_without_the_proxy_line_is_closed_unanswered(onion_site):
    """Something that reaches the onion listener without tor's line gets no HTTP answer at all:
    nginx closes the connection, so nothing reaches the relay without a circuit."""
    site, proxy = onion_site
    assert get(proxy.port, None, "/disclosure/") == b""
    # The same request led by a circuit does reach daphne, and daphne logs it: had the
    # bare one got through, its line would be there too.
    assert get(proxy.port, circuit_line(0xD15C), "/disclosure/").startswith(b"HTTP/1.1 200 ")
    deadline = time.monotonic() + 5
    while site.output().count('"GET /disclosure/') == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert site.output().count('"GET /disclosure/') == 1


def test_proxy_lines_not_in_tors_form_are_all_one_client(onion_site):
    """A PROXY line naming an ordinary address (not a circuit) is counted as the proxy itself:
    Mallory writing a fresh address on every connection still has one budget."""
    _, proxy = onion_site
    lines = [
        f"PROXY TCP4 198.51.100.{n} 127.0.0.1 5000 80\r\n".encode()
        for n in range(JOINS_PER_MINUTE + 1)
    ]
    assert attempts(proxy.port, lines) == [None] * JOINS_PER_MINUTE + [CloseCode.RATE_LIMITED]
    other_form = b"PROXY TCP6 2001:db8::1 ::1 5000 80\r\n"
    assert attempts(proxy.port, [other_form]) == [CloseCode.RATE_LIMITED]


def test_a_local_program_bypassing_nginx_is_one_client(onion_site):
    """A socket straight to daphne from 127.0.0.1 is not the trusted proxy: whatever circuit
    it claims in X-Forwarded-For, it is counted as 127.0.0.1, one budget for all of them."""
    site, _ = onion_site

    async def attempt(claimed: str) -> int | None:
        async with websockets.connect(
            f"ws://localhost:{site.port}/ws/v1",
            origin=websockets.Origin(f"http://localhost:{site.port}"),
            additional_headers={"X-Forwarded-For": claimed},
            host="127.0.0.1",
            proxy=None,
        ) as room_socket:
            try:
                ChallengeFrame.decode(await asyncio.wait_for(room_socket.recv(decode=False), 10))
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
            return None

    async def scenario() -> list[int | None]:
        return [await attempt(f"fc00:4dad:0:{n:x}::") for n in range(JOINS_PER_MINUTE + 1)]

    assert asyncio.run(scenario()) == [None] * JOINS_PER_MINUTE + [CloseCode.RATE_LIMITED]


def test_the_access_log_names_no_circuit_and_no_room(onion_site):
    """The log has the public paths, and neither the circuit id nor a room route."""
    _, proxy = onion_site
    get(proxy.port, circuit_line(0xBEEF), "/security/")
    get(proxy.port, circuit_line(0xBEEF), "/r/S3cretRoomPath")
    access = proxy.access_lines()
    assert '"GET /security/" 200' in access
    assert '"GET [room]"' in access
    for trace in ("S3cretRoomPath", "beef", "4dad", "fc00", "127.0.0"):
        assert trace not in access


def test_the_onion_template_loads_beside_the_clearnet_one(tmp_path):
    """An operator serving both (one nginx, both files in conf.d/) gets no clash of names."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    both = nginx.render_template(8000, 8443, 8081, tmp_path) + render_onion_template(
        8000, 8082, tmp_path
    )
    (tmp_path / "atopos.conf").write_text(both)
    (tmp_path / "nginx.conf").write_text(nginx.main_config(tmp_path))
    checked = subprocess.run(
        [nginx.NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "main-error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
