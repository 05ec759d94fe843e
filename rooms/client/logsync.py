"""Members reaching the same log without trusting the relay (PROTOCOL §8.8).

Every envelope carries its sender's governance head. A member that does not
hold that head asks for it (GOV_REQUEST); members that hold it answer with the
events they have (GOV_EVENTS). A member that finds a fork (two events with one
parent: the relay showed members different logs) sends everything it holds,
so that every member ends with the same events and, by the merge rule, the
same state and safety phrase.
"""

from __future__ import annotations

from rooms.protocol.codec import u16
from rooms.protocol.frames import BUCKETS
from rooms.protocol.messages import PLAINTEXT_HEADER_SIZE, join_events
from rooms.routing_modes import RoutingMode


def event_batches(events: list[bytes], mode: RoutingMode) -> list[bytes]:
    """GOV_EVENTS bodies holding ``events``, each fitting the mode's largest envelope.

    An event too large for any envelope (a REKEY to very many members in mix
    mode) cannot travel this way and is left out.
    """
    room = max(BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE
    batches: list[list[bytes]] = []
    size = room
    for event in events:
        cost = len(u16(0)) + len(event)
        if cost > room:
            continue
        if size + cost > room:
            batches.append([])
            size = 0
        batches[-1].append(event)
        size += cost
    return [join_events(batch) for batch in batches]


class LogSync:
    """Which heads this member asked for, answered, and how much it already offered."""

    def __init__(self) -> None:
        self.requested: set[bytes] = set()
        self.answered: set[bytes] = set()
        self.offered = 0

    def ask(self, head: bytes, known: bool) -> bytes | None:
        """The GOV_REQUEST body for a head seen in a message, once per unknown head."""
        if known or head in self.requested:
            return None
        self.requested.add(head)
        return head

    def answer(self, head: bytes, known: bool, held: list[bytes], mode: RoutingMode) -> list[bytes]:
        """GOV_EVENTS bodies for a request this member can serve, once per head."""
        if not known or head in self.answered or not held:
            return []
        self.answered.add(head)
        return event_batches(held, mode)

    def offer(self, forked: bool, held: list[bytes], mode: RoutingMode) -> list[bytes]:
        """After a fork shows up, everything this member holds, each time that set grows."""
        if not forked or len(held) <= self.offered:
            return []
        self.offered = len(held)
        return event_batches(held, mode)
