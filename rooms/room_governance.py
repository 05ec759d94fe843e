"""The relay's side of governance: who gets in, and which events may be appended.

Plain functions over the state every member also computes (governance/):
the relay enforces the same rules before it hands out the server shard or
appends an event, and members check everything again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from governance.errors import GovernanceError
from governance.events import Event
from governance.forkchoice import Resolution, resolve
from governance.join_rules import JoinRule
from governance.state import apply
from rooms.protocol.genesis import Genesis
from rooms.store import StoredRoom


class Entry(Enum):
    """What a member with a valid link proof gets."""

    WELCOME = "welcome"  # in: open room, or already listed
    KNOCK = "knock"  # approval room: wait for an admin
    TICKET = "ticket"  # invite room: redeem a ticket first
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Decision:
    entry: Entry
    reason: str = ""


class AppendRefused(Exception):
    """An event the relay will not append; ``reason`` is sent back to its author."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def room_log(stored: StoredRoom, events: list[bytes]) -> Resolution:
    """The room's governance as the relay holds it (a single chain, by compare-and-set)."""
    return resolve(Genesis.decode(stored.genesis), events)


def entry_for(log: Resolution, member: bytes) -> Decision:
    """How a member key that proved knowledge of the link may enter."""
    state = log.state
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


def check_append(log: Resolution, raw: bytes, member: bytes) -> Event:
    """The event, if its author may append it on top of the relay's head; else AppendRefused."""
    try:
        event = Event.decode(raw)
    except GovernanceError as error:
        raise AppendRefused(error.code) from None
    if event.author != member:
        raise AppendRefused("not-your-key")
    if any(accepted.id == event.id for accepted in log.accepted):
        raise AppendRefused("duplicate")
    if event.parent != log.head:
        raise AppendRefused("stale-parent")
    try:
        apply(log.state, event)
    except GovernanceError as error:
        raise AppendRefused(error.code) from None
    return event
