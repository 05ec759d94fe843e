"""Keep client addresses and room routes out of every log line.

The filter sits on the one handler all logging goes through (see LOGGING in
settings), so records from Django, daphne and Twisted are all covered. It
rewrites the formatted message, the exception text and the stack text; it
errs on the side of removing too much (a version string that looks like an
IPv4 address is removed as well).
"""

from __future__ import annotations

import ipaddress
import logging
import re

from atopos_site.routes import ROOM_PATH_PREFIXES

ADDRESS_MARK = "[address]"
ROUTE_MARK = "[redacted]"

_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d)")
_IPV6 = re.compile(
    r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})"
    r"(?:%[0-9A-Za-z_.-]+)?(?![0-9A-Fa-f:])"
)
# A route may appear with its leading slash ("/r/x" in an access line) or
# without it ("'r/x'" in Django's resolver errors, "host/r/x" in a URL), so the
# slash is optional and the segment must not continue a longer word.
_ROUTE_SEGMENTS = "|".join(re.escape(prefix.strip("/")) for prefix in ROOM_PATH_PREFIXES)
_ROOM_ROUTE = re.compile(rf"(?<![A-Za-z0-9_.-])(/?(?:{_ROUTE_SEGMENTS})/)[^\s\"'<>()\[\],]+")
_FORMATTER = logging.Formatter()


def _is_address(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _address_or_keep(match: re.Match[str]) -> str:
    return ADDRESS_MARK if _is_address(match.group(0)) else match.group(0)


def redact(text: str) -> str:
    """``text`` with IP addresses and anything after a room-route prefix removed."""
    text = _IPV6.sub(_address_or_keep, text)
    text = _IPV4.sub(_address_or_keep, text)
    return _ROOM_ROUTE.sub(lambda match: match.group(1) + ROUTE_MARK, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record in place so no handler can print the original."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace message, exception and stack text with their redacted forms."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
