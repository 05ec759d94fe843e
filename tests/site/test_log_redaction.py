"""The logging filter removes client addresses and room routes from every record."""

from __future__ import annotations

import logging
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atopos_site.log_redaction import RedactingFilter, redact


def emit(logger_name: str, message: str, *args: object, exc: BaseException | None = None) -> str:
    """Log through a handler with the filter, as settings configure it, and return the text."""
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        if exc is None:
            logger.warning(message, *args)
        else:
            try:
                raise exc
            except type(exc):
                logger.exception(message, *args)
    finally:
        logger.removeHandler(handler)
    return "\n".join(records)


@pytest.mark.parametrize(
    "address",
    ["203.0.113.77", "10.0.0.1", "2001:db8::8a2e:370:7334", "::1", "fe80::1%eth0",
     "::ffff:198.51.100.4", "2001:0db8:0000:0000:0000:0000:0000:0001"],
)  # fmt: skip
def test_addresses_in_arguments_are_removed(address):
    """An address passed as a log argument never reaches the output."""
    text = emit("daphne.http_protocol", "HTTP response complete for %s", [address, 51234])
    assert address not in text
    assert "[address]" in text


def test_addresses_in_exception_text_are_removed():
    """Tracebacks are redacted too."""
    text = emit("django.request", "failed", exc=ConnectionError("peer 198.51.100.23 reset"))
    assert "198.51.100.23" not in text
    assert "ConnectionError: peer [address] reset" in text


def test_room_routes_lose_everything_after_the_prefix():
    """Whatever follows /r/ or /ws/ in a path is removed."""
    text = emit("django.request", "Not Found: %s", "/r/Zm9vYmFyYmF6?x=1")
    assert text == "Not Found: /r/[redacted]"
    assert redact('"WSCONNECT /ws/v1"') == '"WSCONNECT /ws/[redacted]"'
    assert redact("https://chat.example.org/r/abc#frag") == "https://chat.example.org/r/[redacted]"


def test_room_routes_without_their_leading_slash_are_redacted_too():
    """Django's resolver reports paths as 'r/...'; that form is covered as well."""
    text = "Resolver404: {'tried': [], 'path': 'r/S3cretRoomId'}"
    assert redact(text) == "Resolver404: {'tried': [], 'path': 'r/[redacted]'}"
    assert redact("chr/abc and powers/x") == "chr/abc and powers/x"


def test_ordinary_text_is_left_alone():
    """Times, versions of other shapes, hostnames and plain paths survive."""
    text = "at 12:30:45 served /security/ for chat.example.org in 3.5 ms"
    assert redact(text) == text


def test_room_page_without_anything_after_it_is_kept():
    """The bare room page path carries no secret and stays readable."""
    assert redact('"GET /r/" 200') == '"GET /r/" 200'


@given(st.ip_addresses())
def test_any_ip_address_is_removed(address):
    """Property: every IPv4 or IPv6 address, in its usual text form, is removed."""
    line = f"client {address} connected"
    assert str(address) not in redact(line)


@pytest.mark.parametrize(
    "spelling",
    [
        "//r/S3cret",
        "/%72/S3cret",
        "/R/S3cret",
        "/%2572/S3cret",
        "/static/../r/S3cret",
        "/%2F%72%2FS3cret",
        "///WS/S3cret",
        "/%77%53/S3cret",
    ],
    ids=[
        "double-slash",
        "encoded",
        "upper-case",
        "double-encoded",
        "dot-segment",
        "encoded-slashes",
        "triple-slash-socket",
        "encoded-socket",
    ],
)
def test_mallory_spelling_a_room_route_oddly_still_gets_it_redacted(spelling):
    """Percent-encoding, case and extra slashes do not carry a room path past the filter."""
    line = emit("django.request", "Not Found: %s", spelling)
    assert "S3cret" not in line
    assert "[redacted]" in line
    assert "S3cret" not in redact(f'- - - [02/Dec/2026:12:06:49] "GET {spelling}" 404 1667')


@pytest.mark.parametrize(
    "mangled",
    ["/r%23v2.S3cret", "/%23v2.S3cret", "/r#v2.S3cret", "/x/%2523v2.S3cret", "/R%23v2.S3cret"],
    ids=["slash-lost", "path-lost", "raw-hash", "double-encoded", "upper-case"],
)
def test_a_mangled_link_keeps_its_key_out_of_the_log(mangled):
    """Bob's link lost its "/" or "r/" on the way: the 404 for it logs no part of the key."""
    line = emit("django.request", "Not Found: %s", mangled)
    assert "S3cret" not in line
    assert line.endswith("[redacted]")
    assert "S3cret" not in redact(f'- - - [03/Dec/2026:08:50:00] "GET {mangled}" 404 1667')


def test_a_long_ordinary_run_is_kept_and_read_quickly():
    """A 64 KiB base64-like run (no room prefix) is kept as it is, in well under a second."""
    blob = "a+b/c=" * 11_000
    started = time.perf_counter()
    assert redact(blob) == blob
    assert time.perf_counter() - started < 0.5


def test_mallory_padding_a_path_with_encoded_starts_cannot_slow_the_filter():
    """64 KiB of candidate starts is cut short and redacted, in well under a second."""
    started = time.perf_counter()
    assert redact("/x/" + "%72+" * 16_000 + "/r/S3cret") == "/x/[redacted]"
    assert time.perf_counter() - started < 0.5
