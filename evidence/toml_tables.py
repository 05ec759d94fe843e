"""Reading the evidence's TOML catalogues: a file of one kind of table, each with a unique id."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def read_tables(path: Path, table: str, error: type[ValueError]) -> list[Mapping[str, Any]]:
    """The ``[[table]]`` entries of ``path``, which must hold at least one and nothing else."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as failure:
        raise error(f"cannot read {path.name}: {failure}") from failure
    if set(raw) - {table}:
        raise error(f"{path.name} holds only [[{table}]] tables")
    entries = raw.get(table, [])
    if not entries:
        raise error(f"{path.name} lists no {table}")
    return list(entries)


def require_unique(ids: Sequence[str], what: str, error: type[ValueError]) -> None:
    if len(set(ids)) != len(ids):
        raise error(f"{what} ids must be unique")
