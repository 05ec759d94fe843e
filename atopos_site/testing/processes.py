"""Start and stop real processes: for integration tests, benchmarks and the evidence run."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["ROOT", "base_env", "free_port", "http_get", "pid_alive", "stop", "wait_for_port"]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Return once ``port`` accepts connections; raise if ``process`` dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on {port}")


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    """Terminate ``process`` (then kill it) and return its exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    return process.returncode


def pid_alive(pid: int) -> bool:
    """True while a process with this id exists (and is not a zombie)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def base_env(**overrides: str) -> dict[str, str]:
    """This process's environment with ``overrides``; unset a variable by passing ''."""
    env = dict(os.environ)
    for name, value in overrides.items():
        if value == "":
            env.pop(name, None)
        else:
            env[name] = value
    return env


def http_get(
    port: int, path: str, host: str = "localhost", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` from 127.0.0.1:``port`` with the given Host; never raises on 4xx/5xx."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()
