"""The shipped nginx template in front of a real daphne: clients stay apart, logs stay clean.

Debian's nginx runs deploy/nginx/atopos.conf (TLS on a free loopback port)
in front of the site started as the template's header says, with
ATOPOS_TRUSTED_PROXIES=127.0.0.2 (the template's proxy_bind). Mallory and Bob
connect from two other loopback addresses (127.0.0.3 and 127.0.0.4: Linux
routes all of 127/8 to lo), so nginx sees two clients, as it would on the
Internet.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl

import pytest
import websockets

from atopos_protocol.frames import ChallengeFrame, CloseCode
from atopos_site.testing.nginx import NginxProxy, nginx_available, nginx_proxy
from tests.support.live_site import LiveSite, live_site

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not nginx_available(), reason="needs Debian's nginx: apt-get install nginx"),
]

NGINX = "127.0.0.2"
MALLORY = "127.0.0.3"
BOB = "127.0.0.4"
JOINS_PER_MINUTE = 4
# Room routes as an attacker or a confused client might spell them.
ROOM_SPELLINGS = {
    "plain": "/r/Pl41nRoomSecret",
    "double-slash": "//r/D0ubleSlashSecret",
    "encoded": "/%72/Enc0dedSecret",
    "upper-case": "/R/UpperC4seSecret",
    "socket": "/ws/S0cketPathSecret",
    "dot-segment": "/static/../r/D0tSegmentSecret",
}


@pytest.fixture(scope="module")
def proxied_site(tmp_path_factory) -> tuple[LiveSite, NginxProxy]:
    """daphne trusting only nginx's address, with nginx (the shipped template) in front of it."""
    directory = tmp_path_factory.mktemp("nginx")
    with live_site(
        directory,
        env={"ATOPOS_TRUSTED_PROXIES": NGINX, "ATOPOS_TRUST_X_FORWARDED_PROTO": "1"},
        tenant_options=["--joins-per-minute", str(JOINS_PER_MINUTE)],
    ) as site, nginx_proxy(directory / "proxy", site.port) as proxy:  # fmt: skip
        yield site, proxy


def tls_context(proxy: NginxProxy) -> ssl.SSLContext:
    """Trusts the proxy's own self-signed certificate, and verifies it."""
    return ssl.create_default_context(cafile=str(proxy.certificate))


async def join_attempt(
    proxy: NginxProxy, source: str, headers: dict[str, str] | None = None
) -> tuple[websockets.ClientConnection, int | None]:
    """Open a room socket from ``source``; (socket, None) if challenged, else the close code."""
    socket = await websockets.connect(
        f"wss://localhost:{proxy.tls_port}/ws/v1",
        origin=websockets.Origin(f"https://localhost:{proxy.tls_port}"),
        additional_headers=headers or {},
        ssl=tls_context(proxy),
        host="127.0.0.1",
        port=proxy.tls_port,
        local_addr=(source, 0),
        proxy=None,
        open_timeout=10,
    )
    try:
        ChallengeFrame.decode(await asyncio.wait_for(socket.recv(), 10))
    except websockets.ConnectionClosed as closed:
        return socket, closed.rcvd.code if closed.rcvd else None
    return socket, None


def test_mallory_behind_the_proxy_cannot_spend_bobs_join_budget(proxied_site):
    """Mallory's sockets through nginx exhaust her own budget; Bob, through nginx too, joins.

    Mallory also claims Bob's address in X-Forwarded-For: nginx overwrites the
    header, so she is still counted as herself.
    """
    _, proxy = proxied_site

    async def scenario() -> tuple[list[int | None], int | None, int | None]:
        sockets = []
        mallory = []
        for _ in range(JOINS_PER_MINUTE + 1):
            socket, code = await join_attempt(proxy, MALLORY)
            sockets.append(socket)
            mallory.append(code)
        spoofed_socket, spoofed = await join_attempt(proxy, MALLORY, {"X-Forwarded-For": BOB})
        bob_socket, bob = await join_attempt(proxy, BOB)
        for socket in [*sockets, spoofed_socket, bob_socket]:
            await socket.close()
        return mallory, spoofed, bob

    mallory, spoofed, bob = asyncio.run(scenario())
    assert mallory == [None] * JOINS_PER_MINUTE + [CloseCode.RATE_LIMITED]
    assert spoofed == CloseCode.RATE_LIMITED
    assert bob is None


def test_mallory_on_the_machine_bypassing_nginx_cannot_choose_her_address(proxied_site):
    """A socket straight to daphne from 127.0.0.1 (as a local onion service connects) names
    a fresh address in X-Forwarded-For each time: daphne ignores it and counts one client.
    """
    site, _ = proxied_site

    async def attempt(forwarded_for: str) -> int | None:
        async with websockets.connect(
            f"ws://localhost:{site.port}/ws/v1",
            origin=websockets.Origin(f"http://localhost:{site.port}"),
            additional_headers={"X-Forwarded-For": forwarded_for},
            host="127.0.0.1",
            proxy=None,
        ) as socket:
            try:
                ChallengeFrame.decode(await asyncio.wait_for(socket.recv(), 10))
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
            return None

    async def scenario() -> list[int | None]:
        return [await attempt(f"198.51.100.{n}") for n in range(JOINS_PER_MINUTE + 1)]

    assert asyncio.run(scenario()) == [None] * JOINS_PER_MINUTE + [CloseCode.RATE_LIMITED]


def fetch_through(proxy: NginxProxy, path: str, source: str = BOB) -> int:
    """GET ``path`` (sent exactly as written) through nginx over TLS; the status."""
    connection = http.client.HTTPSConnection(
        "127.0.0.1", proxy.tls_port, source_address=(source, 0), context=tls_context(proxy),
        timeout=10,
    )  # fmt: skip
    try:
        connection.request("GET", path, headers={"Host": f"localhost:{proxy.tls_port}"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.fixture(scope="module")
def logs_after_odd_paths(proxied_site) -> tuple[str, str]:
    """(nginx's access log, daphne's output) after every room spelling was requested."""
    site, proxy = proxied_site
    assert fetch_through(proxy, "/security/") == 200
    for path in ROOM_SPELLINGS.values():
        fetch_through(proxy, path)
    # nginx writes each line when the request ends; daphne's log is line-buffered.
    return proxy.access_lines(), site.output()


def test_the_proxy_passes_pages_with_their_paths_logged(logs_after_odd_paths):
    """The capture is real: a public page is in nginx's log with its path."""
    access, _ = logs_after_odd_paths
    assert '"GET /security/" 200' in access
    assert '"GET [room]"' in access


@pytest.mark.parametrize("spelling", sorted(ROOM_SPELLINGS))
def test_room_paths_in_any_spelling_stay_out_of_both_access_logs(logs_after_odd_paths, spelling):
    """What follows a room prefix, however it is spelled, is in neither nginx's nor daphne's log."""
    secret = ROOM_SPELLINGS[spelling].rsplit("/", 1)[1]
    access, daphne = logs_after_odd_paths
    assert secret not in access
    assert secret not in daphne


@pytest.mark.parametrize("address", [MALLORY, BOB, NGINX, "127.0.0.1"])
def test_no_client_address_is_in_either_log(proxied_site, logs_after_odd_paths, address):
    """Neither nginx's access log nor daphne's output names a client or the proxy."""
    access, daphne = logs_after_odd_paths
    assert address not in access
    assert address not in daphne
