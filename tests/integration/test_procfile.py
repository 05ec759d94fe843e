"""The Procfile's commands run a production configuration that serves the site."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.live_site import live_database
from tests.support.processes import ROOT, base_env, free_port, http_get, stop, wait_for_port

pytestmark = pytest.mark.integration


def procfile() -> dict[str, str]:
    lines = (ROOT / "deploy" / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def run_command(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a Procfile command as a PaaS would: a shell, in the app directory."""
    return subprocess.run(
        ["/bin/sh", "-c", command.replace("python ", f"{shlex.quote(sys.executable)} ", 1)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip


HTTPS_PROXY = {"X-Forwarded-Proto": "https"}


def test_procfile_declares_release_and_web():
    """A PaaS finds a release step (migrations) and a web process."""
    commands = procfile()
    assert set(commands) == {"release", "web"}
    assert "migrate" in commands["release"]
    assert "atopos_site.serve" in commands["web"]
    assert "$PORT" in commands["web"]


def test_production_release_and_web_serve_with_hsts_and_secure_cookies(tmp_path: Path):
    """ATOPOS_ENV=prod with the documented variables: the site answers, pinned to HTTPS."""
    port = free_port()
    with live_database(tmp_path) as database_url:
        env = base_env(
            ATOPOS_ENV="prod",
            SECRET_KEY="p" * 64,
            ALLOWED_HOSTS="chat.localhost,ops.localhost",
            DATABASE_URL=database_url,
            ATOPOS_SECURITY_CONTACT="mailto:security@chat.example",
            ATOPOS_STATIC_ROOT=str(tmp_path / "static"),
            ATOPOS_ADMIN_PATH="ops-7f3k",
            ATOPOS_ADMIN_HOST="ops.localhost",
            ATOPOS_TRUST_X_FORWARDED_PROTO="1",
            PORT=str(port),
        )
        run_command("python manage.py collectstatic --noinput", env)
        run_command(procfile()["release"], env)
        run_command("python manage.py tenant add chat --domain chat.localhost", env)
        # exec, as a PaaS's runner does: the shell must not outlive stop() with its child.
        command = procfile()["web"].replace("python ", f"{shlex.quote(sys.executable)} ", 1)
        web = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {command}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for_port(port, web)
            status, headers, _ = http_get(port, "/", "chat.localhost", HTTPS_PROXY)
            assert status == 200
            assert headers["Strict-Transport-Security"] == "max-age=31536000"
            assert "Set-Cookie" not in headers

            status, headers, _ = http_get(port, "/ops-7f3k/login/", "ops.localhost", HTTPS_PROXY)
            assert status == 200
            cookie = headers["Set-Cookie"]
            assert "Path=/ops-7f3k/" in cookie
            for attribute in ("Secure", "HttpOnly", "SameSite=Strict"):
                assert attribute in cookie
            # The admin answers on the operator host only, never on a tenant domain.
            status, headers, _ = http_get(port, "/ops-7f3k/login/", "chat.localhost", HTTPS_PROXY)
            assert status == 404
            assert "Set-Cookie" not in headers

            status, _, _ = http_get(port, "/", "localhost")
            assert status == 404  # not a tenant domain here
        finally:
            stop(web)
