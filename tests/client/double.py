"""A relay test double: sessions in one process, and a relay that shows each what it likes.

It relays envelopes between sessions as the real relay does, but governance
events only reach the sessions a test chooses: the double can equivocate,
withhold, replay and inject. ``enter`` plays the honest relay's part when a
member comes in (its BIND is appended for everyone), so tests start from the
room a real relay would produce.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from atopos_client.admission import Admission
from atopos_client.events import Event as SessionEvent
from atopos_client.session import RoomSession
from atopos_protocol.frames import AckFrame, EventFrame, Kind, WelcomeFrame
from atopos_protocol.governance.events import Event, EventKind

ORIGIN = "https://chat.example.org"


def founded(name: str = "Alice", **options: object) -> RoomSession:
    """A creator's session whose room the relay (this double) accepted."""
    admission = Admission.new_room(ORIGIN, name, 3600, int(time.time() * 1000), **options)
    return admission.accept_created()


def joined(room: RoomSession, name: str, clock: Callable[[], int] | None = None) -> RoomSession:
    """A member who joined ``room`` with its link and got the log ``room`` holds."""
    admission = Admission(room.origin, room.link, name, clock=clock or room.clock)
    log = room.membership.resolution.events
    session, log_length = admission.accept_welcome(welcome_into(room))
    assert log_length == len(log)
    session.catch_up([governance_frame(raw) for raw in log])
    return session


def welcome_into(room: RoomSession) -> bytes:
    """The WELCOME an honest relay gives a newcomer to ``room``: its genesis, its server
    shard, and the length of the log ``room`` holds."""
    log = room.membership.resolution.events
    return WelcomeFrame(room.server_shard, room.genesis.raw, len(log)).encode()


def signed(
    session: RoomSession, kind: EventKind, payload: bytes, parent: bytes | None = None
) -> bytes:
    """An event ``session``'s member signs, on its head unless ``parent`` is given."""
    head = session.membership.head if parent is None else parent
    return Event.create(kind, session.keys.room_id, head, session.member.signing_key, payload).raw


def governance_frame(raw: bytes) -> bytes:
    return EventFrame(raw, Kind.GOVERNANCE).encode()


class RelayDouble:
    """Delivers what sessions send (acknowledging each envelope to its sender, after the
    fan-out, as the relay does), and the governance a test decides each one sees."""

    def __init__(self, *sessions: RoomSession) -> None:
        self.sessions = list(sessions)
        self.inbox: dict[int, deque[bytes]] = {id(s): deque() for s in sessions}
        self.seen: dict[int, list[SessionEvent]] = {id(s): [] for s in sessions}
        self.appends: list[bytes] = []  # EVENT frames sessions sent; this relay decides on them
        self.dropped: set[int] = set()  # sessions whose envelopes this relay throws away
        self.wiretap: list[bytes] = []  # every envelope any session sent (the relay sees all)

    def add(self, session: RoomSession) -> None:
        """Another session on this relay."""
        self.sessions.append(session)
        self.inbox[id(session)] = deque()
        self.seen[id(session)] = []

    def show(self, session: RoomSession, *raws: bytes) -> None:
        """Queue governance events for one session only."""
        for raw in raws:
            self.inbox[id(session)].append(governance_frame(raw))

    def show_all(self, *raws: bytes) -> None:
        for session in self.sessions:
            self.show(session, *raws)

    def publish(self) -> list[bytes]:
        """Append what sessions asked to append, for everyone, as an honest relay does."""
        appended, self.appends = self.appends, []
        self.show_all(*appended)
        return appended

    def enter(self, session: RoomSession) -> None:
        """The session is in: what it sends on entering goes out, its BIND (in an open
        room) is appended for everyone, and everyone answers hellos."""
        if session not in self.sessions:
            self.add(session)
        events, frames = session.entered()
        self.seen[id(session)] += events
        self.send(session, frames)
        self.publish()
        self.run()

    def send(self, sender: RoomSession, frames: list[bytes]) -> None:
        """What a session sends: envelopes go to everyone else, appends are kept aside."""
        for frame in frames:
            if frame[1] == Kind.ENVELOPE:
                self.wiretap.append(frame)
                for session in self.sessions:
                    if session is not sender and id(session) not in self.dropped:
                        self.inbox[id(session)].append(frame)
                self.inbox[id(sender)].append(AckFrame.for_envelope(frame).encode())
            elif frame[1] == Kind.EVENT:
                self.appends.append(EventFrame.decode(frame).event)

    def inject(self, session: RoomSession, frame: bytes) -> None:
        """A frame this relay made up (or replays), for one session."""
        self.inbox[id(session)].append(frame)

    def run(self, rounds: int = 200) -> None:
        """Deliver until nothing is left to deliver (each session answering as a client does);
        when the sockets go quiet, each session's timer fires once (answers it held back)."""
        for _ in range(rounds):
            pending = [s for s in self.sessions if self.inbox[id(s)]]
            if not pending and not self._ticks():
                return
            for session in pending:
                frame = self.inbox[id(session)].popleft()
                events, replies = session.receive(frame)
                self.seen[id(session)] += events
                self.send(session, replies)
        raise AssertionError("the sessions never went quiet")

    def _ticks(self) -> bool:
        """Each session's timer: True if any of them sent something."""
        sent = False
        for session in self.sessions:
            events, frames = session.tick()
            self.seen[id(session)] += events
            self.send(session, frames)
            sent = sent or bool(frames)
        return sent

    def events_of(self, session: RoomSession) -> list[SessionEvent]:
        return self.seen[id(session)]
