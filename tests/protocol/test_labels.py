"""PROTOCOL §1.1's one label table, split by who derives what, still has no label twice."""

from __future__ import annotations

import re
from pathlib import Path

from atopos_client.labels import ClientLabel
from atopos_protocol.labels import DerivationLabel, Label
from rooms.server_keys import ServerLabel

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
TABLES: tuple[type[DerivationLabel], ...] = (Label, ClientLabel, ServerLabel)


def every_label() -> list[str]:
    return [member.value for table in TABLES for member in table]


def test_no_label_serves_two_purposes_across_the_three_tables() -> None:
    labels = every_label()

    assert len(labels) == len(set(labels))


def test_every_label_fits_blake2b_personalisation() -> None:
    for table in TABLES:
        for member in table:
            assert len(member.personal) == 16
            assert member.personal.rstrip(b"\0") == member.value.encode("ascii")


def test_the_tables_hold_exactly_the_labels_protocol_md_names() -> None:
    documented = set(re.findall(r"atopos1-[a-z0-9]+", PROTOCOL.read_text(encoding="utf-8")))

    assert set(every_label()) == documented


def test_the_relay_shares_only_labels_of_public_values() -> None:
    assert {member.name for member in Label} == {
        "RID",
        "GENESIS",
        "EVENT",
        "STATE",
        "RETIRED_OWNERCAP",
    }
