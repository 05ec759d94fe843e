"""The Python reference reproduces every governance vector (the browser must too)."""

from __future__ import annotations

import pytest

from atopos_client.keys import EpochKeys
from atopos_client.phrase import safety_phrase
from atopos_client.rekey import open_keyshare, open_rekey
from atopos_client.tickets import ticket_key
from atopos_client.words import WORDS
from atopos_protocol.genesis import Genesis
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event
from atopos_protocol.governance.forkchoice import resolve
from atopos_protocol.governance.payloads import KeyShare, Rekey, parse_payload
from atopos_protocol.governance.tickets import redeem_valid
from tests.protocol.vectors import load

VECTORS = load("governance.json")
GENESIS = Genesis.decode(bytes.fromhex(VECTORS["genesis"]))
EVENTS = {name: bytes.fromhex(item["raw"]) for name, item in VECTORS["events"].items()}
NAMES = {bytes.fromhex(item["id"]): name for name, item in VECTORS["events"].items()}
ACTORS = VECTORS["actors"]


def name_of(key: bytes) -> str:
    return next(name for name, actor in ACTORS.items() if actor["ed_pk"] == key.hex())


@pytest.mark.parametrize("case", VECTORS["scenarios"], ids=lambda case: case["name"])
def test_scenario_resolves_exactly(case):
    """Accepted order, rejections with codes, orphans, head, fork flag, state and phrase."""
    result = resolve(GENESIS, [EVENTS[name] for name in case["events"]])
    assert [NAMES[event.id] for event in result.accepted] == case["accepted"]
    assert {NAMES[i]: code for i, code in result.rejected.items()} == case["rejected"]
    assert sorted(NAMES[i] for i in result.orphans) == case["orphans"]
    assert result.head.hex() == case["head"]
    assert result.forked is case["forked"]
    assert result.state.state_hash.hex() == case["state_hash"]
    assert safety_phrase(result.state.state_hash) == case["phrase"]
    state = case["state"]
    assert [name_of(key) for key in result.state.admins] == state["admins"]
    assert sorted(name_of(key) for key in result.state.members) == state["members"]
    assert sorted(name_of(key) for key in result.state.removed) == state["removed"]
    assert result.state.join_rule.value == state["join_rule"]
    assert (result.state.locked, result.state.ended) == (state["locked"], state["ended"])
    assert result.state.epoch == state["epoch"]


@pytest.mark.parametrize("case", VECTORS["invalid_events"], ids=lambda case: case["name"])
def test_invalid_events_fail_to_decode_with_their_code(case):
    with pytest.raises(GovernanceError) as error:
        Event.decode(bytes.fromhex(case["raw"]))
    assert error.value.code == case["error"]


def test_ticket_key_and_redeem_signature():
    tickets = VECTORS["tickets"]
    secret = bytes.fromhex(tickets["secret"])
    assert ticket_key(secret).public_key.hex() == tickets["public_key"]
    ada = ACTORS["ada"]
    assert redeem_valid(
        bytes.fromhex(tickets["public_key"]),
        bytes.fromhex(tickets["redeem_signature"]),
        GENESIS.body.room_id,
        bytes.fromhex(ada["ed_pk"]),
        bytes.fromhex(ada["x_pk"]),
        tickets["redeem_time_ms"],
    )


def test_rekey_and_keyshare_open_to_the_recorded_epoch():
    """Ada opens the re-key to epoch 1; Dee opens its key share to the same epoch."""
    vector = VECTORS["rekey"]
    room_id = GENESIS.body.room_id
    epoch0 = EpochKeys.from_secret(bytes.fromhex(vector["epoch0_secret"]), 0)
    rekey_event = Event.decode(EVENTS["rekey"])
    payload = parse_payload(rekey_event)
    assert isinstance(payload, Rekey)
    assert payload.encode().hex() == vector["payload"]
    ada = ACTORS[vector["recipient"]]
    epoch1 = open_rekey(payload, room_id, epoch0, bytes.fromhex(ada["ed_pk"]),
                        bytes.fromhex(ada["x_secret"]))  # fmt: skip
    assert epoch1.secret.hex() == vector["epoch1_secret"]
    assert epoch1.epoch_id.hex() == vector["epoch1_id"]
    dee = ACTORS[vector["keyshare_recipient"]]
    share = KeyShare(*_keyshare_fields(bytes.fromhex(vector["keyshare_payload"])))
    shared = open_keyshare(share, room_id, bytes.fromhex(dee["ed_pk"]),
                           bytes.fromhex(dee["x_secret"]), payload.confirm)  # fmt: skip
    assert shared.secret == epoch1.secret


def _keyshare_fields(raw: bytes) -> tuple:
    return (raw[0:32], raw[32:64], int.from_bytes(raw[64:68], "big"), raw[68:100], raw[100:132],
            raw[132:156], raw[156:204])  # fmt: skip


def test_the_phrase_words_are_the_shared_list():
    """Safety phrases agree only if every client maps bytes to the same 256 words."""
    assert list(WORDS) == load("words.json")["words"]
