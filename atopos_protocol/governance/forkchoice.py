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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from atopos_protocol.genesis import Genesis
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import REVOCATIONS, Event, event_id
from atopos_protocol.governance.state import RoomState, apply, initial_state

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
    malformed: frozenset[bytes] = frozenset()  # rejected before the walk: they never apply

    @property
    def events(self) -> tuple[bytes, ...]:
        """Accepted events as bytes, in order (what a member forwards to others)."""
        return tuple(event.raw for event in self.accepted)

    @property
    def clean(self) -> bool:
        """A single chain with every event accepted: a child of the head extends it as is."""
        walked_out = self.rejected.keys() - self.malformed
        return not walked_out and not self.orphans and not self.forked

    def extend(self, event: Event) -> Resolution | None:
        """The resolution with ``event`` added, when that needs no new walk; else None.

        When everything so far is one accepted chain, a walk over it plus a child
        of its head meets that child last and alone: applying it to the current
        state is the same walk, done in constant time. Anything else (a fork, a
        rejected or orphaned event that might now apply) needs ``resolve``.
        """
        if not self.clean or event.parent != self.head:
            return None
        try:
            state = apply(self.state, event)
        except GovernanceError as error:
            return replace(self, rejected={**self.rejected, event.id: error.code})
        return replace(self, state=state, accepted=(*self.accepted, event), head=event.id)


def _order_key(event: Event, state: RoomState) -> tuple[int, int, bytes]:
    return (0 if event.kind in REVOCATIONS else 1, state.seniority(event.author), event.id)


def decode_into(
    raw_events: Iterable[bytes], events: dict[bytes, Event], malformed: dict[bytes, str]
) -> list[bytes]:
    """Decode (and verify) each event not seen before; the ids of the new, valid ones.

    Signature checks are the costly part of merging: each event is checked once.
    """
    fresh = []
    for raw in raw_events:
        identifier = event_id(raw)
        if identifier in events or identifier in malformed:
            continue
        try:
            events[identifier] = Event.decode(raw)
        except GovernanceError as error:
            malformed[identifier] = error.code
        else:
            fresh.append(identifier)
    return fresh


def resolve(genesis: Genesis, raw_events: Iterable[bytes]) -> Resolution:
    """The state, accepted order and head that follow from ``raw_events``, in any order."""
    events: dict[bytes, Event] = {}
    malformed: dict[bytes, str] = {}
    decode_into(raw_events, events, malformed)
    return resolve_decoded(genesis, events, malformed)


def resolve_decoded(
    genesis: Genesis, decoded: Mapping[bytes, Event], malformed: Mapping[bytes, str]
) -> Resolution:
    """``resolve`` over events already decoded (and those that failed to decode)."""
    root = event_id(genesis.raw)
    events = {key: event for key, event in decoded.items() if key != root}
    rejected: dict[bytes, str] = {key: code for key, code in malformed.items() if key != root}
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
    return Resolution(
        state, tuple(accepted), rejected, orphans, head, forked, frozenset(malformed) - {root}
    )
