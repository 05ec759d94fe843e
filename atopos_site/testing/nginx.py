"""Debian's real nginx running the shipped template (deploy/nginx/atopos.conf), for tests.

The template is used as it is, with only the lines that name this machine's
things replaced (listening ports, certificate, log files, the upstream
port); each replacement must match exactly once, so a template that drifts
away from what the tests run fails loudly instead of being tested half. The
certificate is a fresh self-signed one for ``localhost`` and ``127.0.0.1``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from atopos_site.testing.processes import ROOT, free_port, stop, wait_for_port

TEMPLATE = ROOT / "deploy" / "nginx" / "atopos.conf"
NGINX = "/usr/sbin/nginx"


def nginx_available() -> bool:
    """True when Debian's nginx and openssl are installed (``apt-get install nginx``)."""
    return Path(NGINX).is_file() and shutil.which("openssl") is not None


@dataclass(frozen=True)
class NginxProxy:
    """A running nginx: its TLS port, its CA file and its access log."""

    tls_port: int
    plain_port: int
    certificate: Path
    access_log: Path
    error_log: Path

    def access_lines(self) -> str:
        """What nginx wrote to the template's access log so far."""
        return self.access_log.read_text(errors="replace") if self.access_log.exists() else ""


def replace_once(text: str, old: str, new: str, template: str = "nginx") -> str:
    """``old`` replaced by ``new``, which must occur exactly once in the ``template`` text."""
    count = text.count(old)
    if count != 1:
        raise AssertionError(f"the {template} template holds {old!r} {count} times, expected once")
    return text.replace(old, new)


def render_template(upstream_port: int, tls_port: int, plain_port: int, directory: Path) -> str:
    """The shipped template with this machine's ports, certificate and log paths."""
    text = TEMPLATE.read_text()
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{plain_port};"),
        ("/etc/ssl/atopos/fullchain.pem", str(directory / "cert.pem")),
        ("/etc/ssl/atopos/privkey.pem", str(directory / "key.pem")),
        ("/var/log/nginx/atopos.log", str(directory / "access.log")),
        ("/var/log/nginx/atopos-error.log", str(directory / "error.log")),
    ):
        text = replace_once(text, old, new)
    return text


def _self_signed_certificate(directory: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed (apt-get install openssl)")
    subprocess.run(  # noqa: S603 -- fixed arguments, our own temporary paths
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,DNS:*.localhost,IP:127.0.0.1",
            "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
        ],
        check=True, capture_output=True,
    )  # fmt: skip


def main_config(directory: Path, worker_connections: int = 256) -> str:
    """nginx.conf for a throwaway nginx: everything it would otherwise write under /var
    goes to ``directory``, and ``directory``/atopos.conf is included in the http block,
    as conf.d/ files are."""
    return f"""
pid {directory}/nginx.pid;
error_log {directory}/main-error.log warn;
worker_processes 1;
user root;
events {{ worker_connections {worker_connections}; }}
http {{
    access_log off;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/atopos.conf;
}}
"""


@contextmanager
def nginx_proxy(directory: Path, upstream_port: int) -> Iterator[NginxProxy]:
    """Run nginx with the shipped template in front of 127.0.0.1:``upstream_port``."""
    directory.mkdir(parents=True, exist_ok=True)
    _self_signed_certificate(directory)
    tls_port, plain_port = free_port(), free_port()
    (directory / "atopos.conf").write_text(
        render_template(upstream_port, tls_port, plain_port, directory)
    )
    (directory / "nginx.conf").write_text(main_config(directory))
    command = [NGINX, "-p", str(directory), "-e", str(directory / "main-error.log"),
               "-c", str(directory / "nginx.conf"), "-g", "daemon off;"]  # fmt: skip
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)  # noqa: S603
    if checked.returncode:
        raise RuntimeError(f"nginx refused the template:\n{checked.stderr}")
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        wait_for_port(tls_port, process, timeout=15)
        yield NginxProxy(
            tls_port, plain_port, directory / "cert.pem", directory / "access.log",
            directory / "error.log",
        )  # fmt: skip
    finally:
        stop(process)
