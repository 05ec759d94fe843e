"""Hostnames are compared in one canonical form, whoever typed them."""

from __future__ import annotations

import pytest

from atopos_site.tenancy.hostnames import (
    CanonicalHost,
    canonical_host,
    hostname_from_host_header,
    normalize_hostname,
)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Chat.Example.ORG.", "chat.example.org"),
        ("  localhost ", "localhost"),
        ("bücher.example", "xn--bcher-kva.example"),
        # IDNA2008 (UTS-46 non-transitional), as browsers: ß is kept, not folded to ss.
        ("faß.example", "xn--fa-hia.example"),
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "[::1]"),
        ("[2001:DB8::1]", "[2001:db8::1]"),
        ("abcdefghijklmnop2345678abcdefghijklmnop2345678abcdefgh.onion",
         "abcdefghijklmnop2345678abcdefghijklmnop2345678abcdefgh.onion"),
    ],
)  # fmt: skip
def test_hostnames_normalise_to_the_host_header_form(typed, canonical):
    """Case, trailing dots, IDN and IPv6 brackets all normalise."""
    assert normalize_hostname(typed) == canonical


@pytest.mark.parametrize(
    "bad",
    ["", "exa mple.org", "-lead.example", "a..b", "x" * 64 + ".org", "localhost..", "a_b.org"],
)
def test_invalid_hostnames_are_refused(bad):
    """Anything that is not a hostname or IP literal raises ValueError."""
    with pytest.raises(ValueError):  # noqa: PT011 -- the message varies with the input
        normalize_hostname(bad)


def test_host_header_port_is_ignored_and_garbage_is_none():
    """The port does not matter; a malformed header resolves to nothing."""
    assert hostname_from_host_header("Alpha.Localhost:8443") == "alpha.localhost"
    assert hostname_from_host_header("[::1]:8000") == "[::1]"
    assert hostname_from_host_header("evil.example/path") is None
    assert hostname_from_host_header("") is None


def test_the_double_s_spelling_is_another_hostname():
    """IDNA2003 folded faß into fass; the two are different names now."""
    assert normalize_hostname("faß.example") != normalize_hostname("fass.example")


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("Alpha.Localhost.:8443", CanonicalHost("alpha.localhost", 8443)),
        ("alpha.localhost", CanonicalHost("alpha.localhost", None)),
        ("[::1]:8000", CanonicalHost("[::1]", 8000)),
        ("alpha.localhost..", None),
        ("alpha.localhost:0", None),
        ("alpha.localhost:99999", None),
        ("evil.test", None),  # outside ALLOWED_HOSTS
        (None, None),
    ],
)
def test_canonical_host_reads_a_host_header_once(header, host):
    """Hostname and port, normalised; anything Django would refuse is None."""
    assert canonical_host(header) == host


@pytest.mark.parametrize(
    ("host", "scheme", "origin"),
    [
        (CanonicalHost("alpha.localhost", None), "http", "http://alpha.localhost"),
        (CanonicalHost("alpha.localhost", 80), "http", "http://alpha.localhost"),
        (CanonicalHost("alpha.localhost", 443), "http", "http://alpha.localhost:443"),
        (CanonicalHost("alpha.localhost", 443), "https", "https://alpha.localhost"),
        (CanonicalHost("[::1]", 8000), "https", "https://[::1]:8000"),
    ],
)
def test_a_pages_origin_elides_only_its_schemes_default_port(host, scheme, origin):
    """The origin is serialised as browsers do (RFC 6454)."""
    assert host.origin(scheme) == origin
