"""Headless Debian Chromium through Playwright, and a recorder for what a page does."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from atopos_site.testing.chromium import CHROMIUM, CHROMIUM_FLAGS

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "DESKTOP", "PHONE", "PageRecord", "origin"]

# Browser context options for the two sizes every room page is checked at.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}

# Collects CSP violations in the page itself; Playwright injects this through
# the DevTools protocol, which the page's CSP does not govern.
VIOLATION_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
window.__statusHistory = [];
new MutationObserver((changes) => {
  for (const change of changes) {
    if (change.attributeName === 'data-state') {
      window.__statusHistory.push(change.target.dataset.state);
    }
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
"""


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class PageRecord:
    """Everything a page logged, threw and requested while it was watched."""

    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        """Start recording ``page``'s console, errors and requests."""
        page.add_init_script(VIOLATION_RECORDER)

        def on_console(message) -> None:
            if message.type == "error":
                self.console_errors.append(message.text)
            elif message.type == "warning":
                self.console_warnings.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("request", lambda request: self.requests.append(request.url))
