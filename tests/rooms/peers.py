"""Room members for consumer tests: a real protocol session over a WebsocketCommunicator."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from channels.testing import WebsocketCommunicator

from atopos_client.admission import Admission
from atopos_client.events import Event
from atopos_client.session import RoomSession, wall_clock_ms
from atopos_protocol import VERSION
from atopos_protocol.extra_lock import LockParams
from atopos_protocol.frames import AckFrame, ChallengeFrame, Kind
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.routing_modes import RoutingMode
from atopos_site.asgi import application
from atopos_site.tenancy import resolver
from atopos_site.tenancy.models import Tenant

E = TypeVar("E")
HOST = "alpha.localhost"
ACK = bytes([Kind.ACK])
ORIGIN = f"http://{HOST}"


class RelaySocket(WebsocketCommunicator):  # type: ignore[misc]
    """A socket to the relay that passes over ACKs (PROTOCOL §5.3), keeping their nonces in
    ``acks``: most tests read what other members and the room send, not the relay's receipts.
    ``receive_nothing`` looks past ACKs too, so a frame it saw is one ``receive_from`` returns
    at once (a receive that times out would cancel the consumer)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.acks: list[bytes] = []
        self._ready: deque[bytes] = deque()

    def _is_ack(self, frame: object) -> bool:
        if isinstance(frame, bytes) and frame[1:2] == bytes([Kind.ACK]):
            self.acks.append(AckFrame.decode(frame).nonce)
            return True
        return False

    async def receive_from(self, timeout: float = 1) -> bytes:
        if self._ready:
            return self._ready.popleft()
        while True:
            frame: bytes = await super().receive_from(timeout)
            if not self._is_ack(frame):
                return frame

    async def receive_nothing(self, timeout: float = 0.1, interval: float = 0.01) -> bool:
        if self._ready:
            return False
        while not await super().receive_nothing(timeout, interval):
            message = await self.receive_output()
            if message["type"] != "websocket.send":
                await self.output_queue.put(message)  # a close: leave it for whoever waits
                return False
            frame = message.get("bytes")
            if not self._is_ack(frame):
                self._ready.append(frame)
                return False
        return True


def room_socket(host: str = HOST, origin: str = ORIGIN) -> RelaySocket:
    """A not yet connected socket to the room route, as a page on ``origin`` opens it."""
    return RelaySocket(
        application, "/ws/v1", headers=[(b"host", host.encode()), (b"origin", origin.encode())]
    )


async def open_socket(
    host: str = HOST, origin: str = ORIGIN
) -> tuple[WebsocketCommunicator, bytes]:
    """A connected socket and the challenge the relay sent on it."""
    communicator = room_socket(host, origin)
    connected, _ = await communicator.connect()
    assert connected
    challenge = ChallengeFrame.decode(await communicator.receive_from(5))
    return communicator, challenge.challenge


async def closed_with(communicator: WebsocketCommunicator, timeout: float = 3) -> int:
    """The close code the relay ends this socket with (no other frame may come first, only
    the relay's ACKs of what this member sent)."""
    message = await communicator.receive_output(timeout)
    while message["type"] == "websocket.send" and message.get("bytes", b"")[1:2] == ACK:
        message = await communicator.receive_output(timeout)
    assert message["type"] == "websocket.close", f"expected a close, got {message}"
    return int(message.get("code", 1000))


async def finally_closed_with(communicator: WebsocketCommunicator, timeout: float = 3) -> int:
    """The close code the relay ends this socket with, after whatever frames were on the way."""
    while True:
        message = await communicator.receive_output(timeout)
        if message["type"] == "websocket.close":
            return int(message.get("code", 1000))


async def frames_until_closed(
    communicator: WebsocketCommunicator, timeout: float = 3
) -> tuple[list[bytes], int]:
    """Every frame the relay sends (ACKs included) until it closes, and the close code."""
    frames = []
    while True:
        message = await communicator.receive_output(timeout)
        if message["type"] == "websocket.close":
            return frames, int(message.get("code", 1000))
        frames.append(message["bytes"])


async def set_policy(slug: str = "alpha", **fields: object) -> None:
    """Change a tenant's policy in the database and drop this process's cached copy."""
    await Tenant.objects.filter(slug=slug).aupdate(**fields)
    resolver.clear_cache()


def new_admission(lifetime: int = 3600, origin: str = ORIGIN, **options: object) -> Admission:
    """A creator's admission prepared against the current clock."""
    return Admission.new_room(origin, "Alice", lifetime, int(time.time() * 1000), **options)


async def create_refusal(admission: Admission) -> int:
    """Send ``admission``'s CREATE on a fresh socket and return the close code it gets."""
    socket, challenge = await open_socket()
    await socket.send_to(bytes_data=admission.create_frame(challenge))
    return await closed_with(socket)


@dataclass
class Peer:
    """A member in a room, or (after ``knock``) one asking to be let in."""

    socket: WebsocketCommunicator
    admission: Admission
    in_room: RoomSession | None = None  # set once the relay lets this member in
    sent: int = 0  # frames sent after the handshake (each spends the connection's budget)
    # A malicious relay's hand on what this member receives: frames it injects come first,
    # and frames any of the filters match never reach the member (see tests/attacks/).
    injected: deque[bytes] = field(default_factory=deque)
    withheld: list[Callable[[bytes], bool]] = field(default_factory=list)
    heard: list[Event] = field(default_factory=list)  # every event the member's client saw

    @classmethod
    async def create(
        cls,
        name: str = "Alice",
        lifetime: int = 3600,
        mode: RoutingMode = RoutingMode.DIRECT,
        rule: JoinRule = JoinRule.OPEN,
        clock: Callable[[], int] = wall_clock_ms,
        lock: tuple[str, LockParams] | None = None,
    ) -> Peer:
        socket, challenge = await open_socket()
        now = int(time.time() * 1000)
        admission = Admission.new_room(ORIGIN, name, lifetime, now, mode, clock, rule, lock)
        await socket.send_to(bytes_data=admission.create_frame(challenge))
        assert await socket.receive_from() == bytes([VERSION, Kind.CREATED])
        peer = cls(socket, admission, admission.accept_created())
        await peer.enter()
        return peer

    @classmethod
    async def join(
        cls,
        room: RoomSession | Admission,
        name: str = "Bob",
        host: str = HOST,
        clock: Callable[[], int] = wall_clock_ms,
    ) -> Peer:
        """Join the room ``room`` (another member's session or admission) names, with its link."""
        peer = await cls.knock(room, name, host, clock=clock)
        await peer.welcomed(await peer.socket.receive_from())
        return peer

    @classmethod
    async def knock(
        cls,
        room: RoomSession | Admission,
        name: str = "Bob",
        host: str = HOST,
        ticket: bytes | None = None,
        clock: Callable[[], int] = wall_clock_ms,
        passphrase: str | None = None,
    ) -> Peer:
        """Send JOIN with ``room``'s link (an invite link if ``ticket``); nothing read yet."""
        socket, challenge = await open_socket(host, f"http://{host}")
        link = room.link.with_ticket(ticket)
        admission = Admission(room.origin, link, name, clock=clock, passphrase=passphrase)
        await socket.send_to(bytes_data=admission.join_frame(challenge))
        return cls(socket, admission)

    async def welcomed(self, welcome: bytes, require_listed: bool = True) -> None:
        """Enter after a WELCOME: read the log that follows it, then bind (an open room) or
        say hello, as a client does. In an open room, waits until the log lists us."""
        self.in_room, log_length = self.admission.accept_welcome(welcome)
        log = [await self.socket.receive_from() for _ in range(log_length)]
        _, replies = self.session.catch_up(log)
        await self.act(replies)
        await self.enter()
        while require_listed and not self.session.membership.is_member(self.key):
            await self.next_events()

    @property
    def session(self) -> RoomSession:
        """The session in the room (a knocking peer has none: it holds only its admission)."""
        assert self.in_room is not None, f"{self.admission.name} is not in the room"
        return self.in_room

    async def enter(self) -> None:
        """Send what the session sends on entering (BIND or hello); keep what it saw."""
        events, frames = self.session.entered()
        self.heard += events
        await self.act(frames)

    async def pump(self, wanted: type[E], timeout: float = 3) -> E:
        """Handle frames as a client would (answering, doing duties) until a ``wanted`` event."""
        while True:
            for event in await self.next_events(timeout):
                if isinstance(event, wanted):
                    return event

    async def act(self, frames: list[bytes]) -> None:
        """Send the frames a session action returned."""
        for frame in frames:
            await self.send(frame)

    async def send(self, frame: bytes) -> None:
        self.sent += 1
        await self.socket.send_to(bytes_data=frame)

    async def say(self, text: str) -> None:
        await self.send(self.session.text(text))

    async def introduce(self) -> None:
        await self.send(self.session.hello(wants_reply=True))

    async def meet(self, *others: Peer) -> None:
        """Handle frames until this peer and ``others`` list one another as present (each
        newcomer's BIND merged, hellos answered), then drain what is still on its way."""
        peers = (*others, self)
        for peer in peers:
            for other in peers:
                while other is not peer and other.key not in peer.session.members:
                    await peer.next_events()
        for peer in peers:
            await peer.settle(0.05)

    @property
    def key(self) -> bytes:
        return self.admission.member.ed_pk

    async def settle(self, timeout: float = 0.3) -> list[Event]:
        """Handle everything that arrives until nothing has for ``timeout`` seconds."""
        events: list[Event] = []
        while self.injected or not await self.socket.receive_nothing(timeout):
            try:
                events += await self.next_events(timeout)
            except TimeoutError:
                break  # what arrived was withheld
        return events

    async def next_frame(self, timeout: float = 3) -> bytes:
        """The next frame the member receives: an injected one, or the relay's unless withheld."""
        while True:
            if self.injected:
                return self.injected.popleft()
            if not self.withheld:
                return await self.socket.receive_from(timeout)
            # A receive that times out cancels the consumer (asgiref), and a withheld frame
            # must not make a later wait time out: look before taking.
            if await self.socket.receive_nothing(timeout):
                raise TimeoutError("nothing reached the member")
            frame = await self.socket.receive_from()
            if not any(withhold(frame) for withhold in self.withheld):
                return frame

    async def next_events(self, timeout: float = 3) -> list[Event]:
        """Events from the next frame the relay delivers (answering hellos as a client would)."""
        frame = await self.next_frame(timeout)
        events, replies = self.session.receive(frame)
        for reply in replies:
            await self.send(reply)
        self.heard += events
        return events

    async def nothing_arrives(self, timeout: float = 0.3) -> bool:
        return await self.socket.receive_nothing(timeout)

    async def leave(self) -> None:
        await self.socket.disconnect()
