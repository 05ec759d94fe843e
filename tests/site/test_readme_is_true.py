"""The README's configuration table lists every variable the code reads, and only those."""

from __future__ import annotations

import re

from tests.support.processes import ROOT

READERS = re.compile(
    r"\b(?:env_str|env_bool|env_int|env_choice|env_list|env_secret|admin_path|admin_host|"
    r"database_from_url|redis_urls|ip_networks|configured_release)\(\s*\"([A-Z][A-Z0-9_]*)\""
)
SECRET_READER = re.compile(r"\benv_secret\(\s*\"([A-Z][A-Z0-9_]*)\"")
TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|", re.MULTILINE)


def variables_read_by(*relative_paths: str) -> set[str]:
    names: set[str] = set()
    for path in relative_paths:
        source = (ROOT / path).read_text()
        names |= set(READERS.findall(source))
        # A secret may also be given as a file: NAME_FILE.
        names |= {f"{name}_FILE" for name in SECRET_READER.findall(source)}
    return names


def test_configuration_table_matches_the_code():
    """Every variable settings.py and the launcher read has a row, and no row is stale."""
    read = variables_read_by("atopos_site/settings.py", "atopos_site/launch.py")
    documented = set(TABLE_ROW.findall((ROOT / "README.md").read_text()))
    assert read - documented == set(), "read by the code but missing from the README"
    assert documented - read == set(), "in the README but read by nothing"


def test_readme_starts_with_the_two_newcomer_commands():
    """`make run` and then `make test` are the first commands a newcomer meets."""
    commands = re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert commands[:2] == ["make run", "make test"]
