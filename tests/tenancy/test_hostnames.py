"""Hostnames are compared in one canonical form, whoever typed them."""

from __future__ import annotations

import pytest

from atopos_site.tenancy.hostnames import hostname_from_host_header, normalize_hostname


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Chat.Example.ORG.", "chat.example.org"),
        ("  localhost ", "localhost"),
        ("bücher.example", "xn--bcher-kva.example"),
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


@pytest.mark.parametrize("bad", ["", "exa mple.org", "-lead.example", "a..b", "x" * 64 + ".org"])
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
