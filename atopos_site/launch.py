"""`make run`: one command from a fresh checkout to a running site.

Starts an embedded Redis when REDIS_URL is unset, applies migrations, makes
sure a tenant serves localhost and 127.0.0.1, then runs daphne (through
``atopos_site.serve``) on 127.0.0.1:PORT until Ctrl-C or SIGTERM, and stops
the embedded Redis last.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess  # only our own interpreter and module, no shell  # nosec B404
import sys
import time
from types import FrameType

from django.core.exceptions import ImproperlyConfigured

from atopos_site.embedded_redis import EmbeddedRedis, start_embedded_redis
from atopos_site.env import env_int

BIND_HOST = "127.0.0.1"
DEFAULT_TENANT = ("default", "Atopos", ("localhost", "127.0.0.1"))
STARTUP_TIMEOUT_SECONDS = 60.0


def say(message: str) -> None:
    """Print a progress line at once (the output may be a pipe)."""
    print(message, flush=True)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def prepare_database() -> None:
    """Apply migrations and add the localhost tenant if it is missing."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atopos_site.settings")
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    slug, name, domains = DEFAULT_TENANT
    arguments = ["add", slug, "--name", name, "--if-absent"]
    for domain in domains:
        arguments += ["--domain", domain]
    call_command("tenant", *arguments)


def wait_until_listening(process: subprocess.Popen[bytes], port: int) -> bool:
    """True once the port accepts connections; False if the server exited first."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((BIND_HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def serve(port: int) -> int:
    """Run daphne until it exits or we are told to stop; return its exit status."""
    command = [sys.executable, "-m", "atopos_site.serve", "--bind", BIND_HOST, "--port", str(port)]
    server = subprocess.Popen(command)  # noqa: S603 -- our own interpreter and module  # nosec B603
    try:
        if not wait_until_listening(server, port):
            say("The server did not start; see the messages above.")
            return server.wait() or 1
        say(f"Atopos is running at http://{BIND_HOST}:{port}/ (Ctrl-C stops it)")
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main() -> int:
    """Entry point of `python -m atopos_site.launch`."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        port = env_int("PORT", 8000, minimum=1, maximum=65535)
    except ImproperlyConfigured as error:
        say(f"Cannot start: {error}")
        return 2
    embedded: EmbeddedRedis | None = None
    try:
        if not os.environ.get("REDIS_URL"):
            embedded = start_embedded_redis()
            os.environ["REDIS_URL"] = embedded.url
            say(f"Started embedded Redis (pid {embedded.pid}) on a private unix socket")
        prepare_database()
        return serve(port)
    except KeyboardInterrupt:
        return 0
    except ImproperlyConfigured as error:
        say(f"Cannot start: {error}")
        return 2
    finally:
        if embedded is not None:
            embedded.stop()
            say("Stopped embedded Redis")


if __name__ == "__main__":
    sys.exit(main())
