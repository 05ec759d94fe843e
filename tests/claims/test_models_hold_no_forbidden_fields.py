"""C04: no Django model has a column for room, message, participant, key or address data.

Every ``models.py`` and ``models/`` module of the project's app packages (the
top-level Python packages, tests excepted; migrations are generated from the
models and are not read) is parsed. A *field* is a class-level assignment
from a call whose callee ends in ``Field`` or is ``ForeignKey``
(``models.TextField(...)``, ``TextField(...)``). A *model* is a class with a
field or a base named ``...Model``.

Flagged:

* a field whose name or ``db_column`` has a word (snake_case split) in
  ``FORBIDDEN_WORDS``, or the words ``display name`` in a row;
* a model whose class name has such a word (CamelCase split): a ``Room`` or
  ``Message`` table holds data about rooms or messages whatever its columns;
* every ``GenericIPAddressField`` / ``IPAddressField``, whatever its name.

Allowed, by rule (listed in ``details.allowed``):

* *policy numbers*: a number or boolean field (``POLICY_FIELD_CLASSES``)
  whose name has a word in ``POLICY_WORDS`` (max, min, default, per, limit,
  allow). ``max_members_per_room`` or ``default_room_ttl_seconds`` is a rule
  for every room of a tenant; a value about one particular room
  (``room_id``, ``member_count``, ``room_expires``) has no such word, or is not
  a number, and is flagged;
* ``ALLOWED_FIELDS``: named exceptions with the reason each is not
  participant data.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from evidence.check import CheckResult, could_not_run, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.source import (
    SKIPPED_DIRS,
    Source,
    Unreadable,
    app_packages,
    constant_string,
    parse_all,
    relative,
    terminal_name,
    tokens,
)

FORBIDDEN_WORDS = frozenset(
    {
        # rooms and their traffic
        "room", "rooms", "channel", "message", "messages", "msg", "envelope", "payload",
        "frame", "event", "content", "body", "text", "plaintext", "ciphertext",
        # participants
        "participant", "participants", "member", "members", "sender", "recipient",
        "author", "nickname", "nick", "username", "alias", "email", "phone",
        # keys and what derives them
        "key", "keys", "shard", "shards", "secret", "secrets", "seed", "passphrase",
        "password", "token", "ticket", "capability", "fragment", "link", "genesis", "epoch",
        # addresses
        "ip", "ipv4", "ipv6", "address", "addr",
    }
)  # fmt: skip
POLICY_WORDS = frozenset({"max", "min", "default", "per", "limit", "allow"})
POLICY_FIELD_CLASSES = frozenset(
    {
        "IntegerField", "SmallIntegerField", "BigIntegerField", "PositiveIntegerField",
        "PositiveSmallIntegerField", "PositiveBigIntegerField", "FloatField",
        "DecimalField", "DurationField", "BooleanField",
    }
)  # fmt: skip
ADDRESS_FIELD_CLASSES = frozenset({"GenericIPAddressField", "IPAddressField"})
# (model, field) -> why it is not data about a room, a message or a participant.
ALLOWED_FIELDS: dict[tuple[str, str], str] = {
    ("Tenant", "display_name"): "the tenant's public brand name, shown in page titles",
}


@dataclass(frozen=True)
class Field:
    """One model field as written in the source."""

    model: str
    name: str
    field_class: str
    db_column: str | None
    where: str


@dataclass
class _Scan:
    models: int = 0
    fields: int = 0
    violations: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)


def model_files(root: Path) -> list[Path]:
    """``models.py`` and ``models/**.py`` of every app package, outside skipped directories."""
    found: set[Path] = set()
    for package in app_packages(root):
        found.update(package.rglob("models.py"))
        for directory in package.rglob("models"):
            if directory.is_dir():
                found.update(directory.rglob("*.py"))
    return sorted(p for p in found if SKIPPED_DIRS.isdisjoint(relative(root, p).split("/")[:-1]))


def forbidden_words(name: str) -> list[str]:
    """The words of ``name`` that denote forbidden data (``display name`` counts as one)."""
    words = tokens(name)
    hits = [word for word in words if word in FORBIDDEN_WORDS]
    if any(a == "display" and b == "name" for a, b in itertools.pairwise(words)):
        hits.append("display name")
    return hits


def _field_class(value: ast.expr | None) -> str | None:
    if not isinstance(value, ast.Call):
        return None
    name = terminal_name(value.func)
    return name if name and (name.endswith("Field") or name == "ForeignKey") else None


def _db_column(call: ast.Call) -> str | None:
    return next((constant_string(k.value) for k in call.keywords if k.arg == "db_column"), None)


def _fields(source: Source, model: ast.ClassDef) -> Iterator[Field]:
    for statement in model.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        field_class = _field_class(value)
        if field_class is None or not isinstance(value, ast.Call):
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                column = _db_column(value)
                yield Field(model.name, target.id, field_class, column, source.at(statement))


def _is_model(model: ast.ClassDef, fields: list[Field]) -> bool:
    return bool(fields) or any((terminal_name(b) or "").endswith("Model") for b in model.bases)


def _policy_number(item: Field) -> bool:
    return item.field_class in POLICY_FIELD_CLASSES and not POLICY_WORDS.isdisjoint(
        tokens(item.name)
    )


def judge_field(item: Field, scan: _Scan) -> None:
    """Record one field as a violation, an allowed exception, or nothing."""
    label = f"{item.where} {item.model}.{item.name} ({item.field_class})"
    if item.field_class in ADDRESS_FIELD_CLASSES:
        scan.violations.append(f"{label} stores an IP address")
        return
    hits = forbidden_words(item.name) + forbidden_words(item.db_column or "")
    if not hits:
        return
    reason = ALLOWED_FIELDS.get((item.model, item.name))
    if reason is None and _policy_number(item):
        reason = "a policy number for every room, not a value about one"
    if reason is not None:
        scan.allowed.append(f"{label}: {reason}")
        return
    words = ", ".join(sorted(set(hits)))
    scan.violations.append(f"{label} holds forbidden data: {words}")


def scan_module(source: Source, scan: _Scan) -> None:
    """Judge every model class in one module, and every field of it."""
    for node in ast.walk(source.tree):
        if not isinstance(node, ast.ClassDef):
            continue
        fields = list(_fields(source, node))
        if not _is_model(node, fields):
            continue
        scan.models += 1
        hits = forbidden_words(node.name)
        if hits:
            words = ", ".join(sorted(set(hits)))
            scan.violations.append(
                f"{source.at(node)} model {node.name} holds forbidden data: {words}"
            )
        for item in fields:
            scan.fields += 1
            judge_field(item, scan)


def run(ctx: Context) -> CheckResult:
    """Scan every model module; ERROR without app packages or on a module that does not parse."""
    if not app_packages(ctx.root):
        return could_not_run("no app package found under the project root")
    try:
        sources = parse_all(ctx.root, model_files(ctx.root))
    except Unreadable as error:
        return could_not_run(str(error))
    scan = _Scan()
    for source in sources:
        scan_module(source, scan)
    counts = {
        "model_modules": len(sources),
        "models": scan.models,
        "fields": scan.fields,
        "allowed_fields": len(scan.allowed),
        "violations": len(set(scan.violations)),
    }
    return judged(
        scan.violations,
        counts,
        f"none of {scan.fields} fields in {scan.models} models holds room, message, "
        "participant, key or address data",
        "a model holds room, message, participant, key or address data",
        {"modules": [s.relative for s in sources], "allowed": sorted(scan.allowed)},
    )


pytestmark = pytest.mark.check(
    "No database model holds room, message, participant, key or address data", "static"
)


def test_models_hold_no_forbidden_fields(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
