"""Make text that another member controls inert on a terminal.

Message text and display names come from other members. Printed as they
are, an ESC sequence can write the clipboard (OSC 52), move the cursor and
overwrite lines, and a bidi control can reorder what follows it. ``inert``
replaces every character that a terminal acts on instead of drawing with a
visible escape, so the output holds no ESC, no C1 control and no bidi or
other format character:

- C0 controls, DEL and C1 controls (category Cc) become ``\\xNN``;
- format characters (Cf: bidi embeddings, overrides and isolates, the
  left-to-right and right-to-left marks, the Arabic letter mark, zero-width
  characters), surrogates (Cs), unassigned code points (Cn) and the line
  and paragraph separators (Zl, Zp) become ``<U+XXXX>``.

A terminal also wraps a long line by itself, which would let padding put a
member's ``* `` at column 0 of the next row; ``fold`` breaks lines first, by
a count of columns that never falls short of the terminal's (every non-ASCII
character counts as two columns, marks as none), so the terminal has
nothing left to wrap.

A literal backslash is left as it is, so a member can type text that looks
like an escape; it is still inert. Newlines are not allowed through either:
``inert_lines`` splits a message at them so the caller can indent every line
after the first, and a member's text can never start a line of its own (our
status lines start with ``* `` at column 0).
"""

from __future__ import annotations

import unicodedata

MARK_CATEGORIES = frozenset({"Mn", "Me"})
ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})


def _visible(char: str) -> str:
    point = ord(char)
    if unicodedata.category(char) == "Cc":
        return f"\\x{point:02x}"
    return f"<U+{point:04X}>"


def inert(text: str) -> str:
    """``text`` with every control, format and separator character shown as an escape."""
    return "".join(
        _visible(c) if unicodedata.category(c) in ESCAPED_CATEGORIES else c for c in text
    )


def inert_lines(text: str) -> list[str]:
    """The lines of a multi-line message (split at newlines), each made inert."""
    return [inert(line) for line in text.split("\n")]


def columns(char: str) -> int:
    """At least the columns a terminal gives ``char`` (more for most non-ASCII)."""
    if char.isascii():
        return 1
    return 0 if unicodedata.category(char) in MARK_CATEGORIES else 2


def fold(line: str, width: int, indent: str) -> list[str]:
    """``line`` broken into rows of at most ``width`` columns, rows after the first
    starting with ``indent`` (so no row but the first starts at column 0)."""
    if width <= len(indent) + 2:
        return [line]
    rows: list[str] = []
    row, used = "", 0
    for char in line:
        size = columns(char)
        if used + size > width:
            rows.append(row)
            row, used = indent, len(indent)
        row += char
        used += size
    rows.append(row)
    return rows
