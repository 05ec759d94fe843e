"""What a check may look at: the source tree, a scratch directory, and a live run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.claims.live.browser import BrowserRecord
    from tests.claims.live.canaries import Canaries
    from tests.claims.live.recording import LiveEvidence
    from tests.claims.live.wire import WireLog

PROJECT_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Context:
    """Shared by every check of one run.

    ``root`` is the tree being examined (tests point it at a seeded copy);
    ``work`` is a private scratch directory; ``base_url`` is set when the run
    examines a deployment we do not run, and then only remote checks run.
    """

    root: Path = PROJECT_ROOT
    work: Path = field(default_factory=lambda: PROJECT_ROOT / "var" / "evidence-work")
    base_url: str | None = None
    _live: LiveEvidence | None = None
    _remote_browser: tuple[BrowserRecord, Canaries, WireLog] | None = None
    _memo: dict[str, Any] = field(default_factory=dict)

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """Gather something once per run (a crawl, say) for every check that judges it."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    @property
    def remote(self) -> bool:
        return self.base_url is not None

    def origin(self) -> str:
        """The site under examination: the deployment given, or our own live site."""
        if self.base_url is not None:
            return self.base_url.rstrip("/")
        return self.live().origin

    def browser(self) -> tuple[BrowserRecord, Canaries, WireLog]:
        """A recorded two-browser room on the site under examination, and its canaries."""
        if self.base_url is None:
            live = self.live()
            if live.browser is None:
                raise RuntimeError(live.browser_problem or "the browser session did not run")
            return live.browser, live.canaries, live.wire
        if self._remote_browser is None:
            from tests.claims.live.browser import record_browser_room
            from tests.claims.live.canaries import Canaries
            from tests.claims.live.wire import WireLog

            canaries, wire = Canaries(), WireLog()
            record = record_browser_room(self.origin(), wire, canaries)
            self._remote_browser = (record, canaries, wire)
        return self._remote_browser

    def live(self) -> LiveEvidence:
        """The recordings of one scripted session on a real site (started on first use)."""
        if self._live is None:
            from tests.claims.live.recording import record_live_session

            self._live = record_live_session(self.work / "live")
        return self._live

    def planted_secrets(self) -> list[bytes]:
        """Everything secret the run made or saw: no artifact may hold any of it."""
        planted: list[bytes] = []
        if self._remote_browser is not None:
            planted += self._remote_browser[1].values.values()
        if self._live is not None:
            live, session = self._live, self._live.session
            planted += [
                *live.canaries.values.values(),
                session.server_shard,
                session.room_id,
                live.site.environment.get("SECRET_KEY", "").encode(),
            ]
        return planted

    def close(self) -> None:
        """Stop whatever the run started."""
        if self._live is not None:
            self._live.close()
            self._live = None
