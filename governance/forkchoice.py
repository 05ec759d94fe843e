"""From any set of events to one state: the merge rule every member applies (PROTOCOL §8.5).

Take the union of well-formed, well-signed events. Walk them in topological
order (a parent before its children); when several are ready, take
revocations first (kick, demote, revoke-invite, lock, end), then the author
with the highest seniority, then the smaller id. Re-run authorisation in that
order: an event whose author lacks the power is dropped, and so is everything
below a dropped event. Branch length, the number of signers and timestamps
never count: per-room keys are free, so sock puppets must not win by number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from governance.errors import GovernanceError
from governance.events import REVOCATIONS, Event, event_id
from governance.state import RoomState, apply, initial_state
from rooms.protocol.genesis import Genesis

DROPPED_ANCESTOR = "dropped-ancestor"


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of merging everything one member holds."""

    state: RoomState
    accepted: tuple[Event, ...]  # in canonical order, genesis excluded
    rejected: dict[bytes, str]  # event id -> why
    orphans: frozenset[bytes]  # ids whose parent is unknown (yet)
    head: bytes  # the last accepted event, or the genesis
    forked: bool  # two events share a parent: only a lying relay does that

    @property
    def events(self) -> tuple[bytes, ...]:
        """Accepted events as bytes, in order (what a member forwards to others)."""
        return tuple(event.raw for event in self.accepted)


def _order_key(event: Event, state: RoomState) -> tuple[int, int, bytes]:
    return (0 if event.kind in REVOCATIONS else 1, state.seniority(event.author), event.id)


def resolve(genesis: Genesis, raw_events: Iterable[bytes]) -> Resolution:
    """The state, accepted order and head that follow from ``raw_events``, in any order."""
    root = event_id(genesis.raw)
    rejected: dict[bytes, str] = {}
    events: dict[bytes, Event] = {}
    for raw in raw_events:
        identifier = event_id(raw)
        if identifier in events or identifier in rejected or identifier == root:
            continue
        try:
            events[identifier] = Event.decode(raw)
        except GovernanceError as error:
            rejected[identifier] = error.code
    children: dict[bytes, list[Event]] = defaultdict(list)
    for event in events.values():
        children[event.parent].append(event)
    forked = any(len(siblings) > 1 for siblings in children.values())

    state = initial_state(genesis)
    valid = {root}
    accepted: list[Event] = []
    ready = list(children.get(root, ()))
    reached = {event.id for event in ready}
    while ready:
        event = min(ready, key=lambda candidate: _order_key(candidate, state))
        ready.remove(event)
        if event.parent not in valid:
            rejected[event.id] = DROPPED_ANCESTOR
        else:
            try:
                state = apply(state, event)
            except GovernanceError as error:
                rejected[event.id] = error.code
            else:
                accepted.append(event)
                valid.add(event.id)
        for child in children.get(event.id, ()):
            if child.id not in reached:
                reached.add(child.id)
                ready.append(child)
    orphans = frozenset(events) - reached
    head = accepted[-1].id if accepted else root
    return Resolution(state, tuple(accepted), rejected, orphans, head, forked)
