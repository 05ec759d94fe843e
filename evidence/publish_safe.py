"""The last gate before artifacts are published: no host, address, secret or raw log line.

Artifacts go on a public page and into the repository. A check that put a
hostname, an IP address, a secret or a raw log line in its details would
leak what the evidence is meant to show is never leaked, so the run fails.
Absolute paths on the machine that ran it (home directories, scratch space)
are refused too: artifacts name files relative to the repository.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evidence.live.canaries import encodings

IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
IPV6 = re.compile(r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Za-z:])")
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.IGNORECASE)
HOSTNAME = re.compile(
    r"\b(?:[a-z0-9-]+\.)*(?:localhost|[a-z0-9-]+\.(?:com|net|org|io|dev|app|onion|local|lan|"
    r"internal|example|test|invalid|arpa|cloud|xyz|info|me|co|de|uk|fr|eu|us|ch|nl))\b"
    # A name that goes on with ".js" or ".py" is a file name, not a host.
    r"(?!\.[A-Za-z0-9])",
    re.IGNORECASE,
)
RAW_LOG_LINE = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}[,.]\d{3} (?:DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"|\"(?:GET|POST|HEAD|WSCONNECT|WSCONNECTING|WSDISCONNECT) /"
    r"|Traceback \(most recent call last\)"
)
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
# Where this machine keeps things, and whose home it is: not for publishing.
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:home|root|Users|tmp|var/folders|work)/[^\s\"'<>]+")


def addresses_in(text: str) -> list[str]:
    """Substrings that parse as IP addresses (clock times like 12:30:01 do not)."""
    found = []
    for match in (*IPV4.finditer(text), *IPV6.finditer(text)):
        try:
            ipaddress.ip_address(match.group())
        except ValueError:
            continue
        found.append(match.group())
    return found


@dataclass(frozen=True)
class Finding:
    """One reason an artifact may not be published (never the offending text itself)."""

    artifact: str
    what: str

    def __str__(self) -> str:
        return f"{self.artifact}: {self.what}"


def scan_text(name: str, text: str, secrets: Iterable[bytes] = ()) -> list[Finding]:
    """Everything in ``text`` that must not be published."""
    findings = []
    if addresses_in(text):
        findings.append(Finding(name, "holds an IP address"))
    if URL.search(text):
        findings.append(Finding(name, "holds a URL"))
    if HOSTNAME.search(text):
        findings.append(Finding(name, "holds a hostname"))
    if RAW_LOG_LINE.search(text):
        findings.append(Finding(name, "holds a raw log line"))
    if PRIVATE_KEY.search(text):
        findings.append(Finding(name, "holds a private key"))
    if MACHINE_PATH.search(text):
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
