"""Members reaching the same log without trusting the relay (PROTOCOL §8.8).

Every envelope carries its sender's governance head. A member that does not
hold that head asks for it (GOV_REQUEST); members that hold it answer with the
events they have (GOV_EVENTS). A member that finds a fork (two events with one
parent: the relay showed members different logs) sends everything it holds,
so that every member ends with the same events and, by the merge rule, the
same state and safety phrase. A member whose envelopes show it is behind (an
older epoch, or a head that is an ancestor of ours) is sent what it lacks:
a relay that withholds a kick from some members cannot keep them behind
without also dropping what other members send them.

Events travel in pieces (``EventPiece``), so one larger than an envelope
still travels; ``Reassembly`` puts them back together and checks their ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from atopos_client.messages import (
    PIECE_HEADER_SIZE,
    PLAINTEXT_HEADER_SIZE,
    EventPiece,
    join_pieces,
)
from atopos_protocol.frames import BUCKETS
from atopos_protocol.governance.events import event_id
from atopos_protocol.routing_modes import RoutingMode

# A sender may have this many events half-received at once; more is a flood.
MAX_PARTIAL_EVENTS = 16


def event_batches(events: list[bytes], mode: RoutingMode) -> list[bytes]:
    """GOV_EVENTS bodies carrying ``events`` in order, each fitting the mode's largest envelope."""
    room = max(BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE
    batches: list[list[EventPiece]] = [[]]
    free = room
    for raw in events:
        identifier, offset = event_id(raw), 0
        while offset < len(raw):
            if free <= PIECE_HEADER_SIZE:
                batches.append([])
                free = room
            chunk = raw[offset : offset + free - PIECE_HEADER_SIZE]
            batches[-1].append(EventPiece(identifier, len(raw), offset, chunk))
            free -= PIECE_HEADER_SIZE + len(chunk)
            offset += len(chunk)
    return [join_pieces(batch) for batch in batches if batch]


@dataclass
class _Partial:
    total: int
    data: bytearray = field(default_factory=bytearray)


class Reassembly:
    """Pieces from one sender, back into whole events (in order, each id checked)."""

    def __init__(self) -> None:
        self._partial: dict[bytes, _Partial] = {}

    def add(self, pieces: list[EventPiece]) -> list[bytes]:
        """The events these pieces complete. Out-of-order or inconsistent pieces are dropped."""
        done = []
        for piece in pieces:
            partial = self._partial.get(piece.event_id)
            if piece.offset == 0:
                if partial is None and len(self._partial) >= MAX_PARTIAL_EVENTS:
                    continue
                partial = self._partial[piece.event_id] = _Partial(piece.total)
            if partial is None or partial.total != piece.total:
                continue
            if piece.offset != len(partial.data):
                del self._partial[piece.event_id]  # a gap: the sender will send it whole again
                continue
            partial.data += piece.data
            if len(partial.data) == partial.total:
                del self._partial[piece.event_id]
                raw = bytes(partial.data)
                if event_id(raw) == piece.event_id:
                    done.append(raw)
        return done


class LogSync:
    """Which heads this member asked for and answered, and how much it already offered."""

    def __init__(self) -> None:
        self.requested: set[bytes] = set()
        self.answered: set[tuple[bytes, bytes, bytes]] = set()
        self.pushed: set[tuple[bytes, bytes]] = set()
        self.offered = 0
        self.reassembly: dict[bytes, Reassembly] = {}

    def ask(self, head: bytes, known: bool) -> bytes | None:
        """The GOV_REQUEST body for a head seen in a message, once per unknown head."""
        if known or head in self.requested:
            return None
        self.requested.add(head)
        return head

    def answer(
        self,
        asker: bytes,
        head: bytes,
        known: bool,
        our_head: bytes,
        held: list[bytes],
        mode: RoutingMode,
    ) -> list[bytes]:
        """GOV_EVENTS bodies for a request this member can serve, once per asker, head and
        log (``known`` is whether we hold the head, or it asks for everything)."""
        key = (asker, head, our_head)
        if not known or key in self.answered or not held:
            return []
        self.answered.add(key)
        return event_batches(held, mode)

    def push(
        self, behind: bytes, our_head: bytes, held: list[bytes], mode: RoutingMode
    ) -> list[bytes]:
        """Everything we hold, once per member that is behind and per head of ours."""
        key = (behind, our_head)
        if key in self.pushed or not held:
            return []
        self.pushed.add(key)
        return event_batches(held, mode)

    def offer(self, forked: bool, held: list[bytes], mode: RoutingMode) -> list[bytes]:
        """After a fork shows up, everything this member holds, each time that set grows."""
        if not forked or len(held) <= self.offered:
            return []
        self.offered = len(held)
        return event_batches(held, mode)

    def pieces_from(self, sender: bytes, pieces: list[EventPiece]) -> list[bytes]:
        """Whole events once ``sender``'s pieces complete them."""
        return self.reassembly.setdefault(sender, Reassembly()).add(pieces)
