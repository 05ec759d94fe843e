"""A private Tor network on loopback, with Atopos's onion service in it (``make tor-test``).

Debian's ``tor`` in its TestingTorNetwork mode, laid out as Tor's own test
tool chutney lays out its ``hs-v3-min`` network: three directory
authorities (their keys made with ``tor-gencert``), three relays, one onion
service and one client. Every process listens on 127.0.0.1 only, no relay
allows exits, and the directory authorities are ours, so nothing in it can
reach or be reached from the real Tor network.

The onion service runs the shipped template, deploy/tor/torrc, with only the
lines that name this machine's things replaced (its directory and the port
it forwards to); each replacement must match exactly once, as for the nginx
template, so a template that drifts from what the tests run fails loudly.

The client has one SOCKS port per person: tor never lets streams that arrive
on different SOCKS ports share a circuit, so each port stands for a separate
Tor Browser, and the onion service sees each on its own circuit.

Each process gets ``__OwningControllerProcess`` set to this process, so tor
exits by itself should the test runner die without stopping it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from atopos_site.testing.nginx import replace_once
from atopos_site.testing.processes import ROOT, free_port, stop

__all__ = [
    "TEMPLATE",
    "BootstrapTimeout",
    "TorNetwork",
    "render_onion_service",
    "tor_available",
    "tor_network",
    "tor_version",
    "wait_until",
]

TEMPLATE = ROOT / "deploy" / "tor" / "torrc"
TOR = "/usr/bin/tor"
TOR_GENCERT = "/usr/bin/tor-gencert"

AUTHORITIES = 3
# chutney's hs-v3-min: a path is three relays, plus a rendezvous point and an
# introduction point of the service's own choosing, none of them twice.
RELAYS = 3

# Rapid voting, as chutney's authority.i (every node here is 0.4.8 or later, so
# the shortest initial interval is safe): a first consensus within seconds.
# A consensus is valid for V3AuthNIntervalsValid intervals.
VOTING = """
TestingV3AuthInitialVotingInterval 5
TestingV3AuthInitialVoteDelay 2
TestingV3AuthInitialDistDelay 2
V3AuthVotingInterval 10
V3AuthVoteDelay 2
V3AuthDistDelay 2
V3AuthNIntervalsValid 2
"""

# Lines every node shares (chutney's common.i): TestingTorNetwork lowers the
# thresholds a real network needs for weeks (uptime, bandwidth), and the
# authorities give every relay the flags a small network needs at once.
COMMON = """
TestingTorNetwork 1
AssumeReachable 1
PathsNeededToBuildCircuits 0.67
TestingDirAuthVoteExit *
TestingDirAuthVoteHSDir *
TestingDirAuthVoteGuard *
TestingMinExitFlagThreshold 0
ShutdownWaitLength 0
RunAsDaemon 0
"""


class BootstrapTimeout(TimeoutError):
    """The network did not come up in time; the message carries each node's last log lines."""


def tor_available() -> bool:
    """True when Debian's tor and tor-gencert are installed (``apt-get install tor``)."""
    return all(os.access(tool, os.X_OK) for tool in (TOR, TOR_GENCERT))


def tor_version() -> str:
    """``tor --version``'s first line, e.g. "Tor version 0.4.9.11."."""
    result = subprocess.run([TOR, "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    return result.stdout.splitlines()[0].strip()


def render_onion_service(hidden_service_dir: Path, target_port: int) -> str:
    """deploy/tor/torrc with this machine's service directory and forwarding port."""
    text = TEMPLATE.read_text()
    for old, new in (
        ("HiddenServiceDir /var/lib/tor/atopos/", f"HiddenServiceDir {hidden_service_dir}/"),
        ("HiddenServicePort 80 127.0.0.1:8080", f"HiddenServicePort 80 127.0.0.1:{target_port}"),
    ):
        text = replace_once(text, old, new, "torrc")
    return text


def wait_until(
    ready: Callable[[], bool], deadline: float, what: str, explain: Callable[[], str]
) -> None:
    """Poll ``ready`` until it holds; past ``deadline`` (monotonic), raise BootstrapTimeout."""
    while not ready():
        if time.monotonic() > deadline:
            raise BootstrapTimeout(f"{what}\n{explain()}")
        time.sleep(0.25)


@dataclass(frozen=True)
class TorNode:
    """One tor process of the network."""

    name: str
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def log(self) -> Path:
        return self.directory / "notice.log"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class TorNetwork:
    """A running private network: the onion's hostname and the client's SOCKS ports."""

    directory: Path
    nodes: list[TorNode]
    onion_hostname: str
    socks_ports: tuple[int, ...]
    started: float  # time.monotonic() when the first tor process started

    def node(self, name: str) -> TorNode:
        return next(node for node in self.nodes if node.name == name)

    def client_bootstrapped(self) -> bool:
        """The client says it can build circuits (its log's "Bootstrapped 100%")."""
        return "Bootstrapped 100%" in self.node("client").log_text()

    def check_alive(self) -> None:
        """Raise if any tor process has exited."""
        for node in self.nodes:
            if node.process.poll() is not None:
                raise RuntimeError(
                    f"tor {node.name} exited with {node.process.returncode}:\n"
                    + "\n".join(node.log_text().splitlines()[-15:])
                )

    def log_tails(self, lines: int = 6) -> str:
        """The last lines of every node's notice log, for a failure message."""
        return "\n".join(
            f"--- {node.name}\n" + "\n".join(node.log_text().splitlines()[-lines:])
            for node in self.nodes
        )

    def wait_for_client(self, timeout: float) -> float:
        """Wait until the client has bootstrapped; seconds since the network started."""

        def ready() -> bool:
            self.check_alive()
            return self.client_bootstrapped()

        wait_until(
            ready,
            self.started + timeout,
            f"the Tor client did not bootstrap within {timeout:.0f} s",
            self.log_tails,
        )
        return time.monotonic() - self.started


def _torrc(*parts: str) -> str:
    return "\n".join(part.strip("\n") for part in parts if part) + "\n"


def _node_basics(name: str, directory: Path, empty: Path) -> str:
    # Without GeoIP files each tor starts in a fraction of a second instead of
    # spending seconds of CPU parsing Debian's (used only for relay statistics).
    return f"""
Nickname {name}
DataDirectory {directory}
Log notice file {directory / "notice.log"}
GeoIPFile {empty}
GeoIPv6File {empty}
__OwningControllerProcess {os.getpid()}
"""


def _authority(directory: Path, name: str, or_port: int, dir_port: int, empty: Path) -> str:
    """Make an authority's keys; return its DirAuthority line."""
    keys = directory / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    passphrase = secrets.token_hex(16)
    subprocess.run(  # noqa: S603 -- fixed tool, our own temporary paths
        [
            TOR_GENCERT, "--create-identity-key", "--passphrase-fd", "0",
            "-i", str(keys / "authority_identity_key"),
            "-s", str(keys / "authority_signing_key"),
            "-c", str(keys / "authority_certificate"),
            "-m", "12", "-a", f"127.0.0.1:{dir_port}",
        ],
        input=f"{passphrase}\n".encode(), check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    certificate = (keys / "authority_certificate").read_text()
    v3_identity = next(
        line.split()[1] for line in certificate.splitlines() if line.startswith("fingerprint ")
    )
    # --list-fingerprint makes the relay identity key (kept in keys/) and prints it.
    subprocess.run(  # noqa: S603
        [
            TOR, "-f", str(empty), "--defaults-torrc", str(empty),
            "--DataDirectory", str(directory), "--GeoIPFile", str(empty),
            "--GeoIPv6File", str(empty),
            "--ORPort", str(or_port), "--list-fingerprint",
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    fingerprint = (directory / "fingerprint").read_text().split()[1]
    return (
        f"DirAuthority {name} orport={or_port} no-v2 v3ident={v3_identity} "
        f"127.0.0.1:{dir_port} {fingerprint}"
    )


def _start(name: str, directory: Path, torrc: str, empty: Path) -> TorNode:
    (directory / "torrc").write_text(torrc)
    command = [TOR, "-f", str(directory / "torrc"), "--defaults-torrc", str(empty)]
    # tor writes its log to notice.log; its own stdout is the same lines again.
    process = subprocess.Popen(  # noqa: S603 -- fixed tool, our own configuration
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return TorNode(name, directory, process)


def _wait_for_file(path: Path, nodes: list[TorNode], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        for node in nodes:
            if node.process.poll() is not None:
                raise RuntimeError(f"tor {node.name} exited:\n{node.log_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"tor wrote no {path.name} within {timeout:.0f} s")
        time.sleep(0.05)
    return path.read_text().strip()


@contextmanager
def tor_network(directory: Path, onion_target_port: int, clients: int = 3) -> Iterator[TorNetwork]:
    """Start the network; the onion service forwards to 127.0.0.1:``onion_target_port``.

    Returns as soon as every process runs and the onion's hostname is known
    (tor writes it at start); call :meth:`TorNetwork.wait_for_client` to wait
    for the network itself. ``clients`` SOCKS ports, one per person.
    """
    if not tor_available():
        raise RuntimeError("Debian's tor is not installed (apt-get install tor)")
    directory.mkdir(parents=True, exist_ok=True)
    empty = directory / "none"
    empty.write_text("")
    names = [f"auth{index}" for index in range(AUTHORITIES)]
    authority_ports = [(free_port(), free_port()) for _ in names]
    authority_dirs = [directory / name for name in names]
    dir_authorities = "\n".join(
        _authority(path, name, or_port, dir_port, empty)
        for path, name, (or_port, dir_port) in zip(
            authority_dirs, names, authority_ports, strict=True
        )
    )
    nodes: list[TorNode] = []
    try:
        started = time.monotonic()
        for path, name, (or_port, dir_port) in zip(
            authority_dirs, names, authority_ports, strict=True
        ):
            torrc = _torrc(
                COMMON, VOTING, dir_authorities, _node_basics(name, path, empty),
                f"""
AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
ContactInfo {name}@atopos.invalid
Address 127.0.0.1
ORPort 127.0.0.1:{or_port}
DirPort 127.0.0.1:{dir_port}
ExitPolicy reject *:*
SocksPort 0
""",
            )  # fmt: skip
            nodes.append(_start(name, path, torrc, empty))
        for index in range(RELAYS):
            name, path = f"relay{index}", directory / f"relay{index}"
            path.mkdir()
            torrc = _torrc(
                COMMON, dir_authorities, _node_basics(name, path, empty),
                f"""
Address 127.0.0.1
ORPort 127.0.0.1:{free_port()}
ExitPolicy reject *:*
SocksPort 0
""",
            )  # fmt: skip
            nodes.append(_start(name, path, torrc, empty))
        service_path = directory / "onion"
        service_path.mkdir()
        (service_path / "hs").mkdir(mode=0o700)
        torrc = _torrc(
            render_onion_service(service_path / "hs", onion_target_port),
            COMMON, dir_authorities, _node_basics("onion", service_path, empty),
        )  # fmt: skip
        nodes.append(_start("onion", service_path, torrc, empty))
        socks_ports = tuple(free_port() for _ in range(clients))
        client_path = directory / "client"
        client_path.mkdir()
        torrc = _torrc(
            COMMON, dir_authorities, _node_basics("client", client_path, empty),
            "\n".join(f"SocksPort 127.0.0.1:{port}" for port in socks_ports),
        )  # fmt: skip
        nodes.append(_start("client", client_path, torrc, empty))
        hostname = _wait_for_file(service_path / "hs" / "hostname", nodes, timeout=30)
        yield TorNetwork(directory, nodes, hostname, socks_ports, started)
    finally:
        for node in nodes:
            stop(node.process, timeout=10)


def main() -> None:
    """Run the network by hand (``python -m atopos_site.testing.tor_network DIR PORT``)."""
    import sys

    directory, port = Path(sys.argv[1]), int(sys.argv[2])
    with tor_network(directory, port) as network:
        print(f"onion: {network.onion_hostname}, SOCKS ports: {network.socks_ports}", flush=True)
        print(f"client bootstrapped after {network.wait_for_client(180):.1f} s", flush=True)
        try:
            while True:
                time.sleep(1)
                network.check_alive()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
