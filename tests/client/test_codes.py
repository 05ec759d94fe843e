"""Member codes carry 64 bits, and a typed prefix names one newcomer or none (issue 9, item 14)."""

from __future__ import annotations

import pytest

from atopos_client.codes import CodeNotFound, member_code, resolve

BOB = bytes.fromhex("5f3a9c017b2ed4c8") + bytes(24)
# Mallory ground a key whose first two bytes are Bob's.
MALLORY = bytes.fromhex("5f3a777777777777") + bytes(24)


def test_a_code_is_the_first_eight_bytes_in_four_groups():
    """16 hex digits = 64 bits, grouped for reading aloud."""
    assert member_code(BOB) == "5f3a 9c01 7b2e d4c8"


def test_a_unique_prefix_names_its_newcomer():
    """Four digits are enough when they fit one waiting key; spaces and case do not matter."""
    assert resolve("5F3A 9c", [BOB, MALLORY]) == BOB
    assert resolve("5f3a7", [BOB, MALLORY]) == MALLORY


def test_an_ambiguous_prefix_is_refused_and_lists_both_codes():
    """When Mallory's code starts like Bob's, '/admit 5f3a' admits no one and shows both codes."""
    with pytest.raises(CodeNotFound) as refused:
        resolve("5f3a", [BOB, MALLORY])
    assert member_code(BOB) in str(refused.value)
    assert member_code(MALLORY) in str(refused.value)


@pytest.mark.parametrize("typed", ["5f3", "", "zz3a", "5f3a 9c01 7b2e d4c8 0"])
def test_short_or_malformed_codes_are_refused(typed):
    """Fewer than four digits, non-hex or too long: nothing is chosen."""
    with pytest.raises(CodeNotFound):
        resolve(typed, [BOB])


def test_a_code_nobody_has_is_refused():
    with pytest.raises(CodeNotFound):
        resolve("0000", [BOB, MALLORY])
