"""The relay's governance rules: who gets in, and which events may be appended.

Plain functions over the state every member also computes
(``atopos_protocol.governance``): the relay enforces the same rules before it
hands out the server shard or appends an event, and members check everything
again. The relay adds what only it can judge: its own clock (REDEEM and
INVITE times). Nothing here touches Redis, Django or a socket; the consumer's
one action path (``rooms.consumers``) loads the log, asks these rules,
compare-and-sets and publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.forkchoice import Resolution
from atopos_protocol.governance.payloads import Admit, Invite, Kick, Redeem, parse_payload
from atopos_protocol.governance.state import apply
from atopos_protocol.join_rules import JoinRule

# How far a REDEEM's own time may stray from the relay's clock: a ticket that
# expired more than this long ago no longer admits anyone, whatever time its
# redeemer signs.
CLOCK_ALLOWANCE_MS = 120_000


class Entry(Enum):
    """What a member with a valid link proof gets."""

    WELCOME = "welcome"  # in: open room, or already listed
    KNOCK = "knock"  # approval room: wait for an admin
    TICKET = "ticket"  # invite room: redeem a ticket first
    REFUSED = "refused"
    GONE = "gone"  # the log holds END_ROOM: like a missing room, whoever asks


@dataclass(frozen=True, slots=True)
class Decision:
    entry: Entry
    reason: str = ""


class AppendRefused(Exception):
    """An event the relay will not append; ``reason`` is sent back to its author."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def entry_for(log: Resolution, member: bytes) -> Decision:
    """How a member key that proved knowledge of the link may enter."""
    state = log.state
    # The END_ROOM append and deleting the room's keys are two steps, and the second
    # may never run (a RedisError, a crash): an ended log admits nobody meanwhile.
    if state.ended:
        return Decision(Entry.GONE)
    if member in state.removed:
        return Decision(Entry.REFUSED, "removed")
    if member in state.members:
        return Decision(Entry.WELCOME)
    if state.locked:
        return Decision(Entry.REFUSED, "room-locked")
    if state.join_rule is JoinRule.OPEN:
        return Decision(Entry.WELCOME)
    if state.join_rule is JoinRule.APPROVAL:
        return Decision(Entry.KNOCK)
    return Decision(Entry.TICKET)


def check_append(
    log: Resolution, raw: bytes, member: bytes, now_ms: int, room_expires_ms: int
) -> Event:
    """The event, if its author may append it on top of the relay's head; else AppendRefused."""
    try:
        event = Event.decode(raw)
    except GovernanceError as error:
        raise AppendRefused(error.code) from None
    if event.author != member:
        raise AppendRefused("not-your-key")
    if event.parent != log.head:
        # Only here can it be a replay: the log is one chain, so no event in it is a
        # child of its head (and the scan stays off the path of every honest append).
        if any(accepted.id == event.id for accepted in log.accepted):
            raise AppendRefused("duplicate")
        raise AppendRefused("stale-parent")
    try:
        apply(log.state, event)
        _check_times(event, now_ms, room_expires_ms)
    except GovernanceError as error:
        raise AppendRefused(error.code) from None
    return event


def _check_times(event: Event, now_ms: int, room_expires_ms: int) -> None:
    """The times an event carries, against the relay's clock (members cannot check them:
    a newcomer replaying the log has no clock of the moment it was appended)."""
    payload = parse_payload(event)
    if isinstance(payload, Redeem) and abs(payload.time_ms - now_ms) > CLOCK_ALLOWANCE_MS:
        raise GovernanceError("bad-time")
    latest = room_expires_ms + CLOCK_ALLOWANCE_MS
    if isinstance(payload, Invite) and not now_ms < payload.expires_at_ms <= latest:
        raise GovernanceError("bad-time")


@dataclass(frozen=True, slots=True)
class Effect:
    """What an appended event means for one connection: whom it admits or removes."""

    kind: EventKind
    admitted: bytes | None = None
    removed: bytes | None = None


@lru_cache(maxsize=1024)
def effect_of(raw: bytes) -> Effect:
    """Decode an appended event once per process, however many sockets it reaches."""
    event = Event.decode(raw)
    payload = parse_payload(event)
    if isinstance(payload, Kick):
        return Effect(event.kind, removed=payload.target)
    if isinstance(payload, Admit):
        return Effect(event.kind, admitted=payload.member)
    return Effect(event.kind)
