"""Debian's real nginx running the shipped onion template (deploy/nginx/atopos-onion.conf).

As with :mod:`atopos_site.testing.nginx`, the template runs as it is, with
only the lines that name this machine's things replaced (the listening port,
the upstream port, the log files), each exactly once.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from atopos_site.testing.nginx import NGINX, main_config, replace_once
from atopos_site.testing.processes import ROOT, free_port, stop, wait_for_port

TEMPLATE = ROOT / "deploy" / "nginx" / "atopos-onion.conf"


@dataclass(frozen=True)
class OnionProxy:
    """A running nginx: the port tor's onion service forwards to, and its logs."""

    port: int
    access_log: Path
    error_log: Path

    def access_lines(self) -> str:
        """What nginx wrote to the template's access log so far."""
        return self.access_log.read_text(errors="replace") if self.access_log.exists() else ""


def render_template(upstream_port: int, port: int, directory: Path) -> str:
    """The shipped onion template with this machine's ports and log paths."""
    text = TEMPLATE.read_text()
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("listen 127.0.0.1:8080 proxy_protocol;", f"listen 127.0.0.1:{port} proxy_protocol;"),
        ("/var/log/nginx/atopos-onion.log", str(directory / "access.log")),
        ("/var/log/nginx/atopos-onion-error.log", str(directory / "error.log")),
    ):
        text = replace_once(text, old, new, "onion")
    return text


@contextmanager
def onion_proxy(
    directory: Path, upstream_port: int, port: int | None = None
) -> Iterator[OnionProxy]:
    """Run nginx with the onion template on ``port`` (a free one unless given) in front of
    127.0.0.1:``upstream_port``."""
    directory.mkdir(parents=True, exist_ok=True)
    port = port if port is not None else free_port()
    (directory / "atopos.conf").write_text(render_template(upstream_port, port, directory))
    (directory / "nginx.conf").write_text(main_config(directory))
    command = [NGINX, "-p", str(directory), "-e", str(directory / "main-error.log"),
               "-c", str(directory / "nginx.conf"), "-g", "daemon off;"]  # fmt: skip
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)  # noqa: S603
    if checked.returncode:
        raise RuntimeError(f"nginx refused the onion template:\n{checked.stderr}")
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        wait_for_port(port, process, timeout=15)
        yield OnionProxy(port, directory / "access.log", directory / "error.log")
    finally:
        stop(process)
