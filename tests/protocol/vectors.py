"""Loading the shared vectors, and rebuilding a receiver's state from them."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from atopos_client.keys import EpochKeys, derive_link_keys, first_epoch, room_secret
from atopos_client.replay import ReplayGuard
from atopos_protocol.routing_modes import RoutingMode
from tests.support.processes import ROOT

VECTORS = ROOT / "tests" / "vectors"


@cache
def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def derivation(room_name: str) -> dict[str, Any]:
    return next(case for case in load("derivation.json")["cases"] if case["name"] == room_name)


def room_context(room_name: str) -> tuple[bytes, RoutingMode, EpochKeys]:
    """(room id, mode, epoch 0) of a vector room, derived from its inputs."""
    inputs = derivation(room_name)["inputs"]
    outputs = derivation(room_name)["outputs"]
    keys = derive_link_keys(bytes.fromhex(inputs["link_shard"]))
    secret = room_secret(
        bytes.fromhex(inputs["link_shard"]),
        bytes.fromhex(inputs["server_shard"]),
        bytes.fromhex(outputs["genesis_hash"]),
    )
    return keys.room_id, RoutingMode(inputs["routing_mode"]), first_epoch(secret)


def guard_from(case: dict[str, Any], epoch: EpochKeys) -> ReplayGuard:
    """The replay guard an invalid-envelope case describes."""
    guard = ReplayGuard(case["admitted_at_ms"])
    for sender, seq, time_ms in case["seen"]:
        guard.note_seen(epoch.epoch_id, bytes.fromhex(sender), seq, time_ms)
    return guard
