"""Display names: what a self-chosen name becomes before anyone sees it, and when two look alike.

A name is whatever a member's hello says (at most 64 bytes of UTF-8); it
proves nothing, so members are told apart by their codes
(``atopos_client.codes``). These rules stop a name from changing how the
interface around it reads. The browser client follows the same rule; the
steps are exact so that both show the same name:

``display_name(raw)``
    1. NFKC-normalise ``raw``.
    2. Remove every code point whose general category is Cc (controls), Cf
       (format: bidi controls, zero-width characters), Co (private use), Cs
       (surrogates), Cn (unassigned), Zl or Zp (line and paragraph
       separators), and every other default-ignorable code point
       (``DEFAULT_IGNORABLE``: U+034F, U+115F, U+1160, U+17B4, U+17B5,
       U+180B-U+180D, U+180F, U+3164, U+FE00-U+FE0F, U+FFA0, U+E0100-U+E01EF;
       in JavaScript ``\\p{Default_Ignorable_Code_Point}`` covers them).
    3. Replace each run of Zs (space separator) characters with one U+0020
       and strip spaces at both ends.
    4. NFKC-normalise again (removing a character can leave a mark next to a
       letter it now composes with).
    5. If nothing is left, the name is ``someone``.

    In JavaScript: ``raw.normalize('NFKC').replace(/[\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}\\p{Cn}
    \\p{Zl}\\p{Zp}\\p{Default_Ignorable_Code_Point}]/gu, '').replace(/\\p{Zs}+/gu, ' ')
    .trim().normalize('NFKC') || 'someone'`` (one regular expression, written on
    two lines here). Categories come from each runtime's Unicode tables
    (Python 3.11 ships Unicode 14), so a code point assigned in a later
    version may be kept by one client and removed by the other.

``look_alike(a, b)``
    Two names look alike when any of their three keys are equal. Each key
    starts from the display name, decomposed (NFD) with marks (categories Mn,
    Mc, Me) removed; ``skeleton`` then replaces each character by the
    representative of its confusable class. The keys are
    ``skeleton(name)`` (catches "AIice" for "Alice"),
    ``skeleton(casefold(name))`` (catches "ALICE") and
    ``skeleton(casefold(skeleton(name)))`` (catches "aIice").
    Confusable classes come from Unicode's confusables data (UTS #39) as the
    ``confusable-homoglyphs`` package ships it: characters it lists as
    confusable with each other form one class (transitively), whose
    representative is its lowest code point. Limits: only single-character
    look-alikes are caught ("rn" and "m" are not), and this is a warning
    aid, not an identity: codes are what tell members apart.
"""

from __future__ import annotations

import unicodedata
from functools import cache

FALLBACK = "someone"
REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties) minus what the
# categories above already remove: characters that draw nothing, such as the
# Hangul fillers an "invisible" name is made of and variation selectors.
DEFAULT_IGNORABLE = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0}
    | set(range(0xFE00, 0xFE10))
    | set(range(0xE0100, 0xE01F0))
)
MARK_CATEGORIES = frozenset({"Mn", "Mc", "Me"})
# The data marks right-to-left characters with U+200E on both sides; they are not part of them.
_LRM = "\u200e"


def _removed(char: str) -> bool:
    return unicodedata.category(char) in REMOVED_CATEGORIES or ord(char) in DEFAULT_IGNORABLE


def _is_space(char: str) -> bool:
    return unicodedata.category(char) == "Zs"


def display_name(raw: str) -> str:
    """The name as every member is shown it (the rule in this module's docstring)."""
    kept = "".join(c for c in unicodedata.normalize("NFKC", raw) if not _removed(c))
    words: list[str] = []
    word: list[str] = []
    for char in kept:
        if _is_space(char):
            if word:
                words.append("".join(word))
                word = []
        else:
            word.append(char)
    if word:
        words.append("".join(word))
    return unicodedata.normalize("NFKC", " ".join(words)) or FALLBACK


@cache
def _classes() -> dict[str, str]:
    """Each confusable character -> the lowest code point of its class."""
    # Imported here: loading its data takes a tenth of a second, paid on the first look-alike check.
    from confusable_homoglyphs import confusables

    parent: dict[str, str] = {}

    def root(char: str) -> str:
        while parent.get(char, char) != char:
            char = parent[char]
        return char

    data: dict[str, list[dict[str, str]]] = confusables.confusables_data
    for source, glyphs in data.items():
        source = source.replace(_LRM, "")
        for glyph in glyphs:
            target = glyph["c"].replace(_LRM, "")
            if len(source) == 1 and len(target) == 1:
                low, high = sorted((root(source), root(target)))
                if low != high:
                    parent[high] = low
    return {char: root(char) for char in parent}


def _skeleton(text: str) -> str:
    classes = _classes()
    return "".join(
        classes.get(c, c)
        for c in unicodedata.normalize("NFD", text)
        if unicodedata.category(c) not in MARK_CATEGORIES
    )


def lookalike_keys(raw: str) -> tuple[str, str, str]:
    """The three keys ``look_alike`` compares (see the module docstring)."""
    name = display_name(raw)
    return (
        _skeleton(name),
        _skeleton(name.casefold()),
        _skeleton(_skeleton(name).casefold()),
    )


def look_alike(a: str, b: str) -> bool:
    """Whether a reader could take name ``a`` for name ``b``."""
    return any(x == y for x, y in zip(lookalike_keys(a), lookalike_keys(b), strict=True))
