"""The last gate before artifacts are published: an allowlist of what may appear in them.

Artifacts go on a public page and into the repository. A check that put a
hostname, an IP address, a machine path, a secret or a raw log line in its
details would leak what the evidence is meant to show is never leaked, so
the run fails. Guessing what a leak looks like (a list of TLDs, of machine
directories) always misses some, so this gate works the other way round:
text of the shapes that can carry a leak is published only in the forms
described here, and everything else of those shapes is refused.

- **Dotted names** (``word.word``, in any script) may only be:
  a number or a version (``0.23``, ``2.0.4``, ``v20.20.2``); a file name with
  one of :data:`FILE_EXTENSIONS` (``session.js``, ``summary.json``); or a
  name that resolves to a real object in our code or in a library listed in
  :data:`CODE_ROOTS` (``atopos_protocol.labels.Label.RID``,
  ``nacl.public.SealedBox``, ``Tenant.display_name``). Any other dotted name
  (``foo.corp``, ``host.internal``, ``db.prod``) is taken for a hostname.
  So is the single word ``localhost``.
- **Absolute paths** (a ``/`` that starts a word) may only be routes of the
  site: ``/`` and paths under :data:`SITE_ROUTES` (``/static/js/x.js``,
  ``/security/evidence/``). ``/srv/x``, ``/opt/x``, ``/etc/passwd``, a home
  directory or a Windows drive path are paths on some machine.
- **URLs** (``scheme://``), **IP addresses** (IPv4, and IPv6 in any notation,
  glued to other text or not), **raw log lines**, **private keys** and every
  **secret** the run planted or saw (in any encoding) are never published.

Repository-relative paths (``tests/claims/test_x.py``), prose, numbers, times
and hashes pass. Findings name the artifact and the kind of problem, never
the offending text.
"""

from __future__ import annotations

import base64
import importlib
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from atopos_site.routes import PUBLIC_ROUTE_SEGMENTS

# Routes a crawler may not find by links but every deployment answers (the site checks
# probe them; a path among them in an artifact is no leak).
PROBED_PATHS = ("/", "/r/", "/.well-known/security.txt", "/robots.txt", "/no-such-page/", "/ws/v1")


def encodings(value: bytes) -> list[bytes]:
    """The forms a leaked value could take: raw, hex, base64 and base64url."""
    forms = [value, value.hex().encode(), value.hex().upper().encode()]
    standard = base64.b64encode(value)
    forms += [standard, standard.rstrip(b"=")]
    url = base64.urlsafe_b64encode(value)
    forms += [url, url.rstrip(b"=")]
    return [form for form in dict.fromkeys(forms) if len(form) >= 8]


# File types the evidence names (sources, artifacts, vendored bundles, pages, and
# the TLA+ modules and TLC configurations of spec/).
FILE_EXTENSIONS = frozenset(
    {
        "py",
        "js",
        "mjs",
        "json",
        "md",
        "toml",
        "txt",
        "css",
        "svg",
        "html",
        "png",
        "lock",
        "tla",
        "cfg",
    }
)
# First labels of dotted code names, and the object each stands for.
CODE_ROOTS = {
    "atopos_protocol": "atopos_protocol",
    "atopos_client": "atopos_client",
    "atopos_site": "atopos_site",
    "rooms": "rooms",
    "governance": "governance",
    "evidence": "evidence",
    "tests": "tests",
    "bench": "bench",
    "nacl": "nacl",
    "django": "django",
    "channels": "channels",
    "Tenant": "atopos_site.tenancy.models:Tenant",
    "TenantDomain": "atopos_site.tenancy.models:TenantDomain",
}
# First segments of the site's routes and of the paths the checks probe
# (an unknown page among them): an absolute path must start with one.
SITE_ROUTES = PUBLIC_ROUTE_SEGMENTS | (
    {path.strip("/").split("/")[0] for path in PROBED_PATHS} - {""}
)

IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# Any run of hex digits and colons with at least two colons may hold an IPv6
# address, whatever surrounds it ("peer:2001:db8::1"); every sub-span that
# starts and ends on a group boundary is tried.
IPV6_RUN = re.compile(r"[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:]*")
_MAX_IPV6_RUN = 80
# A test's id names its file and the test with "::" ("tests/x.py::test_y",
# "tests/js/a.test.js::a hello"), and "::" alone is a valid IPv6 address:
# that separator is read as a space before addresses are looked for.
TEST_ID_SEPARATOR = re.compile(r"(?:(?<=\.py)|(?<=\.js))::")
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]*", re.IGNORECASE)
DOTTED = re.compile(r"(?<![\w.-])[\w-]+(?:\.[\w-]+)+")
NUMBER_OR_VERSION = re.compile(r"v?\d+(?:\.\d+)+")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LOCALHOST = re.compile(r"(?<![\w.-])localhost(?![\w-])", re.IGNORECASE)
# A slash starts a path only at the start of a word: after the start of the
# text, white space, a quote, a bracket or a separator. "a/b" and base64's
# "x//y" are not paths.
ABSOLUTE_PATH = re.compile(r"(?<![^\s\"'`(\[{<=,;:|>])/[^\s\"'`<>()\[\]{},;|]*")
WINDOWS_PATH = re.compile(r"(?<![A-Za-z])[A-Za-z]:\\|\\\\[\w.-]+\\|~/")
RAW_LOG_LINE = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}[,.]\d{3} (?:DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"|\"(?:GET|POST|HEAD|WSCONNECT|WSCONNECTING|WSDISCONNECT) /"
    r"|Traceback \(most recent call last\)"
)
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
# JSON writes a newline inside a string as backslash-n: read it as a space,
# so "\n/srv/x" is a path at the start of a line, as a reader would see it;
# an escaped backslash is read as one backslash (C:\\Users is C:\Users).
JSON_ESCAPE = re.compile(r"\\[nrtbf\"\\/]")


def _unescaped(text: str) -> str:
    return JSON_ESCAPE.sub(lambda match: "\\" if match.group() == "\\\\" else " ", text)


def _ipv6_in(run: str) -> str | None:
    """The first IPv6 address inside ``run`` (on group boundaries), or None."""
    if len(run) > _MAX_IPV6_RUN:
        return run  # far longer than any address: refuse rather than search
    starts = [0, *(index + 1 for index, char in enumerate(run) if char == ":")]
    ends = [len(run), *(index for index, char in enumerate(run) if char == ":")]
    for start in starts:
        for end in ends:
            candidate = run[start:end]
            if end - start < 2 or candidate.count(":") < 2:
                continue
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            return candidate
    return None


def addresses_in(text: str) -> list[str]:
    """Substrings that parse as IP addresses (clock times like 12:30:01 do not)."""
    found = []
    for match in IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(match.group())
        except ValueError:
            continue
        found.append(match.group())
    for match in IPV6_RUN.finditer(text):
        address = _ipv6_in(match.group())
        if address is not None:
            found.append(address)
    return found


@lru_cache(maxsize=4096)
def names_code(dotted: str) -> bool:
    """True when ``dotted`` resolves, attribute by attribute, from one of CODE_ROOTS."""
    labels = dotted.split(".")
    root = CODE_ROOTS.get(labels[0])
    if root is None or not all(IDENTIFIER.fullmatch(label) for label in labels):
        return False
    module_name, _, attribute = root.partition(":")
    try:
        current: object = importlib.import_module(module_name)
        if attribute:
            current = getattr(current, attribute)
        for label in labels[1:]:
            if hasattr(current, label):
                current = getattr(current, label)
            elif hasattr(current, "__path__"):  # a package: the label may be a submodule
                current = importlib.import_module(f"{current.__name__}.{label}")  # type: ignore[attr-defined]
            else:
                return False
    except Exception:  # whatever fails to resolve is not published
        return False
    return True


def dotted_name_allowed(dotted: str) -> bool:
    """A number or version, a file name of a known type, or a name in our code."""
    if NUMBER_OR_VERSION.fullmatch(dotted):
        return True
    if dotted.rsplit(".", 1)[1].lower() in FILE_EXTENSIONS:
        return True
    return names_code(dotted)


def path_allowed(path: str) -> bool:
    """An absolute path is publishable only as a route of the site."""
    first = path.lstrip("/").split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return path == "/" or (not path.startswith("//") and first in SITE_ROUTES)


@dataclass(frozen=True)
class Finding:
    """One reason an artifact may not be published (never the offending text itself)."""

    artifact: str
    what: str

    def __str__(self) -> str:
        return f"{self.artifact}: {self.what}"


def scan_text(name: str, text: str, secrets: Iterable[bytes] = ()) -> list[Finding]:
    """Everything in ``text`` that is not of a publishable form."""
    findings = []
    readable = _unescaped(text)
    if addresses_in(TEST_ID_SEPARATOR.sub(" ", readable)):
        findings.append(Finding(name, "holds an IP address"))
    if URL.search(readable):
        findings.append(Finding(name, "holds a URL"))
        # Reported once, as a URL: its host and path are not judged again.
        readable = URL.sub(" ", readable)
    dotted = (match.group() for match in DOTTED.finditer(readable))
    if LOCALHOST.search(readable) or not all(dotted_name_allowed(item) for item in dotted):
        findings.append(Finding(name, "holds a hostname"))
    if RAW_LOG_LINE.search(text):
        findings.append(Finding(name, "holds a raw log line"))
    if PRIVATE_KEY.search(text):
        findings.append(Finding(name, "holds a private key"))
    paths = (match.group() for match in ABSOLUTE_PATH.finditer(readable))
    if WINDOWS_PATH.search(readable) or not all(path_allowed(path) for path in paths):
        findings.append(Finding(name, "holds a path on this machine"))
    data = text.encode()
    if any(form in data for secret in secrets if secret for form in encodings(secret)):
        findings.append(Finding(name, "holds a secret"))
    return findings


def scan_directory(directory: Path, secrets: Iterable[bytes] = ()) -> list[Finding]:
    """Scan every artifact under ``directory``; names are relative to it."""
    known = list(secrets)
    findings = []
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            name = path.relative_to(directory).as_posix()
            findings += scan_text(name, path.read_text(encoding="utf-8", errors="replace"), known)
    return findings
