"""The attack catalogue (attacks.toml): each attack a claim's proof plays, and its tests.

An entry says who attacks and what they try (``threat``), the claim its
refusal supports, the tests that perform the attack and must pass, and the
honest limit that remains (``limit``). The check ``attacks_refused`` runs
every listed test; a claim proven by attacks names that check in claims.toml,
and each of its attacks names the claim. This module only reads and validates
the file; nothing here runs a test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from evidence.claims import Claim
from evidence.toml_tables import read_tables, require_unique

ATTACKS_FILE = Path(__file__).resolve().parent / "attacks.toml"
# The check that runs the catalogue: the claims its attacks prove name it.
CHECK_ID = "attacks_refused"
_ID = re.compile(r"A\d{2,3}")
_CLAIM = re.compile(r"C\d{2}")
# A pytest function, with its parametrize id if any (a module-level test: its node id).
_PYTEST = re.compile(r"(?P<file>tests/[\w./-]+\.py)::(?P<name>test_\w+(?:\[[^\]\n]+\])?)")
# A node test by its full name as evidence/node_reporter.mjs nests it: "suite > test".
_NODE = re.compile(r"(?P<file>tests/js/[\w./-]+\.test\.js)::(?P<name>\S(?:[^\n]*\S)?)")
_FIELDS = frozenset({"id", "title", "threat", "claim", "tests", "defence", "limit"})


class CatalogueError(ValueError):
    """attacks.toml is malformed, or does not agree with the claims matrix."""


class Runner(StrEnum):
    """Which suite runs a test."""

    PYTEST = "pytest"
    NODE = "node"


@dataclass(frozen=True)
class TestRef:
    """One test an attack names: its file (relative to the tree) and its full name."""

    __test__ = False  # a reference to a test, not one for pytest to collect

    file: str
    name: str
    runner: Runner

    def __str__(self) -> str:
        return f"{self.file}::{self.name}"


@dataclass(frozen=True)
class Attack:
    """One attack: who tries what, the claim its refusal supports, and its tests."""

    id: str
    title: str
    threat: str
    claim: str
    tests: tuple[TestRef, ...]
    defence: str = ""  # what refuses it, in a sentence (optional)
    limit: str = ""  # what still works, said plainly (optional)


def parse_test(text: str) -> TestRef:
    """``tests/x/test_y.py::test_z[id]`` or ``tests/js/x.test.js::suite > test``."""
    for pattern, runner in ((_PYTEST, Runner.PYTEST), (_NODE, Runner.NODE)):
        if match := pattern.fullmatch(text):
            if ".." in match["file"].split("/"):
                break
            return TestRef(match["file"], match["name"], runner)
    raise CatalogueError(
        f"test {text!r} must be tests/...py::test_name[id] or tests/js/...test.js::full name"
    )


def load_attacks(path: Path = ATTACKS_FILE, claims: Iterable[Claim] | None = None) -> list[Attack]:
    """Every attack in file order; with ``claims``, also checks the two files agree."""
    attacks = [_attack(entry) for entry in read_tables(path, "attack", CatalogueError)]
    require_unique([attack.id for attack in attacks], "attack", CatalogueError)
    if claims is not None:
        agree(attacks, claims)
    return attacks


def agree(attacks: list[Attack], claims: Iterable[Claim]) -> None:
    """Each attack's claim exists and names the check; each claim naming it has an attack."""
    by_id = {claim.id: claim for claim in claims}
    for attack in attacks:
        claim = by_id.get(attack.claim)
        if claim is None:
            raise CatalogueError(f"{attack.id}: no claim {attack.claim} in the claims matrix")
        if CHECK_ID not in claim.checks:
            raise CatalogueError(f"{attack.id}: claim {claim.id} does not list {CHECK_ID}")
    attacked = {attack.claim for attack in attacks}
    for claim in by_id.values():
        if CHECK_ID in claim.checks and claim.id not in attacked:
            raise CatalogueError(f"{claim.id} lists {CHECK_ID} but no attack names it")


def by_claim(attacks: Iterable[Attack]) -> dict[str, list[Attack]]:
    """The attacks of each claim, in catalogue order."""
    grouped: dict[str, list[Attack]] = {}
    for attack in attacks:
        grouped.setdefault(attack.claim, []).append(attack)
    return grouped


def _attack(entry: Mapping[str, object]) -> Attack:
    attack_id = entry.get("id")
    if not isinstance(attack_id, str) or not _ID.fullmatch(attack_id):
        raise CatalogueError(f"attack id {attack_id!r} must look like A01")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise CatalogueError(f"{attack_id}: unknown field(s) {', '.join(sorted(unknown))}")
    title, threat = _text(entry, "title", attack_id), _text(entry, "threat", attack_id)
    defence = _text(entry, "defence", attack_id, required=False)
    limit = _text(entry, "limit", attack_id, required=False)
    claim = entry.get("claim")
    if not isinstance(claim, str) or not _CLAIM.fullmatch(claim):
        raise CatalogueError(f"{attack_id}: claim must be a claim id such as C22")
    tests = entry.get("tests")
    if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
        raise CatalogueError(f"{attack_id}: tests must be a non-empty list of test ids")
    if len(set(tests)) != len(tests):
        raise CatalogueError(f"{attack_id}: a test is listed twice")
    refs = tuple(parse_test(test) for test in tests)
    return Attack(attack_id, title, threat, claim, refs, defence, limit)


def _text(entry: Mapping[str, object], key: str, attack_id: str, required: bool = True) -> str:
    value = entry.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise CatalogueError(f"{attack_id}: {key} must be {'a non-empty ' if required else ''}text")
    return " ".join(value.split())
