"""C07: after a room ends, the old link plus all the server holds decrypts nothing.

An attacker who recorded every frame, later seizes the server's Redis and
also obtains the link tries every value the keyspace holds as the missing
server shard, derives the room secret and epoch keys the way a client does,
and tries to open every recorded envelope. With the keyspace of the ended
room this must fail. As a control, the same attack on the keyspace read
while the room was alive must succeed, which shows the attack is real.
"""

from __future__ import annotations

import base64
import binascii

import pytest

from atopos_client.envelope import open_envelope
from atopos_client.keys import SHARD_SIZE, first_epoch, room_secret
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import Kind as FrameKind
from atopos_protocol.routing_modes import RoutingMode
from evidence.check import CheckResult, could_not_run, judged
from tests.claims.live.keyspace import KeyRecord
from tests.claims.live.wire import WireFrame
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence


def shard_candidates(records: list[KeyRecord]) -> set[bytes]:
    """Every stored value that could be a 32-byte shard: raw, hex or base64."""
    found = set()
    for record in records:
        for value in (record.key, *record.contents):
            for decode in (bytes, binascii.unhexlify, base64.b64decode, base64.urlsafe_b64decode):
                try:
                    candidate = decode(value)
                except (binascii.Error, ValueError):
                    continue
                if len(candidate) == SHARD_SIZE:
                    found.add(candidate)
    return found


def decryptable(
    records: list[KeyRecord], frames: list[WireFrame], link_shard: bytes, genesis_hash: bytes,
    room_id: bytes,
) -> int:  # fmt: skip
    """How many recorded envelopes the keyspace plus the link opens."""
    envelopes = [frame.data for frame in frames if frame.kind == FrameKind.ENVELOPE]
    opened = set()
    for candidate in shard_candidates(records):
        epoch = first_epoch(room_secret(link_shard, candidate, genesis_hash))
        for index, envelope in enumerate(envelopes):
            try:
                open_envelope(envelope, room_id, RoutingMode.DIRECT, {epoch.epoch_id: epoch})
            except ProtocolError:
                continue
            opened.add(index)
    return len(opened)


def judge(
    during: list[KeyRecord], after_end: list[KeyRecord], frames: list[WireFrame],
    link_shard: bytes, genesis_hash: bytes, room_id: bytes,
) -> CheckResult:  # fmt: skip
    python_frames = [frame for frame in frames if frame.source == "python"]
    control = decryptable(during, python_frames, link_shard, genesis_hash, room_id)
    if not control:
        return could_not_run("the control attack on the live room's keyspace opened nothing")
    leaked = decryptable(after_end, python_frames, link_shard, genesis_hash, room_id)
    counts = {
        "envelopes_recorded": sum(f.kind == FrameKind.ENVELOPE for f in python_frames),
        "opened_with_live_keyspace": control,
        "opened_with_ended_keyspace": leaked,
        "candidates_after_end": len(shard_candidates(after_end)),
    }
    violations = [f"{leaked} envelopes opened with the ended room's keyspace"] if leaked else []
    return judged(
        violations, counts,
        "the ended room's keyspace opens nothing; the live one did (control)",
        "captured traffic is decryptable after the room ended",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    live = ctx.live()
    session = live.session
    return judge(
        session.during, session.after_end, live.wire.frames, session.link_shard,
        session.genesis_hash, session.room_id,
    )  # fmt: skip


pytestmark = pytest.mark.check(
    "An ended room's traffic cannot be decrypted from what the server holds", "runtime"
)


def test_ended_room_cannot_be_decrypted(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
