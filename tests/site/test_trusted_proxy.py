"""Behind the proxy, each client is counted as itself, and nobody can choose who they are.

The middleware runs around an inner application that records the scope it
is given, so what these tests see is exactly what Django and the relay see.
The last tests run the real application and the real relay on a real Redis.
"""

from __future__ import annotations

import ipaddress

import pytest
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ImproperlyConfigured

from atopos_protocol.frames import ChallengeFrame, CloseCode
from atopos_site.asgi import application
from atopos_site.client_address import TrustedProxyMiddleware, forwarded_client
from atopos_site.env import ip_networks
from rooms.server_keys import client_identity

PROXY = ("127.0.0.1", 41000)
NGINX = ipaddress.ip_network("127.0.0.1/32")
MALLORY = "203.0.113.66"
BOB = "198.51.100.20"


async def seen_client(
    scope_type: str,
    peer: tuple[str, int] | None,
    forwarded_for: list[str],
    proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...],
):
    """The ``scope["client"]`` an application behind the middleware is given."""
    seen = {}

    async def inner(scope, receive, send):
        seen["client"] = scope.get("client")

    scope = {
        "type": scope_type,
        "client": peer,
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded_for],
    }
    await TrustedProxyMiddleware(inner, proxies)(scope, None, None)
    return seen["client"]


@pytest.mark.parametrize("scope_type", ["http", "websocket"])
async def test_mallory_cannot_spoof_her_address_when_no_proxy_is_trusted(scope_type):
    """With ATOPOS_TRUSTED_PROXIES empty, X-Forwarded-For is ignored: the peer is the client."""
    client = await seen_client(scope_type, (MALLORY, 5000), [BOB], ())
    assert client == (MALLORY, 5000)


@pytest.mark.parametrize("scope_type", ["http", "websocket"])
async def test_mallory_connecting_directly_cannot_spoof_her_address_past_the_proxy(scope_type):
    """A peer that is not the trusted proxy cannot name another client in the header."""
    client = await seen_client(scope_type, (MALLORY, 5000), [BOB], (NGINX,))
    assert client == (MALLORY, 5000)


@pytest.mark.parametrize("scope_type", ["http", "websocket"])
async def test_the_trusted_proxy_is_replaced_by_the_client_it_saw(scope_type):
    """From the proxy, the forwarded address is the client (port unknown: 0)."""
    client = await seen_client(scope_type, PROXY, [BOB], (NGINX,))
    assert client == (BOB, 0)


async def test_mallory_prepending_a_forged_hop_is_ignored():
    """A proxy that appends keeps what the client wrote on the left; only the right counts."""
    client = await seen_client("http", PROXY, [f"{BOB}, {MALLORY}"], (NGINX,))
    assert client == (MALLORY, 0)


def test_a_chain_of_trusted_proxies_is_walked_from_the_right():
    """Load balancer then nginx: every trusted hop is skipped, the first other one is the client."""
    proxies = ip_networks("P", {"P": "127.0.0.1, 10.0.0.0/8"})
    assert forwarded_client("127.0.0.1", [f"{BOB}, {MALLORY}, 10.1.2.3"], proxies) == MALLORY


def test_a_trusted_proxy_without_the_header_is_its_own_client():
    """A health check from the proxy itself keeps the proxy's address."""
    assert forwarded_client("127.0.0.1", [], (NGINX,)) == "127.0.0.1"


def test_garbage_from_a_trusted_proxy_is_not_believed():
    """An entry that is no address stops the walk: nothing left of it is read."""
    assert forwarded_client("127.0.0.1", [f"{BOB}, not-an-address"], (NGINX,)) == "127.0.0.1"


def test_ipv6_proxies_and_clients_are_understood():
    """A bracketed IPv6 client behind an IPv6 proxy; a dual-stack peer's mapped IPv4 too."""
    proxies = ip_networks("P", {"P": "::1"})
    assert forwarded_client("::1", ["[2001:db8:7::9]"], proxies) == "2001:db8:7::9"
    mapped = ip_networks("P", {"P": "127.0.0.0/8"})
    assert forwarded_client("::ffff:127.0.0.1", [BOB], mapped) == BOB


def test_two_addresses_in_one_ipv6_64_share_one_budget():
    """A subscriber picks any address in its /64: all of them are one client."""
    now = 1_800_000_000.0
    first = client_identity("2001:db8:1:2::1", now)
    assert client_identity("2001:db8:1:2:ffff:ffff:ffff:9", now) == first
    assert client_identity("2001:DB8:1:2:0:0:0:1", now) == first
    assert client_identity("2001:db8:1:3::1", now) != first


def test_ipv4_clients_are_counted_per_address():
    """Two IPv4 neighbours are two clients; a mapped IPv4 is the IPv4 itself."""
    now = 1_800_000_000.0
    assert client_identity("198.51.100.20", now) != client_identity("198.51.100.21", now)
    assert client_identity("::ffff:198.51.100.20", now) == client_identity("198.51.100.20", now)


@pytest.mark.parametrize("bad", ["localhost", "10.0.0.1/8", "300.1.1.1", "10.0.0.0/33"])
def test_a_bad_trusted_proxy_list_stops_the_process(bad):
    """A name, a network with host bits, or a non-address fails loudly, naming the variable."""
    with pytest.raises(ImproperlyConfigured, match="ATOPOS_TRUSTED_PROXIES"):
        ip_networks("ATOPOS_TRUSTED_PROXIES", {"ATOPOS_TRUSTED_PROXIES": f"127.0.0.1,{bad}"})


def test_the_trusted_proxy_list_reads_addresses_and_networks():
    """Blank means nobody; addresses become single-address networks."""
    assert ip_networks("P", {}) == ()
    assert ip_networks("P", {"P": " 127.0.0.1 , fd00::/8 "}) == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("fd00::/8"),
    )


# Through the real application and relay ------------------------------------------------------


def behind_nginx(client: str):
    """A room socket from ``client``, arriving through the proxy on 127.0.0.1."""

    async def from_proxy(scope, receive, send):
        return await application({**scope, "client": PROXY}, receive, send)

    return WebsocketCommunicator(
        from_proxy,
        "/ws/v1",
        headers=[
            (b"host", b"alpha.localhost"),
            (b"origin", b"http://alpha.localhost"),
            (b"x-forwarded-for", client.encode()),
        ],
    )


async def open_and_read(communicator: WebsocketCommunicator) -> tuple[bool, int | None]:
    """Connect; (challenged, close code if the relay closed instead)."""
    connected, _ = await communicator.connect()
    assert connected
    output = await communicator.receive_output()
    if output["type"] == "websocket.close":
        return False, output.get("code")
    ChallengeFrame.decode(output["bytes"])
    return True, None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("thread_connections_closed")
async def test_mallory_behind_the_proxy_cannot_spend_bobs_join_budget(
    alpha, redis_client, settings
):
    """Mallory spends her whole join budget through nginx; Bob, through the same nginx, joins."""
    settings.ATOPOS_TRUSTED_PROXIES = (NGINX,)
    budget = alpha.joins_per_minute
    mallorys = [behind_nginx(MALLORY) for _ in range(budget + 1)]
    outcomes = [await open_and_read(socket) for socket in mallorys]
    assert outcomes[:budget] == [(True, None)] * budget
    assert outcomes[budget] == (False, CloseCode.RATE_LIMITED)
    bob = behind_nginx(BOB)
    assert await open_and_read(bob) == (True, None)
    for socket in [*mallorys, bob]:
        await socket.disconnect()
