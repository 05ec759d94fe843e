"""One live run for every runtime check: a real site, scripted sessions, their recordings.

The run owns its Redis (an embedded redis-server) and its database, so the
keyspace it scans holds only what the scripted sessions made.
"""

from __future__ import annotations

import asyncio
import shutil
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import redis

from atopos_site.embedded_redis import start_embedded_redis
from atopos_site.testing.live_site import LiveSite, live_site, manage
from tests.claims.live.browser import BrowserRecord, record_browser_room
from tests.claims.live.canaries import Canaries
from tests.claims.live.keyspace import KeyRecord, snapshot
from tests.claims.live.session import SessionRecord, run_python_session
from tests.claims.live.wire import WireLog, recording_python_clients

# The scripted sessions and races open many sockets from one address; checks
# that probe the limits themselves add a tenant of their own (add_tenant).
ROOMY_TENANTS = (
    "--joins-per-minute", "600", "--rooms-per-hour", "1000",
    "--messages-per-minute", "6000", "--max-members", "60",
)  # fmt: skip


@dataclass
class LiveEvidence:
    """A running site and what the scripted sessions recorded on it."""

    stack: ExitStack
    site: LiveSite
    redis_url: str
    canaries: Canaries = field(default_factory=Canaries)
    wire: WireLog = field(default_factory=WireLog)
    session: SessionRecord = field(default_factory=SessionRecord)
    browser: BrowserRecord | None = None
    browser_problem: str = ""

    @property
    def origin(self) -> str:
        return self.site.url("").rstrip("/")

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    def keyspace(self) -> list[KeyRecord]:
        client = self.redis()
        try:
            return snapshot(client)
        finally:
            client.close()

    def add_tenant(self, slug: str, hostname: str, *options: str) -> str:
        """Add a tenant on ``hostname`` (e.g. limits.localhost) to the running site; its origin."""
        manage(self.site.environment, "tenant", "add", slug, "--domain", hostname, *options)
        return self.site.url("", host=hostname).rstrip("/")

    def log_text(self) -> str:
        """Everything the server printed so far."""
        return self.site.output()

    def close(self) -> None:
        self.stack.close()


def start_live_site(directory: Path) -> LiveEvidence:
    """A fresh site on its own Redis and database, nothing recorded yet."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    stack = ExitStack()
    try:
        server = stack.enter_context(start_embedded_redis())
        # DEBUG: the most the server ever logs is what the log checks search.
        env = {"REDIS_URL": server.url, "ATOPOS_LOG_LEVEL": "DEBUG"}
        site = stack.enter_context(live_site(directory, env=env, tenant_options=ROOMY_TENANTS))
    except BaseException:
        stack.close()
        raise
    return LiveEvidence(stack, site, server.url)


def record_live_session(directory: Path) -> LiveEvidence:
    """Start a site, run the scripted Python and browser sessions, keep their recordings."""
    live = start_live_site(directory)
    try:
        with recording_python_clients(live.wire):
            live.session = asyncio.run(
                run_python_session(live.origin, live.canaries, live.keyspace)
            )
        try:
            live.browser = record_browser_room(live.origin, live.wire, live.canaries)
        except Exception as error:  # reported by the checks that need it
            live.browser_problem = f"the browser session could not run: {type(error).__name__}"
    except BaseException:
        live.close()
        raise
    return live
