"""Fetch a site the way a visitor would: every page reachable from the home page, and assets.

Shared by the checks that work from outside (headers, origins, served code),
so they judge the very same responses.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from evidence.publish_safe import PROBED_PATHS

MAX_PAGES = 80
TIMEOUT_S = 15
# Routes a crawler may not find by links but every deployment answers.
ALWAYS = PROBED_PATHS
# Tag -> attributes that make the browser fetch something.
LOADING_ATTRIBUTES = {
    "script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",),
    "frame": ("src",), "embed": ("src",), "object": ("data",), "source": ("src", "srcset"),
    "audio": ("src",), "video": ("src", "poster"), "track": ("src",), "form": ("action",),
    "input": ("src",), "base": ("href",),
}  # fmt: skip


@dataclass
class Reference:
    """Something a page asks the browser to load (or submit to)."""

    tag: str
    attribute: str
    value: str
    integrity: str | None = None


@dataclass
class Fetched:
    """One response, as the site sent it."""

    path: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def is_html(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/html")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[Reference] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if tag == "a" and "href" in values:
            self.links.append(values["href"])
        for attribute in LOADING_ATTRIBUTES.get(tag, ()):
            if attribute in values:
                self.references.append(
                    Reference(tag, attribute, values[attribute], values.get("integrity"))
                )


def parse_html(body: bytes) -> tuple[list[Reference], list[str]]:
    """What a page loads, and where its links go."""
    parser = _Parser()
    parser.feed(body.decode("utf-8", errors="replace"))
    return parser.references, parser.links


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(origin: str, path: str) -> Fetched:
    """GET ``path``; redirects and errors are answers too, never exceptions."""
    request = urllib.request.Request(urljoin(origin + "/", path.lstrip("/")))  # noqa: S310
    try:
        with _OPENER.open(request, timeout=TIMEOUT_S) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    lowered = {name.lower(): value for name, value in headers.items()}
    return Fetched(path, status, lowered, body)


def same_origin_path(origin: str, page: str, value: str) -> str | None:
    """The path ``value`` (relative to ``page``) points at on ``origin``, else None."""
    target = urlsplit(urljoin(origin + page, value))
    if f"{target.scheme}://{target.netloc}" != origin:
        return None
    return target.path or "/"


@dataclass
class Crawl:
    """Every response of one visit to a site."""

    origin: str
    responses: dict[str, Fetched] = field(default_factory=dict)

    def pages(self) -> list[Fetched]:
        return [response for response in self.responses.values() if response.is_html]


def crawl(origin: str, extra_paths: tuple[str, ...] = ()) -> Crawl:
    """Pages reachable by links from ALWAYS and ``extra_paths``, and every asset they load."""
    result = Crawl(origin.rstrip("/"))
    queue = list(dict.fromkeys((*ALWAYS, *extra_paths)))
    while queue and len(result.responses) < MAX_PAGES * 4:
        path = queue.pop(0)
        if path in result.responses:
            continue
        response = fetch(result.origin, path)
        result.responses[path] = response
        if not response.is_html or len(result.pages()) > MAX_PAGES:
            continue
        references, links = parse_html(response.body)
        for value in [*(r.value for r in references), *links]:
            target = same_origin_path(result.origin, path, value.split(" ", 1)[0])
            if target is not None and target not in result.responses:
                queue.append(target)
    return result
