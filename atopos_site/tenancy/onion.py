"""A tenant's onion address, and the Onion-Location header that points Tor Browser at it.

Tor Browser, on an HTTPS page whose response carries ``Onion-Location``,
offers to open the same page at the onion address instead. A tenant that
runs an onion service (deploy/tor/) sets its origin once; every HTML page
its other domains serve with 200 then names the same path on the onion.

The setting is checked the way Tor checks an address: a version 3 onion
name is 56 base32 characters encoding the service's ed25519 key, a two-byte
checksum and the version (rend-spec-v3, "Encoding onion addresses"), so a
mistyped character is refused here instead of sending visitors nowhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponseBase
from django.utils.encoding import escape_uri_path

from atopos_site.routes import ROOM_PAGE_PREFIX

ONION_V3_LENGTH = 56
_VERSION = b"\x03"
_CHECKSUM_LABEL = b".onion checksum"


def onion_v3_hostname_is_valid(hostname: str) -> bool:
    """True for a version 3 onion name (``<56 base32 characters>.onion``) with a good checksum."""
    label, dot, top = hostname.rpartition(".")
    if dot != "." or top != "onion" or len(label) != ONION_V3_LENGTH or "." in label:
        return False
    try:
        decoded = base64.b32decode(label.upper())
    except (binascii.Error, ValueError):
        return False
    public_key, checksum, version = decoded[:32], decoded[32:34], decoded[34:]
    expected = hashlib.sha3_256(_CHECKSUM_LABEL + public_key + _VERSION).digest()[:2]
    return version == _VERSION and checksum == expected


def normalize_onion_location(value: str) -> str:
    """The canonical onion origin (``http://<name>.onion``, lower case, no slash) of ``value``.

    Raises ``ValueError`` for anything but an http or https URL of a valid
    version 3 onion name, with at most a port and a bare "/" after it.
    """
    text = value.strip()
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port is not a number from 1 to 65535") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("give an http:// (or https://) URL, e.g. http://<56 characters>.onion")
    if parts.username is not None or parts.password is not None:
        raise ValueError("an onion location carries no user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError("give the onion's origin only: each page adds its own path")
    hostname = (parts.hostname or "").lower()
    if not onion_v3_hostname_is_valid(hostname):
        raise ValueError(
            f"{hostname or value!r} is not a version 3 onion address "
            "(56 letters a-z and digits 2-7, then .onion, as tor wrote it in its hostname file)"
        )
    suffix = f":{port}" if port is not None else ""
    return f"{parts.scheme.lower()}://{hostname}{suffix}"


def onion_location_for(
    request: HttpRequest, response: HttpResponseBase, hostname: str, origin: str
) -> str | None:
    """The Onion-Location value for this response to ``hostname``, or None for none.

    Only successful HTML pages carry it, and never on an onion host itself. The
    path is the page's own, except the room page's: everything after "/r/" is
    reduced to "/r/", because a link pasted with "%23" for "#" brings the
    room's key in the path and the header must not echo it back.
    """
    if not origin or hostname.endswith(".onion") or response.status_code != 200:
        return None
    if not response.get("Content-Type", "").startswith("text/html"):
        return None
    path = request.path
    if path.startswith(ROOM_PAGE_PREFIX):
        path = ROOM_PAGE_PREFIX
    return origin + escape_uri_path(path)
