"""Several relay processes behind a real load balancer, sharing one Redis, on loopback.

For the chaos run (and the soak): Debian's nginx spreads WebSockets over two
or more daphne processes, which share one SQLite database and one Redis
server. Redis keeps an append-only file (``appendfsync always``) so that a
Redis restart keeps live rooms: the persistence setting docs/ARCHITECTURE.md
describes, with its erasure cost. Every process can be killed and started
again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from atopos_client.connection import RoomClient
from atopos_site.embedded_redis import redis_server_binary
from atopos_site.testing.nginx import NGINX, main_config
from atopos_site.testing.processes import free_port, wait_for_port
from bench.servers import ROOT, Process, _manage, _spawn


def balancer_config(port: int, upstreams: list[int]) -> str:
    """A plain-HTTP load balancer for WebSockets: a refused connection goes on to the next
    relay at once, and no relay is ever marked down (a restarted one is used again as soon as
    it listens; marking both down at once answered 502 "no live upstreams")."""
    servers = "\n".join(f"    server 127.0.0.1:{upstream} max_fails=0;" for upstream in upstreams)
    return f"""
upstream relays {{
{servers}
}}
server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass http://relays;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_set_header Host $http_host;
        proxy_read_timeout 3600s;
        proxy_next_upstream error timeout http_502;
        proxy_connect_timeout 2s;
    }}
}}
"""


@dataclass
class Cluster:
    """Redis, the relays and nginx in front of them."""

    directory: Path
    redis: Process
    relays: list[Process]
    nginx: subprocess.Popen[bytes]
    port: int  # nginx's
    redis_command: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def kill_relay(self, index: int) -> None:
        """SIGKILL: no socket is closed cleanly, nothing is flushed."""
        process = self.relays[index].process
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def start_relay(self, index: int) -> None:
        relay = self.relays[index]
        if relay.process.poll() is not None:
            log = relay.log or self.directory / f"{relay.name}.log"
            relay.process = _spawn(relay.name, relay.command, relay.env, relay.port, log).process

    def kill_redis(self) -> None:
        process = self.redis.process
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def start_redis(self) -> None:
        if self.redis.process.poll() is not None:
            self.redis.process = _spawn(
                "redis", self.redis_command, dict(os.environ), self.redis.port,
                self.directory / "redis.log",
            ).process  # fmt: skip

    def stop(self) -> None:
        if self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(15)
        for relay in self.relays:
            relay.stop()
        self.redis.stop()
        if not os.environ.get("CHAOS_KEEP"):
            shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster(relays: int = 2, joins_per_minute: int = 600) -> Cluster:
    """Redis with an append-only file, ``relays`` daphne processes and nginx before them."""
    if not Path(NGINX).is_file():
        raise RuntimeError("the chaos run needs Debian's nginx: apt-get install nginx")
    directory = Path(tempfile.mkdtemp(prefix="atopos-chaos-"))
    redis_port = free_port()
    redis_command = [
        redis_server_binary(), "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "yes", "--appendfsync", "always", "--dir", str(directory),
        "--maxclients", "10000",
    ]  # fmt: skip
    redis = _spawn("redis", redis_command, dict(os.environ), redis_port, directory / "redis.log")
    processes: list[Process] = [redis]
    try:
        env = {
            **os.environ, "ATOPOS_ENV": "test", "PYTHONUNBUFFERED": "1",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "DATABASE_URL": f"sqlite:///{directory / 'atopos.sqlite3'}",
            "SECRET_KEY": secrets.token_urlsafe(48),
        }  # fmt: skip
        _manage(env, "migrate", "--noinput")
        _manage(
            env, "tenant", "add", "default", "--domain", "localhost",
            "--joins-per-minute", str(joins_per_minute), "--rooms-per-hour", "1000",
        )  # fmt: skip
        relay_processes = []
        for index in range(relays):
            port = free_port()
            command = [sys.executable, "-m", "atopos_site.serve", "--bind", "127.0.0.1",
                       "--port", str(port)]  # fmt: skip
            relay = _spawn(f"relay-{index}", command, env, port, directory / f"relay-{index}.log")
            relay_processes.append(relay)
            processes.append(relay)
        port = free_port()
        upstreams = [relay.port for relay in relay_processes]
        (directory / "atopos.conf").write_text(balancer_config(port, upstreams))
        (directory / "nginx.conf").write_text(main_config(directory, worker_connections=4096))
        nginx = subprocess.Popen(  # noqa: S603 -- fixed arguments, our own temporary paths
            [NGINX, "-p", str(directory), "-e", str(directory / "main-error.log"),
             "-c", str(directory / "nginx.conf"), "-g", "daemon off;"],
            cwd=ROOT, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(port, nginx)  # type: ignore[arg-type]
    except BaseException:
        for process in processes:
            process.stop()
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Cluster(directory, redis, relay_processes, nginx, port, redis_command)


async def wind_down(clients: Iterable[RoomClient], tasks: Iterable[asyncio.Task[None]]) -> None:
    """Every client leaves (at most 5 s each; one that cannot is left behind), then the
    tasks reading their events stop."""
    for client in clients:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.leave(), 5)
    for task in tasks:
        task.cancel()
