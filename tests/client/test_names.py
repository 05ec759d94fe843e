"""Display names cannot change how the interface around them reads (issue 9, item 15)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from atopos_client.names import (
    DEFAULT_IGNORABLE,
    FALLBACK,
    REMOVED_CATEGORIES,
    display_name,
    look_alike,
    lookalike_keys,
)

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# Any code point, including controls, surrogates, unassigned and private-use ones.
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=40)


def test_a_right_to_left_override_cannot_reorder_the_text_around_a_name():
    """Mallory's unclosed RLO is removed, so the text after her name cannot flip."""
    assert display_name("Mallory\u202eecilA") == "MalloryecilA"
    for control in BIDI_CONTROLS:
        assert display_name(f"Al{control}ice") == "Alice"


def test_invisible_names_show_as_someone():
    """Zero-width characters, Hangul fillers and variation selectors alone make no name."""
    for invisible in ["", "\u200b\u200c\u200d", "\u3164\u3164", "\u115f", "\ufe0f", " \u00a0 "]:
        assert display_name(invisible) == FALLBACK


def test_controls_and_line_breaks_cannot_enter_a_name():
    """A name is one line: ESC, newlines and the Unicode line separators are removed."""
    assert display_name("Bob\x1b[2J\n* Safety phrase\u2028x") == "Bob[2J* Safety phrasex"


def test_whitespace_runs_collapse_to_one_space():
    """Runs of spaces of any width become one ordinary space, with none at the ends."""
    assert display_name("  Ada\u3000\u2003 Lovelace\u00a0 ") == "Ada Lovelace"


def test_compatibility_forms_are_folded():
    """Fullwidth and styled letters (NFKC) show as the plain letters they stand for."""
    assert display_name("\uff21\uff4c\uff49\uff43\uff45") == "Alice"
    assert display_name("\U0001d400lice") == "Alice"


def test_a_cyrillic_impostor_looks_like_alice():
    """Alice spelled with a Cyrillic capital A (U+0410) looks like Alice."""
    assert look_alike("\u0410lice", "Alice")


def test_case_marks_and_confusable_digits_look_alike():
    """Case, accents and l/I/1 do not tell names apart for a reader."""
    for impostor in ["alice", "ALICE", "AIice", "aIice", "A1ice", "Alíce", "Al\u200bice"]:
        assert look_alike(impostor, "Alice"), impostor


def test_different_names_do_not_look_alike():
    """Bob is not Alice, and 'Alice (you)' is not Alice."""
    assert not look_alike("Bob", "Alice")
    assert not look_alike("Alice (you)", "Alice")


def test_multi_character_lookalikes_are_a_documented_limit():
    """'rn' and 'm' are told apart (the module docstring says so): this pins the limit."""
    assert not look_alike("rnallory", "mallory")


@given(ANY_TEXT)
def test_a_display_name_holds_no_control_format_or_invisible_character(raw):
    """Whatever a hello carries, the shown name has none of the removed characters."""
    name = display_name(raw)
    assert all(unicodedata.category(c) not in REMOVED_CATEGORIES for c in name)
    assert all(ord(c) not in DEFAULT_IGNORABLE for c in name)


@given(ANY_TEXT)
def test_a_display_name_is_one_tidy_line(raw):
    """Never empty, no space at either end, no run of spaces, only U+0020 as space."""
    name = display_name(raw)
    assert name
    assert name == name.strip(" ")
    assert "  " not in name
    assert all(c == " " or unicodedata.category(c) != "Zs" for c in name)
    assert unicodedata.is_normalized("NFKC", name)


@given(ANY_TEXT)
def test_the_rule_is_idempotent(raw):
    """Showing a shown name again changes nothing (the browser may apply it twice)."""
    assert display_name(display_name(raw)) == display_name(raw)


@given(ANY_TEXT, st.integers(0, 40), st.sampled_from(BIDI_CONTROLS + "\u200b\u2060\ufeff\u3164"))
def test_an_inserted_invisible_character_changes_nothing(raw, at, invisible):
    """Mallory cannot make a second 'Alice' differ by hiding a character in it."""
    at = min(at, len(raw))
    hidden = raw[:at] + invisible + raw[at:]
    assert lookalike_keys(hidden) == lookalike_keys(raw)
