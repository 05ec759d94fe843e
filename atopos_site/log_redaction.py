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
from urllib.parse import unquote

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
# without it ("'r/x'" in Django's resolver errors, "host/r/x" in a URL). A log
# line is cut into runs of characters that can belong to a path; in each run,
# every place where a path segment can start is tried: the run's start, after
# a character that cannot continue a word ("/", "=", ":"...) or after an
# encoded slash. The rest of the run is normalised as a server or proxy
# might (percent-decoded, even repeatedly, case-folded, slashes collapsed)
# and, if it then begins with a room prefix, replaced by that prefix and the
# mark. So //r/x, /%72/x, /R/x and /%2572/x are all caught; printing only the
# raw text before the match and a fixed prefix after it never writes decoded
# bytes (a decoded %0a would forge a log line).
_ROOM_SEGMENTS = tuple(prefix.strip("/") + "/" for prefix in ROOM_PATH_PREFIXES)
_RUN = re.compile(r"[^\s\"'<>()\[\],]+")
# A room prefix starts with r or w, in either case, or with an encoded character.
_SEGMENT_START = re.compile(r"(?:^|(?<=[^A-Za-z0-9_.~%-])|(?<=%2[fF]))(?=[rRwW%])")
# Decoding stops after this many rounds; a longer chain is refused outright.
_MAX_DECODES = 4
# Only the start of what follows a segment start can spell a room prefix (even
# encoded four times); reading no further, and trying a bounded number of
# starts per run, keeps the filter's cost linear in the line's length
# whatever a client puts in a path. A run with more starts than that is
# redacted from its first start on: too much rather than too little.
_PREFIX_WINDOW = 64
_MAX_STARTS = 64
# A link's fragment holds its key. A link mangled on the way ("/r%23v2.…" with
# its slash lost, "/%23v2.…") reaches the server with the key in a path that
# no room prefix covers, so everything from a "#", raw or encoded at any depth,
# is removed wherever it stands in a run.
_FRAGMENT_MARK = re.compile(r"#|%(?:25)*23", re.IGNORECASE)
_FORMATTER = logging.Formatter()


def _is_address(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _address_or_keep(match: re.Match[str]) -> str:
    return ADDRESS_MARK if _is_address(match.group(0)) else match.group(0)


def _normalised_path(text: str) -> str:
    """``text`` decoded as a server would read it: unquoted, case-folded, slashes collapsed."""
    for _ in range(_MAX_DECODES):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    else:
        # Still encoded after every round: treat it as a room path, to be safe.
        return _ROOM_SEGMENTS[0] + text
    return re.sub("/+", "/", text.casefold()).lstrip("/")


def _room_segment(rest: str) -> str | None:
    """The room prefix ``rest`` starts with once normalised, if anything follows it."""
    path = _normalised_path(rest[:_PREFIX_WINDOW])
    for segment in _ROOM_SEGMENTS:
        if path.startswith(segment) and len(path) > len(segment):
            return segment
    return None


def _redact_run(match: re.Match[str]) -> str:
    whole = match.group(0)
    fragment = _FRAGMENT_MARK.search(whole)
    run = whole if fragment is None else whole[: fragment.start()]
    tail = "" if fragment is None else ROUTE_MARK
    first = None
    for tried, start in enumerate(_SEGMENT_START.finditer(run)):
        position = start.start()
        if first is None:
            first = position
        if tried == _MAX_STARTS:
            return run[:first] + ROUTE_MARK
        segment = _room_segment(run[position:])
        if segment is not None:
            return run[:position] + segment + ROUTE_MARK
    return run + tail


def redact(text: str) -> str:
    """``text`` with IP addresses, and anything after a room-route prefix or a "#", removed."""
    text = _IPV6.sub(_address_or_keep, text)
    text = _IPV4.sub(_address_or_keep, text)
    return _RUN.sub(_redact_run, text)


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
