"""Through a real Tor network: rooms work at the onion address, at Tor Browser's Safer level.

``make tor-test`` starts a private Tor network on loopback (Debian's tor:
directory authorities, relays, the onion service of deploy/tor/torrc and a
client; atopos_site.testing.tor_network), nginx with
deploy/nginx/atopos-onion.conf behind the onion service, and daphne behind
nginx, with the onion's hostname registered as a tenant domain as the torrc
says. Each person is a headless Chromium on a SOCKS port of their own (so on
a circuit of their own, as two Tor Browsers would be), with the JIT and
WebAssembly off, and every hostname resolved by Tor (nothing resolves
locally). Times are written to var/bench/tor.json.

The network must bootstrap and the onion answer within BOOTSTRAP_SECONDS, or
every test here errors with the tail of each tor process's log.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from atopos_protocol.frames import CloseCode
from atopos_site.testing.live_site import LiveSite, live_site, manage
from atopos_site.testing.nginx import nginx_available
from atopos_site.testing.onion_nginx import onion_proxy
from atopos_site.testing.processes import ROOT, free_port
from atopos_site.testing.tor_network import (
    BootstrapTimeout,
    TorNetwork,
    tor_available,
    tor_network,
    tor_version,
    wait_until,
)
from tests.claims.support import site as crawler
from tests.claims.test_served_client_matches_build import judge
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, PageRecord
from tests.support.room_pages import create_room, join_room, send, wait_for_message

pytestmark = [
    pytest.mark.tor,
    pytest.mark.skipif(not tor_available(), reason="needs Debian's tor: apt-get install tor"),
    pytest.mark.skipif(
        os.environ.get("ATOPOS_TOR_TEST") != "1",
        reason="runs under make tor-test (a private Tor network, about 2 minutes)",
    ),
    pytest.mark.skipif(not nginx_available(), reason="needs Debian's nginx: apt-get install nginx"),
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"needs Chromium at {CHROMIUM}"),
]

# From the first tor process to a page fetched from the onion through the client.
BOOTSTRAP_SECONDS = 150
# Every Playwright wait over Tor (page loads, selectors); loopback Tor is fast,
# this only bounds a hang.
BROWSER_TIMEOUT_MS = 60_000
JOINS_PER_MINUTE = 20
FIGURES = ROOT / "var" / "bench" / "tor.json"
# As Tor Browser's Safer level: no JIT, no WebAssembly.
SAFER = "--js-flags=--jitless --noexpose_wasm"
# Every name goes to Tor: a name Chromium tried to resolve itself would fail.
NO_LOCAL_DNS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@dataclass
class OnionSite:
    """The site at its onion address, and the network that carries it."""

    network: TorNetwork
    site: LiveSite
    figures: dict[str, Any]

    @property
    def origin(self) -> str:
        return f"http://{self.network.onion_hostname}"

    def url(self, path: str = "/") -> str:
        """An absolute URL at the onion (the shape tests.support.room_pages expects of a site)."""
        return f"{self.origin}{path}"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def socks(port: int) -> dict[str, str]:
    return {"server": f"socks5://127.0.0.1:{port}"}


def onion_answers(driver: Any, network: TorNetwork) -> bool:
    """One GET of the onion's robots.txt through the client; True on a 200."""
    from playwright.sync_api import Error

    network.check_alive()
    request = driver.request.new_context(proxy=socks(network.socks_ports[0]))
    try:
        response = request.get(f"http://{network.onion_hostname}/robots.txt", timeout=15_000)
        return bool(response.status == 200)
    except Error:
        return False
    finally:
        request.dispose()


@pytest.fixture(scope="module")
def onion(tmp_path_factory, playwright) -> Iterator[OnionSite]:
    """The network, nginx and daphne; yields once a page came back from the onion."""
    directory = tmp_path_factory.mktemp("tor")
    proxy_port = free_port()
    figures: dict[str, Any] = {}
    (directory / "site").mkdir()
    with tor_network(directory / "network", proxy_port) as network:
        hostname = network.onion_hostname
        environment = {
            "ATOPOS_TRUSTED_PROXIES": "127.0.0.2",
            "ALLOWED_HOSTS": f"localhost,127.0.0.1,.localhost,{hostname}",
        }
        with live_site(directory / "site", env=environment) as site:
            # As deploy/tor/torrc says: the onion's hostname is a tenant domain.
            manage(site.environment, "tenant", "add", "onion", "--name", "Atopos (onion)",
                   "--domain", hostname, "--joins-per-minute", str(JOINS_PER_MINUTE))  # fmt: skip
            with onion_proxy(directory / "proxy", site.port, port=proxy_port):
                client_ready = network.wait_for_client(BOOTSTRAP_SECONDS)
                wait_until(
                    lambda: onion_answers(playwright, network),
                    network.started + BOOTSTRAP_SECONDS,
                    f"the onion did not answer through the Tor client within {BOOTSTRAP_SECONDS} s",
                    network.log_tails,
                )
                figures["bootstrap"] = {
                    "client_bootstrapped_s": round(client_ready, 1),
                    "onion_answered_s": round(time.monotonic() - network.started, 1),
                }
                yield OnionSite(network, site, figures)
    write_figures(figures)


def write_figures(figures: dict[str, Any]) -> None:
    """var/bench/tor.json: what this run measured, and on what."""
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=False)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tor": tor_version(),
        "chromium": chromium.stdout.strip(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "network": "3 directory authorities, 3 relays, 1 onion service, 1 client; loopback",
        "browser": f"headless Chromium {SAFER}, one SOCKS port (one circuit) per person",
        **figures,
    }
    FIGURES.write_text(json.dumps(record, indent=2) + "\n")


def browser_for(playwright, network: TorNetwork, person: int) -> Any:
    """A Chromium at Tor Browser's Safer level, on the client's SOCKS port number ``person``.

    Tor Browser counts an onion origin as secure, as it does an https one (its
    connection is end-to-end encrypted and authenticated by the address);
    Chromium does not, so the flag that makes it do so for this onion stands in.
    """
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_FLAGS, SAFER, NO_LOCAL_DNS,
            f"--proxy-server=socks5://127.0.0.1:{network.socks_ports[person]}",
            f"--unsafely-treat-insecure-origin-as-secure=http://{network.onion_hostname}",
        ],
    )  # fmt: skip


def new_context(browser) -> Any:
    context = browser.new_context()
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    return context


@pytest.fixture(scope="module")
def alice_browser(playwright, onion) -> Iterator[Any]:
    browser = browser_for(playwright, onion.network, 0)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def bob_browser(playwright, onion) -> Iterator[Any]:
    browser = browser_for(playwright, onion.network, 1)
    yield browser
    browser.close()


def only_the_onion(record: PageRecord, origin: str) -> list[str]:
    """Requests a page made anywhere but ``origin`` (Safer level: no other origin)."""
    return [url for url in record.requests if not url.startswith(f"{origin}/")]


def test_alice_and_bob_chat_in_a_room_at_the_onion_without_jit_or_webassembly(
    onion, alice_browser, bob_browser
):
    """Alice creates a room at the .onion, Bob opens her link on his own circuit, and each
    reads what the other wrote; neither page runs WebAssembly, logs an error or asks anything
    of another origin."""
    started = time.monotonic()
    alice, alice_log, link = create_room(new_context(alice_browser), onion, "Alice")
    created = time.monotonic()
    assert link.startswith(f"{onion.origin}/r/#")
    assert alice.evaluate("typeof WebAssembly") == "undefined"
    assert alice.evaluate("window.isSecureContext")  # as Tor Browser treats an onion

    bob, bob_log = join_room(new_context(bob_browser), link, "Bob")
    joined = time.monotonic()

    send(alice, "hello over tor")
    wait_for_message(bob, "hello over tor")
    delivered = time.monotonic()
    send(bob, "and back")
    wait_for_message(alice, "and back")
    answered = time.monotonic()

    for record in (alice_log, bob_log):
        assert record.console_errors == []
        assert record.page_errors == []
        assert only_the_onion(record, onion.origin) == []
    onion.figures["room"] = {
        "create_s": round(created - started, 2),
        "join_s": round(joined - created, 2),
        "first_message_s": round(delivered - joined, 2),
        "reply_s": round(answered - delivered, 2),
        "what": (
            "create: open the room page at the onion until the room is connected; join: open "
            "the link until connected; first message: Enter to the other page showing it"
        ),
    }


# Mallory's page opens room sockets one after the other and reports how each ended:
# "challenged" when the relay sent its first frame, else the close code.
OPEN_SOCKETS = """
async (count) => {
  const outcomes = [];
  for (let index = 0; index < count; index += 1) {
    outcomes.push(await new Promise((resolve) => {
      const socket = new WebSocket(`ws://${location.host}/ws/v1`);
      socket.onmessage = () => { socket.close(); resolve('challenged'); };
      socket.onclose = (event) => resolve(event.code);
    }));
  }
  return outcomes;
}
"""


def test_mallory_spending_her_circuits_join_budget_does_not_lock_out_bob(
    playwright, onion, alice_browser, bob_browser
):
    """Every onion visitor arrives from tor's 127.0.0.1, yet each circuit has its own budget:
    Mallory's 21st socket is refused as rate-limited, and Bob, on his own circuit, then joins
    Alice's room and reads her."""
    mallory_browser = browser_for(playwright, onion.network, 2)
    try:
        mallory = new_context(mallory_browser).new_page()
        mallory.goto(onion.url("/r/"))  # its Content-Security-Policy lets it open room sockets
        outcomes = mallory.evaluate(OPEN_SOCKETS, JOINS_PER_MINUTE + 1)
    finally:
        mallory_browser.close()
    assert outcomes == ["challenged"] * JOINS_PER_MINUTE + [CloseCode.RATE_LIMITED]

    alice, _, link = create_room(new_context(alice_browser), onion, "Alice")
    bob, _ = join_room(new_context(bob_browser), link, "Bob")
    send(alice, "still open to you")
    wait_for_message(bob, "still open to you")


def test_the_onion_serves_the_client_code_byte_for_byte_as_built(onion, playwright, monkeypatch):
    """Through the Tor client, every script and stylesheet the onion's pages load is the file in
    this checkout's static/, and matches its integrity hash (C21's judgement, over Tor)."""
    request = playwright.request.new_context(proxy=socks(onion.network.socks_ports[0]))

    def through_tor(origin: str, path: str) -> crawler.Fetched:
        response = request.get(
            f"{origin}{path}", max_redirects=0, fail_on_status_code=False, timeout=30_000
        )
        headers = {name.lower(): value for name, value in response.headers.items()}
        return crawler.Fetched(path, response.status, headers, response.body())

    monkeypatch.setattr(crawler, "fetch", through_tor)
    try:
        visit = crawler.crawl(onion.origin)
    finally:
        request.dispose()
    result = judge(visit, ROOT / "static")
    assert result.reasons == []
    assert result.passed
    assert result.counts["files_compared"] >= 10
    home = visit.responses["/"]
    assert home.status == 200
    assert "onion-location" not in home.headers  # the onion names no other place
    assert "strict-transport-security" not in home.headers  # plain http, by design


def test_a_network_not_up_in_time_fails_naming_what_each_tor_said(tmp_path):
    """The bounded wait: past its deadline it raises, with every tor process's last log lines."""
    with (
        tor_network(tmp_path, free_port(), clients=1) as network,
        pytest.raises(BootstrapTimeout) as failed,
    ):
        network.wait_for_client(timeout=1)
    message = str(failed.value)
    assert message.startswith("the Tor client did not bootstrap within 1 s")
    for name in ("auth0", "auth1", "auth2", "relay0", "relay1", "relay2", "onion", "client"):
        assert f"--- {name}\n" in message
