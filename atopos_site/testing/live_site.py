"""A real daphne process serving Atopos, with its own database, for tests."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from atopos_site.testing.processes import ROOT, base_env, free_port, stop, wait_for_port

# Hostnames the live site's tenants answer on; *.localhost resolves to
# loopback in Chromium, so browser tests can visit every tenant.
LIVE_TENANTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("default", "Atopos", ("localhost", "127.0.0.1")),
    ("acme", "Acme Talk", ("acme.localhost",)),
)


@dataclass
class LiveSite:
    """A running site: where it listens and what it printed."""

    port: int
    process: subprocess.Popen[bytes]
    output_path: Path
    command: list[str]
    environment: dict[str, str]

    def start(self) -> None:
        """Start (or start again) daphne on the same port, database and Redis."""
        with self.output_path.open("ab") as output:
            # Our own interpreter and fixed arguments: nothing here comes from input.
            self.process = subprocess.Popen(  # noqa: S603
                self.command, cwd=ROOT, env=self.environment, stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for_port(self.port, self.process)

    def restart(self) -> None:
        """Stop the server (every socket drops) and start it again."""
        stop(self.process)
        self.start()

    def url(self, path: str = "/", host: str = "localhost") -> str:
        """An absolute URL on one of the live tenants."""
        return f"http://{host}:{self.port}{path}"

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return self.output_path.read_text(errors="replace")


@contextmanager
def live_database(directory: Path) -> Iterator[str]:
    """A DATABASE_URL for a fresh, empty database of the suite's kind."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{directory / 'live.sqlite3'}"
        return
    name = f"atopos_live_{secrets.token_hex(6)}"
    parts = urlsplit(configured)
    query = f"?{parts.query}" if parts.query else ""
    # Built by hand: urlunsplit drops the "//" of postgres:///db (empty host).
    admin_dsn = f"postgresql://{parts.netloc}{parts.path}{query}"
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{parts.scheme}://{parts.netloc}/{name}{query}"
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict[str, str], *arguments: str) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stderr}")


@contextmanager
def live_site(
    directory: Path,
    *,
    env: dict[str, str] | None = None,
    serve_arguments: Sequence[str] = (),
    tenant_options: Sequence[str] = (),
) -> Iterator[LiveSite]:
    """Migrate a fresh database, add LIVE_TENANTS, and run daphne until the block ends."""
    with live_database(directory) as database_url:
        # A fresh SECRET_KEY per site: rate-limit buckets and tombstones are keyed by it,
        # so sites sharing one Redis do not share them.
        fresh = {"ATOPOS_ENV": "test", "DATABASE_URL": database_url,
                 "SECRET_KEY": secrets.token_urlsafe(48)}  # fmt: skip
        environment = base_env(**{**fresh, **(env or {})})
        manage(environment, "migrate", "--noinput")
        for slug, name, hostnames in LIVE_TENANTS:
            domains = [argument for host in hostnames for argument in ("--domain", host)]
            manage(environment, "tenant", "add", slug, "--name", name, *domains, *tenant_options)
        port = free_port()
        command = [sys.executable, "-m", "atopos_site.serve", "--bind", "127.0.0.1",
                   "--port", str(port), *serve_arguments]  # fmt: skip
        site = LiveSite(port, None, directory / f"daphne-{port}.log", command, environment)  # type: ignore[arg-type]
        try:
            site.start()
            yield site
        finally:
            if site.process is not None:
                stop(site.process)
