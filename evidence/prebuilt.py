"""What the evidence pages show, rendered once when a run is written (``pages.json``).

The pages never parse Markdown nor a check's source while serving a
request: the runner calls ``write_pages`` on the run it is about to publish,
and evidence.artifacts only reads the JSON this writes. ``pages.json`` holds

- ``reviewer_pack``: REVIEWER_PACK.md as blocks of a small Markdown subset
  (headings, lists, paragraphs, preformatted text), every piece plain text
  that the templates escape;
- ``checks``: for every check module, its title and kind (read from its
  ``Check(...)`` without running it).

A check's page still shows the code of the check as this deployment runs it:
the file is read as text, never parsed (and never copied into a run, which
must stay publish-safe).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from evidence import registry
from evidence.check import Kind

PAGES_FILE = "pages.json"
REVIEWER_PACK = "REVIEWER_PACK.md"
KINDS = frozenset(kind.value for kind in Kind)


@dataclass(frozen=True)
class Declared:
    """What a check's ``Check(...)`` declares, as its page shows it."""

    title: str
    kind: str


def write_pages(run: Path) -> Path:
    """Render what the pages of the run in ``run`` need into ``run/pages.json``."""
    pack = run / REVIEWER_PACK
    text = pack.read_text(encoding="utf-8") if pack.is_file() else None
    document = {
        "reviewer_pack": None if text is None else [asdict(b) for b in markdown_blocks(text)],
        "checks": {check_id: asdict(found) for check_id, found in declarations().items()},
    }
    path = run / PAGES_FILE
    # Plain UTF-8 (no escapes), so the publish-safe scan reads what a reader would: an escaped
    # "§8.9" would read as the dotted name "u00a78.9" and stop the run from being published.
    text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def declarations() -> dict[str, Declared]:
    """The title and kind of every check module in the tree, by id."""
    found: dict[str, Declared] = {}
    for check_id in registry.check_ids():
        source = registry.check_source(check_id)
        if source is not None:
            found[check_id] = Declared(*declared(source))
    return found


def declared(source: str) -> tuple[str, str]:
    """Title and kind from ``Check(...)`` or ``pytest.mark.check(...)`` in the source,
    read without running it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return "", ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Check":
            return _call_text(node, "title", 1), _call_kind(node, 2)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "check":
            return _call_text(node, "title", 0), _call_kind(node, 1)
    return "", ""


def _call_arg(call: ast.Call, name: str, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _call_text(call: ast.Call, name: str, position: int) -> str:
    value = _call_arg(call, name, position)
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return ""


def _call_kind(call: ast.Call, position: int) -> str:
    value = _call_arg(call, "kind", position)
    if isinstance(value, ast.Attribute) and value.attr in Kind.__members__:
        return Kind[value.attr].value
    if isinstance(value, ast.Constant) and value.value in KINDS:
        return str(value.value)
    return ""


# ---- A tiny, escaped markdown subset for the reviewer pack -------------------


@dataclass(frozen=True)
class Span:
    """Inline text: `code`, **strong** or plain. Always escaped by the template."""

    text: str
    code: bool = False
    strong: bool = False


@dataclass(frozen=True)
class Block:
    """heading, paragraph, list, ordered or pre; templates escape every piece of text."""

    kind: str
    spans: tuple[Span, ...] = ()
    items: tuple[tuple[Span, ...], ...] = ()
    text: str = ""
    level: int = 2


_HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*\s*")
_BULLET = re.compile(r"\s{0,3}[-*+]\s+(.*)")
_NUMBERED = re.compile(r"\s{0,3}\d{1,9}[.)]\s+(.*)")
_FENCE = re.compile(r"\s{0,3}(```|~~~)")


def spans(text: str) -> tuple[Span, ...]:
    """Split `code`, then **strong**, out of a line of text; nothing else is interpreted."""
    found: list[Span] = []
    for index, part in enumerate(re.split(r"`([^`]+)`", text)):
        if index % 2:
            found.append(Span(part, code=True))
            continue
        for inner, piece in enumerate(re.split(r"\*\*([^*]+)\*\*", part)):
            if piece:
                found.append(Span(piece, strong=inner % 2 == 1))
    return tuple(found)


def markdown_blocks(text: str) -> list[Block]:
    """Headings, lists, paragraphs, fenced code and tables (kept as preformatted text).

    Links, emphasis and HTML are left as the literal characters: the reader
    sees exactly what the file says, and nothing in it can become markup.
    """
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        index = _next_block(lines, index, blocks)
    return blocks


def _next_block(lines: list[str], index: int, blocks: list[Block]) -> int:
    line = lines[index]
    if not line.strip():
        return index + 1
    if fence := _FENCE.match(line):
        return _fenced(lines, index, fence.group(1), blocks)
    if heading := _HEADING.fullmatch(line):
        level = min(len(heading.group(1)) + 1, 6)  # the page's own h1 comes first
        blocks.append(Block("heading", spans(heading.group(2)), level=level))
        return index + 1
    if line.lstrip().startswith("|"):
        return _table(lines, index, blocks)
    for kind, pattern in (("list", _BULLET), ("ordered", _NUMBERED)):
        if pattern.fullmatch(line):
            return _list(lines, index, kind, pattern, blocks)
    return _paragraph(lines, index, blocks)


def _fenced(lines: list[str], index: int, marker: str, blocks: list[Block]) -> int:
    end = index + 1
    while end < len(lines) and not lines[end].strip().startswith(marker):
        end += 1
    blocks.append(Block("pre", text="\n".join(lines[index + 1 : end])))
    return end + 1


def _table(lines: list[str], index: int, blocks: list[Block]) -> int:
    end = index
    while end < len(lines) and lines[end].lstrip().startswith("|"):
        end += 1
    blocks.append(Block("pre", text="\n".join(lines[index:end])))
    return end


def _list(
    lines: list[str], index: int, kind: str, pattern: re.Pattern[str], blocks: list[Block]
) -> int:
    items: list[str] = []
    while index < len(lines) and lines[index].strip():
        item = pattern.fullmatch(lines[index])
        if item:
            items.append(item.group(1))
        elif lines[index].startswith((" ", "\t")) and items:
            items[-1] += " " + lines[index].strip()
        else:
            break
        index += 1
    blocks.append(Block(kind, items=tuple(spans(item) for item in items)))
    return index


def _starts_block(line: str) -> bool:
    return bool(
        not line.strip()
        or _FENCE.match(line)
        or _HEADING.fullmatch(line)
        or line.lstrip().startswith("|")
        or _BULLET.fullmatch(line)
        or _NUMBERED.fullmatch(line)
    )


def _paragraph(lines: list[str], index: int, blocks: list[Block]) -> int:
    end = index + 1
    while end < len(lines) and not _starts_block(lines[end]):
        end += 1
    text = " ".join(line.strip() for line in lines[index:end])
    blocks.append(Block("paragraph", spans(text)))
    return end
