"""The rules catalogue (rules.toml): each security rule of the relay and the protocol, and
the tests that must fail when it is deleted.

A rule names the file it lives in, the exact code that enforces it
(``code``, found exactly once), what the file says once the rule is gone
(``deleted``) and the tests that should notice. The check
``rule_deletions_caught`` deletes each rule in a copy of the examined tree and
runs its tests: the rule is *caught* when one of them fails. This module only
reads and validates the file; nothing here runs a test or edits a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from evidence.attacks import CatalogueError, TestRef, parse_test
from evidence.toml_tables import read_tables, require_unique

RULES_FILE = Path(__file__).resolve().parent / "rules.toml"
_ID = re.compile(r"R\d{2,3}")
# Where rules live: the relay, the protocol and its clients, the site's gates.
_SOURCE = re.compile(
    r"(?:atopos_protocol|atopos_client|rooms|governance|atopos_site|static/js)/[\w./-]+\.(?:py|js)"
)
_FIELDS = frozenset({"id", "rule", "file", "code", "deleted", "tests"})


class RulesError(CatalogueError):
    """rules.toml is malformed."""


@dataclass(frozen=True)
class Rule:
    """One security rule: where it is enforced, how it is deleted, and its tests."""

    id: str
    rule: str
    file: str
    code: str
    deleted: str
    tests: tuple[TestRef, ...]


def load_rules(path: Path = RULES_FILE) -> list[Rule]:
    """Every rule in file order."""
    rules = [_rule(entry) for entry in read_tables(path, "rule", RulesError)]
    require_unique([rule.id for rule in rules], "rule", RulesError)
    return rules


def _rule(entry: Mapping[str, object]) -> Rule:
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not _ID.fullmatch(rule_id):
        raise RulesError(f"rule id {rule_id!r} must look like R01")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise RulesError(f"{rule_id}: unknown field(s) {', '.join(sorted(unknown))}")
    texts = {name: entry.get(name) for name in ("rule", "file", "code", "deleted")}
    for name, value in texts.items():
        if not isinstance(value, str) or (name != "deleted" and not value.strip()):
            raise RulesError(f"{rule_id}: {name} must be a string")
    file, code, deleted = str(texts["file"]), str(texts["code"]), str(texts["deleted"])
    if not _SOURCE.fullmatch(file) or ".." in file.split("/"):
        raise RulesError(f"{rule_id}: file must be a source file of the relay, site or clients")
    if code == deleted:
        raise RulesError(f"{rule_id}: deleted must differ from code")
    tests = entry.get("tests")
    if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
        raise RulesError(f"{rule_id}: tests must be a non-empty list of test ids")
    try:
        refs = tuple(parse_test(test) for test in tests)
    except CatalogueError as error:
        raise RulesError(f"{rule_id}: {error}") from error
    return Rule(rule_id, str(texts["rule"]).strip(), file, code, deleted, refs)
