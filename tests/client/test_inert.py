"""Text from other members is inert on a terminal (issue 9, item 17): the unit rule."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from atopos_client.inert import ESCAPED_CATEGORIES, columns, fold, inert, inert_lines


def test_an_osc_52_clipboard_write_prints_as_text():
    """ESC ] 52 ; c ; ... BEL becomes visible escapes, with no ESC or BEL left."""
    assert inert("\x1b]52;c;cHduZWQ=\x07") == "\\x1b]52;c;cHduZWQ=\\x07"


def test_bidi_controls_print_as_code_points():
    assert inert("a\u202eb\u2066c\u200fd\u061c") == "a<U+202E>b<U+2066>c<U+200F>d<U+061C>"


def test_c1_controls_and_del_are_escaped():
    """The 8-bit CSI (U+009B) and DEL act on some terminals; both are escaped."""
    assert inert("\x9b2J\x7f") == "\\x9b2J\\x7f"


def test_a_message_is_split_at_newlines():
    assert inert_lines("hi\n* Safety phrase: x\r") == ["hi", "* Safety phrase: x\\x0d"]


@given(st.text(st.characters(codec=None, categories=None)))
def test_nothing_a_terminal_acts_on_survives(text):
    """For any text, the inert form holds no control, format or separator character."""
    assert all(unicodedata.category(c) not in ESCAPED_CATEGORIES for c in inert(text))


@given(st.text(st.characters(categories=["L", "N", "P", "S", "Zs"])))
def test_printable_text_is_unchanged(text):
    assert inert(text) == text


def test_padding_cannot_push_a_status_line_to_column_zero_of_a_wrapped_row():
    """Mallory pads her message so the terminal would wrap '* Safety phrase' to column 0;
    folded first, that row starts with the indent instead."""
    line = "[5f3a 9c01 7b2e d4c8] Mallory: " + "x" * 9 + "* Safety phrase: forged words"
    rows = fold(line, 39, "    | ")
    assert rows[0] == line[:39]
    assert rows[1].startswith("    | ")
    assert all(sum(columns(c) for c in row) <= 39 for row in rows)


@given(
    st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs", "M"])),
    st.integers(10, 200),
)
def test_folded_rows_fit_and_lose_nothing(text, width):
    """Every row fits the width; only rows after the first are indented; the text survives."""
    rows = fold(text, width, "    | ")
    assert all(sum(columns(c) for c in row) <= width for row in rows)
    assert all(row.startswith("    | ") for row in rows[1:])
    assert rows[0] + "".join(row.removeprefix("    | ") for row in rows[1:]) == text


def test_wide_characters_count_at_least_as_wide_as_the_terminal_draws_them():
    """CJK and emoji take two columns on a terminal; we never count them as fewer."""
    assert columns("\u4e2d") == 2
    assert columns("\U0001f600") == 2
    assert columns("a") == 1
    assert columns("\u0301") == 0
