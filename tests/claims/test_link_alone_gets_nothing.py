"""C31: a link without its room's Extra Lock passphrase obtains nothing of the room.

Mallory opens an Extra Lock room's link in the scripted browser session and
types a wrong passphrase, while Alice and Bob talk in the room. Every frame
the relay sent her must be one that says nothing of the room: the challenge,
the peek's answer, LOCK_REQUIRED (the Argon2id parameters) and REFUSED. Never
a WELCOME (genesis and server shard), a GOVERNANCE event, a KNOCK or anyone's
envelope; her page shows no message. She must have been asked for the
passphrase at all, or the check proves nothing.
"""

from __future__ import annotations

import pytest

from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import Kind, RefusedFrame
from evidence.check import CheckResult, could_not_run, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence

# What may reach a link holder who has not proven the passphrase.
HARMLESS = {Kind.CHALLENGE, Kind.AVAILABLE, Kind.LOCK_REQUIRED, Kind.REFUSED}


def kind_of(frame: bytes) -> Kind | None:
    try:
        return Kind(frame[1])
    except (IndexError, ValueError):
        return None


def reason_of(frame: bytes) -> str:
    try:
        return RefusedFrame.decode(frame).reason
    except ProtocolError:
        return "malformed"


def judge(received: list[bytes], messages_shown: int) -> CheckResult:
    violations = []
    kinds: dict[str, int] = {}
    for frame in received:
        kind = kind_of(frame)
        name = kind.name if kind is not None else f"unknown kind {frame[1:2].hex()}"
        kinds[name] = kinds.get(name, 0) + 1
        if kind not in HARMLESS:
            violations.append(f"the relay sent Mallory a frame of kind {name}")
    refusals = [reason_of(frame) for frame in received if kind_of(frame) is Kind.REFUSED]
    if Kind.LOCK_REQUIRED.name not in kinds:
        violations.append("Mallory was never asked for a passphrase: nothing was tested")
    if "wrong-passphrase" not in refusals:
        violations.append("Mallory's wrong passphrase was not refused as one")
    if messages_shown != 0:
        violations.append(f"Mallory's page showed {messages_shown} messages")
    return judged(
        violations, {"frames_received": len(received), **kinds},
        f"Mallory got only {sum(kinds.values())} frames that say nothing of the room",
        "a link holder without the passphrase obtained something of the room",
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    try:
        record, _, _ = ctx.browser()
    except Exception as error:
        return could_not_run(f"the browser session could not run ({type(error).__name__})")
    return judge(record.mallory_received, record.mallory_messages_shown)


pytestmark = pytest.mark.check(
    "A link without its room's passphrase obtains nothing of the room", "runtime", remote=True
)


def test_link_alone_gets_nothing(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
