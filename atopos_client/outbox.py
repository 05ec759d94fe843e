"""This member's own governance events: one in flight, re-based when the relay's head moved.

The relay appends with compare-and-set (PROTOCOL §8.5), so an event signed on a
head that another member's event overtook comes back REFUSED ``stale-parent``
with the relay's head. The outbox signs the same intent again on top of the
new head, once it holds that head, and gives up after a few tries. Intents that
no longer apply to the current state are dropped with the rule they break,
before anything is sent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from atopos_protocol.frames import EventFrame
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.state import RoomState, apply
from atopos_protocol.signatures import SigningKey

MAX_ATTEMPTS = 5
STALE_PARENT = "stale-parent"


@dataclass
class Intent:
    kind: EventKind
    payload: bytes
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Refusal:
    """An intent that will not be appended, and why (a governance error code)."""

    kind: EventKind | None  # None: the relay refused something we no longer track
    reason: str


class Outbox:
    """Queues intents; sends one EVENT at a time; follows the relay's answers."""

    def __init__(self, room_id: bytes, signer: SigningKey) -> None:
        self.room_id = room_id
        self.signer = signer
        self.queue: deque[Intent] = deque()
        self.in_flight: Event | None = None
        self.rebase_onto: bytes | None = None  # a relay head we wait to hold before re-signing
        self.refusals: list[Refusal] = []

    def push(self, kind: EventKind, payload: bytes, state: RoomState, head: bytes) -> list[bytes]:
        """Queue an intent; the EVENT frame to send now, if nothing else is in flight."""
        self.queue.append(Intent(kind, payload))
        return self._next(state, head)

    def settle(
        self,
        accepted: Callable[[bytes], bool],
        knows: Callable[[bytes], bool],
        state: RoomState,
        head: bytes,
    ) -> list[bytes]:
        """The log changed: finish the in-flight event if it landed, and send what is next."""
        if self.in_flight is not None and accepted(self.in_flight.id):
            self.queue.popleft()
            self.in_flight = None
        if self.rebase_onto is not None and knows(self.rebase_onto):
            self.rebase_onto = None
            self.in_flight = None
        return self._next(state, head)

    def refused(
        self, reason: str, relay_head: bytes, knows: Callable[[bytes], bool], state: RoomState,
        head: bytes,
    ) -> list[bytes]:  # fmt: skip
        """The relay refused our in-flight event: re-base it, or give it up with the reason."""
        if self.in_flight is None:
            self.refusals.append(Refusal(None, reason))
            return []
        intent = self.queue[0]
        if reason == STALE_PARENT and intent.attempts < MAX_ATTEMPTS:
            if knows(relay_head):
                self.in_flight = None
                return self._next(state, head)
            self.rebase_onto = relay_head
            return []
        self.queue.popleft()
        self.in_flight = None
        self.refusals.append(Refusal(intent.kind, reason))
        return self._next(state, head)

    def take_refusals(self) -> list[Refusal]:
        refusals, self.refusals = self.refusals, []
        return refusals

    def _next(self, state: RoomState, head: bytes) -> list[bytes]:
        if self.in_flight is not None or self.rebase_onto is not None:
            return []
        while self.queue:
            intent = self.queue[0]
            event = Event.create(intent.kind, self.room_id, head, self.signer, intent.payload)
            try:
                apply(state, event)
            except GovernanceError as error:
                self.queue.popleft()
                self.refusals.append(Refusal(intent.kind, error.code))
                continue
            intent.attempts += 1
            self.in_flight = event
            return [EventFrame(event.raw).encode()]
        return []
