"""C12: every response, pages, assets, errors and the socket path alike, has strict headers.

The site is crawled from its home page (and the routes every deployment
answers, including a missing page); each response must carry a CSP without
unsafe sources and with the directives docs/ARCHITECTURE.md lists, the
no-referrer, nosniff, same-origin and deny-all permission headers, no
cookie, and HSTS when served over HTTPS. Runs against any deployment
(--base-url).

``script-src`` is ``'self'``, plus at most the hashes of the page's own
inline import maps (data, not code: the room page pins its modules' SRI
hashes that way); a hash that admits any other inline script, or that
matches nothing on the page, fails.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from evidence.check import CheckResult, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.site import Crawl, Fetched, crawl

REQUIRED_DIRECTIVES = {
    "default-src": "'none'", "script-src": "'self'", "style-src": "'self'",
    "base-uri": "'none'", "form-action": "'self'", "frame-ancestors": "'none'",
}  # fmt: skip
EXACT_HEADERS = {
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
DENIED_FEATURES = ("camera=()", "microphone=()", "geolocation=()")
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "*", "data:")


HASH_SOURCE = re.compile(r"'(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}'")


class _InlineScripts(HTMLParser):
    """The type and text of every inline script element of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[tuple[str, str]] = []
        self._open: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and "src" not in values:
            self._open = (values.get("type", "").strip().lower(), [])

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            self.scripts.append((self._open[0], "".join(self._open[1])))
            self._open = None


def inline_script_hashes(body: bytes) -> dict[str, str]:
    """Each hash-source (any algorithm) of the page's inline scripts -> that script's type."""
    parser = _InlineScripts()
    parser.feed(body.decode("utf-8", errors="replace"))
    hashes = {}
    for kind, text in parser.scripts:
        for algorithm in ("sha256", "sha384", "sha512"):
            value = base64.b64encode(hashlib.new(algorithm, text.encode()).digest()).decode()
            hashes[f"'{algorithm}-{value}'"] = kind or "text/javascript"
    return hashes


def csp_problems(policy: str, body: bytes = b"") -> list[str]:
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    inline = inline_script_hashes(body) if body else {}
    script_src = directives.get("script-src", [])
    admitted = [source for source in script_src[1:] if HASH_SOURCE.fullmatch(source)]
    problems = []
    for source in admitted:
        kind = inline.get(source)
        if kind is None:
            problems.append("CSP script-src admits a hash of no inline script on the page")
        elif kind != "importmap":
            problems.append(f"CSP script-src admits an inline {kind} script")
    directives["script-src"] = [source for source in script_src if source not in admitted]
    problems += [
        f"CSP {name} is not {value}"
        for name, value in REQUIRED_DIRECTIVES.items()
        if directives.get(name) != [value]
    ]
    for name, sources in directives.items():
        problems += [f"CSP {name} allows {source}" for source in sources if source in UNSAFE]
    return problems


def response_problems(response: Fetched, https: bool) -> list[str]:
    headers = response.headers
    body = response.body if response.is_html else b""
    problems = csp_problems(headers.get("content-security-policy", ""), body) if (
        "content-security-policy" in headers
    ) else ["no Content-Security-Policy"]  # fmt: skip
    for name, value in EXACT_HEADERS.items():
        if headers.get(name, "").lower() != value:
            problems.append(f"{name} is not {value}")
    policy = headers.get("permissions-policy", "")
    problems += [f"Permissions-Policy lacks {feature}" for feature in DENIED_FEATURES
                 if feature not in policy]  # fmt: skip
    if "set-cookie" in headers:
        problems.append("sets a cookie")
    if https and "max-age=" not in headers.get("strict-transport-security", ""):
        problems.append("no Strict-Transport-Security over HTTPS")
    return problems


def judge(responses: list[Fetched], https: bool) -> CheckResult:
    violations = [
        f"{response.path} ({response.status}): {problem}"
        for response in responses
        for problem in response_problems(response, https)
    ]
    statuses = sorted({response.status for response in responses})
    if not any(response.is_html for response in responses):
        violations.append("no page was fetched")
    return judged(
        violations, {"responses": len(responses), "pages": sum(r.is_html for r in responses)},
        f"all {len(responses)} responses carry strict security headers",
        "some responses lack strict security headers",
        {"paths": sorted(r.path for r in responses), "statuses": statuses},
    )  # fmt: skip


def site_crawl(ctx: Context) -> Crawl:
    crawled: Crawl = ctx.memo("crawl", lambda: crawl(ctx.origin()))
    return crawled


def run(ctx: Context) -> CheckResult:
    visit = site_crawl(ctx)
    return judge(list(visit.responses.values()), visit.origin.startswith("https://"))


pytestmark = pytest.mark.check("Strict security headers on every route", "runtime", remote=True)


def test_security_headers_every_route(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
