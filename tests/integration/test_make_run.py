"""`make run` on the embedded default: it serves / and stops its Redis on exit."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.support.processes import ROOT, base_env, free_port, pid_alive

pytestmark = pytest.mark.integration


def read_until(process: subprocess.Popen[str], pattern: str, timeout: float) -> str:
    """Collect output lines until one matches ``pattern``; fail after ``timeout``."""
    assert process.stdout is not None
    seen: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not selector.select(timeout=0.5):
            continue
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    pytest.fail(f"no line matched {pattern!r}; output was:\n{''.join(seen)}")


def test_make_run_serves_home_and_stops_embedded_redis(tmp_path):
    """Start `make run` without REDIS_URL, fetch /, press Ctrl-C, find Redis gone."""
    port = free_port()
    env = base_env(
        REDIS_URL="", ATOPOS_ENV="dev", DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}"
    )
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        started = read_until(process, r"Atopos is running at http://127\.0\.0\.1:\d+/", 120)
        assert f"http://127.0.0.1:{port}/" in started
        redis_pid = int(re.search(r"Started embedded Redis \(pid (\d+)\)", started).group(1))
        assert pid_alive(redis_pid)

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.status == 200
            assert "Create a room" in response.read().decode()

        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        rest = read_until(process, r"Stopped embedded Redis", 30)
        # make re-raises the SIGINT it received once its recipe has finished.
        assert process.wait(30) in (0, -signal.SIGINT), rest
        assert not pid_alive(redis_pid)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
