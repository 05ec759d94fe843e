"""A member's connection to a room over a real WebSocket (the `websockets` library)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Origin

from atopos_client.admission import Admission
from atopos_client.events import ActionRefused, BackOnline, Event, Reconnecting, RoomClosed
from atopos_client.keys import MemberKeys
from atopos_client.link import split_link_url
from atopos_client.refusals import admission_refusal
from atopos_client.session import RoomSession, wall_clock_ms
from atopos_protocol.errors import ProtocolError
from atopos_protocol.extra_lock import LockParams
from atopos_protocol.frames import ChallengeFrame, CloseCode, Kind, RefusedFrame
from atopos_protocol.governance.events import EventKind
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.routing_modes import RoutingMode

TICK_SECONDS = 2.0
ENTER_SECONDS = 15.0  # how long joining may take to bind our keys and say hello
E = TypeVar("E")
ENDED_CODES = frozenset({CloseCode.ROOM_ENDED, CloseCode.ROOM_EXPIRED, CloseCode.ROOM_UNAVAILABLE})
DEFAULT_LIFETIME_SECONDS = 3600
RECONNECT_ATTEMPTS = 8  # about two minutes of trying, as backoff_seconds spaces them
MAX_BACKOFF_SECONDS = 30.0
RATE_LIMITED_EXTRA = 3  # a rate-limited client starts at 8 s, as the page does
# Only a connection that lasted this long earns a fresh count of tries: a relay that lets us in
# and drops us at once cannot keep us rejoining for ever. Ten seconds, not a minute: relays
# restarted one after another every few seconds (a rolling deploy, the chaos run) must not
# use up a member's tries while each of its connections works.
STABLE_SECONDS = 10.0
# After these, trying again cannot help: the room is over, we were removed or refused.
FINAL_CODES = ENDED_CODES | {CloseCode.KICKED, CloseCode.ADMISSION_REFUSED, CloseCode.ROOM_FULL}
LOCK_REFUSALS = frozenset({"wrong-passphrase", "too-many-guesses"})


def backoff_seconds(attempt: int, jitter: Callable[[], float] = random.random) -> float:
    """How long to wait before try ``attempt`` (1, 2, 4 … 30 s, each cut by up to half at
    random, as the page does), so clients a relay restart dropped do not return at once."""
    base = min(MAX_BACKOFF_SECONDS, 2.0 ** (attempt - 1))
    return max(0.5, base * (0.5 + jitter() / 2))


def worth_retrying(code: int) -> bool:
    """Whether a connection closed with ``code`` may come back (the network, not the room)."""
    return code not in FINAL_CODES and not 4100 <= code < 4200


class RoomUnavailable(Exception):
    """The room has ended, expired, or never existed: the relay cannot tell us which."""


class AdmissionRefused(Exception):
    """The room would not let this member in: declined, no answer, removed, locked, bad ticket,
    or (an open room) its BIND refused. ``reason`` is the refusal's code."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not admitted: {reason}")
        self.reason = reason

    @property
    def words(self) -> str:
        """Why, in our own words: never the relay's text (``atopos_client.refusals``)."""
        return admission_refusal(self.reason)


class InviteRequired(AdmissionRefused):
    """The room admits by invitation only, and this link carries no ticket."""

    def __init__(self) -> None:
        super().__init__("invite-required")


class PassphraseRequired(AdmissionRefused):
    """The room is under Extra Lock and no passphrase was given."""

    def __init__(self) -> None:
        super().__init__("passphrase-required")


class HandshakeRefused(Exception):
    """The relay closed the socket during the handshake with ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(f"the relay refused with close code {code}")
        self.code = code


def socket_url(origin: str) -> str:
    parts = urlsplit(origin)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}/ws/v1"


async def _open(origin: str) -> tuple[ClientConnection, ChallengeFrame]:
    socket = await connect(socket_url(origin), origin=Origin(origin), max_size=2**16)
    return socket, ChallengeFrame.decode(await _recv_bytes(socket))


async def _recv_bytes(socket: ClientConnection) -> bytes:
    try:
        message = await socket.recv()
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else 1006
        if code == CloseCode.ROOM_UNAVAILABLE:
            raise RoomUnavailable("This room has ended") from None
        raise HandshakeRefused(code) from None
    if not isinstance(message, bytes):
        raise HandshakeRefused(CloseCode.TEXT_FRAME)
    return message


async def _admission(
    socket: ClientConnection, admission: Admission, on_waiting: Callable[[], None] | None
) -> bytes:
    """Wait through a knock or redeem a ticket until the WELCOME (returned) or a refusal."""
    reason = "refused"
    while True:
        try:
            frame = await _recv_bytes(socket)
        except HandshakeRefused as refused:
            if refused.code == CloseCode.ADMISSION_REFUSED:
                raise AdmissionRefused(reason) from None
            raise
        kind = frame[1]
        if kind == Kind.WELCOME:
            return frame
        if kind == Kind.PENDING and on_waiting is not None:
            on_waiting()
        elif kind == Kind.REFUSED:
            reason = RefusedFrame.decode(frame).reason
            if reason in LOCK_REFUSALS:  # the relay would let us try again; we have no other
                await socket.close()
                raise AdmissionRefused(reason)
        elif kind == Kind.LOCK_REQUIRED:
            if admission.passphrase is None:
                await socket.close()
                raise PassphraseRequired()
            await socket.send(admission.unlock_frame(frame))
        elif kind == Kind.INVITE_REQUIRED:
            if admission.link.ticket is None:
                await socket.close()
                raise InviteRequired()
            await socket.send(admission.redeem_frame(frame[2:34]))


class RoomClient:
    """Send and receive in one room; events arrive through ``next_event``."""

    def __init__(self, socket: ClientConnection, session: RoomSession) -> None:
        self.socket = socket
        self.session = session
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        # Done once the log lists our keys and our hello went out (only then can we talk),
        # or failed with AdmissionRefused when our BIND was refused: nothing else binds us.
        self.entry: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._left = asyncio.Event()  # set by leave(): a reconnect in progress stops
        self._closed_with: int | None = None  # set when a reconnect learns the room is over
        self._tries = 0  # reconnect tries since the last connection that lasted
        self._connected_at = asyncio.get_running_loop().time()
        self._reader = asyncio.create_task(self._read())
        self._ticker = asyncio.create_task(self._tick())

    @classmethod
    async def create(
        cls,
        site: str,
        name: str,
        lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
        mode: RoutingMode = RoutingMode.DIRECT,
        clock: Callable[[], int] = wall_clock_ms,
        join_rule: JoinRule = JoinRule.OPEN,
        lock: tuple[str, LockParams] | None = None,
    ) -> RoomClient:
        """Create a room on ``site`` (its origin, e.g. http://127.0.0.1:8000) and enter it;
        ``lock`` (passphrase, Argon2id parameters) puts it under Extra Lock."""
        origin = site.rstrip("/")
        socket, challenge = await _open(origin)
        admission = Admission.new_room(
            origin, name, lifetime_seconds, challenge.server_time_ms, mode, clock, join_rule, lock
        )
        await socket.send(admission.create_frame(challenge.challenge))
        reply = await _recv_bytes(socket)
        if reply[1:2] != bytes([Kind.CREATED]):
            raise HandshakeRefused(CloseCode.MALFORMED)
        return await cls._entered(socket, admission.accept_created())

    @classmethod
    async def join(
        cls,
        link_url: str,
        name: str,
        clock: Callable[[], int] = wall_clock_ms,
        on_waiting: Callable[[], None] | None = None,
        member: MemberKeys | None = None,
        passphrase: str | None = None,
    ) -> RoomClient:
        """Join the room a full link (or invite link) names.

        In a room that asks for approval this waits until an admin answers
        (``on_waiting`` is called once the knock is seen); an invite link's
        ticket is redeemed on the way in. Raises RoomUnavailable if the room
        has ended, AdmissionRefused (InviteRequired) if it will not admit us.
        ``member`` gives this member's keys (fresh ones otherwise), so a caller
        can show the member code before the room answers. A room under Extra Lock needs
        ``passphrase`` (PassphraseRequired without; AdmissionRefused "wrong-passphrase").
        """
        origin, link = split_link_url(link_url)
        socket, challenge = await _open(origin)
        admission = Admission(origin, link, name, member, clock, passphrase)
        await socket.send(admission.join_frame(challenge.challenge))
        welcome = await _admission(socket, admission, on_waiting)
        session, log_length = admission.accept_welcome(welcome)
        log = [await _recv_bytes(socket) for _ in range(log_length)]
        backlog, replies = session.catch_up(log)
        return await cls._entered(socket, session, backlog, replies)

    @classmethod
    async def _entered(
        cls,
        socket: ClientConnection,
        session: RoomSession,
        backlog: list[Event] | None = None,
        replies: list[bytes] | None = None,
    ) -> RoomClient:
        client = cls(socket, session)
        refusals, frames = session.entered()
        for event in [*(backlog or []), *refusals]:
            client.events.put_nowait(event)
        client._follow_entry(refusals)
        await client.send_frames([*(replies or []), *frames])
        try:
            await asyncio.wait_for(client.entry, ENTER_SECONDS)
        except TimeoutError:
            await client.socket.close()
            raise HandshakeRefused(CloseCode.UNEXPECTED_FRAME) from None
        except AdmissionRefused:
            await client.socket.close()
            raise
        return client

    def _follow_entry(self, events: list[Event]) -> None:
        """Settle ``entry``: we are in once introduced; refused when our BIND was."""
        if self.entry.done():
            return
        if self.session.introduced:
            self.entry.set_result(None)
            return
        for event in events:
            if isinstance(event, ActionRefused) and event.kind == EventKind.BIND:
                self.entry.set_exception(AdmissionRefused(event.reason))
                return

    @property
    def link(self) -> str:
        """The full room link (the creator shares this)."""
        return self.session.link.url(self.session.origin)

    async def send_text(self, text: str) -> None:
        """Encrypt and send a chat message (SendingPaused while a re-key is due). While the
        connection is down the message waits: it goes out once we are back, like every
        message the relay did not acknowledge."""
        frame = self.session.text(text)
        with contextlib.suppress(ConnectionClosed):
            await self.socket.send(frame)

    @property
    def unacknowledged(self) -> int:
        """Our messages the relay has not yet confirmed it passed on."""
        return len(self.session.sent.pending)

    async def send_frames(self, frames: list[bytes]) -> None:
        for frame in frames:
            await self.socket.send(frame)

    async def admit(self, ed_pk: bytes) -> None:
        await self.send_frames(self.session.admit(ed_pk))

    async def decline(self, ed_pk: bytes) -> None:
        await self.send_frames(self.session.decline(ed_pk))

    async def invite(self, uses: int = 1, lifetime_seconds: int = 86_400) -> str:
        """Create an invite; returns its link (the ticket secret rides in the fragment)."""
        frames, url = self.session.invite(uses, lifetime_seconds)
        await self.send_frames(frames)
        return url

    async def kick(self, ed_pk: bytes, keep_rule: bool = False) -> None:
        await self.send_frames(self.session.kick(ed_pk, keep_rule))

    async def next_event_of(self, kind: type[E], timeout: float = 10.0) -> E:
        """The next event of ``kind``, skipping others (RoomClosed ends the wait)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = await self.next_event(max(0.01, deadline - loop.time()))
            if isinstance(event, kind):
                return event
            if isinstance(event, RoomClosed):
                raise ConnectionError(f"the room closed (code {event.code})")

    async def next_event(self, timeout: float = 10.0) -> Event:
        """The next thing that happened in the room."""
        return await asyncio.wait_for(self.events.get(), timeout)

    async def end_room(self) -> None:
        """End the room for everyone (its owner only): a signed END_ROOM event."""
        await self.send_frames(self.session.end_room())

    async def leave(self) -> None:
        """Say goodbye and close the socket; a reconnect in progress stops."""
        self._left.set()
        with contextlib.suppress(ConnectionClosed):
            await self.socket.send(self.session.bye())
        await self.socket.close()
        await self._reader

    async def _tick(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(TICK_SECONDS)
                events, frames = self.session.tick()
                for event in events:
                    await self.events.put(event)
                await self.send_frames(frames)

    async def _read(self) -> None:
        while True:
            await self._read_socket()
            code = self.socket.close_code or 1006
            if self._left.is_set() or not worth_retrying(code) or not self._entered_cleanly():
                break
            self._ticker.cancel()
            loop = asyncio.get_running_loop()
            if loop.time() - self._connected_at >= STABLE_SECONDS:
                self._tries = 0
            if not await self._reconnect(
                RATE_LIMITED_EXTRA if code == CloseCode.RATE_LIMITED else 0
            ):
                code = self._closed_with or code
                break
            self._connected_at = loop.time()
        self._ticker.cancel()
        await self.events.put(RoomClosed(code, code in ENDED_CODES))

    async def _read_socket(self) -> None:
        try:
            async for message in self.socket:
                if not isinstance(message, bytes):
                    continue
                events, replies = self.session.receive(message)
                for reply in replies:
                    await self.socket.send(reply)
                self._follow_entry(events)
                for event in events:
                    await self.events.put(event)
        except ConnectionClosed:
            pass

    def _entered_cleanly(self) -> bool:
        """We were in the room: ``entry`` settled without a refusal."""
        return self.entry.done() and not self.entry.cancelled() and self.entry.exception() is None

    async def _reconnect(self, extra: int) -> bool:
        """Into the same room on a new socket with the same admission, so the session keeps
        its log, epochs and replay memory; False once trying again cannot help (the room is
        over, we were removed or refused, the relay showed a room that is not the link's or
        sent what no relay may), we left, or the tries ran out."""
        while self._tries < RECONNECT_ATTEMPTS:
            self._tries += 1
            seconds = backoff_seconds(self._tries + extra)
            await self.events.put(Reconnecting(self._tries, seconds))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._left.wait(), seconds)
            if self._left.is_set():
                return False
            try:
                socket, backlog = await asyncio.wait_for(self._rejoin(), ENTER_SECONDS)
            except RoomUnavailable:
                self._closed_with = CloseCode.ROOM_UNAVAILABLE
                return False
            except AdmissionRefused as refused:
                # Removed while away: the same end as a kick seen live, not a bare 4403.
                removed = refused.reason == "removed"
                self._closed_with = CloseCode.KICKED if removed else CloseCode.ADMISSION_REFUSED
                return False
            except HandshakeRefused as refused:
                if worth_retrying(refused.code):
                    continue
                self._closed_with = refused.code
                return False
            except (OSError, TimeoutError, WebSocketException):
                continue
            except Exception:  # anything else a relay provoked (a short frame…): stop, do not hang
                self._closed_with = CloseCode.UNEXPECTED_FRAME
                return False
            if self._left.is_set():
                await socket.close()
                return False
            self.socket = socket
            for event in backlog:
                await self.events.put(event)
            await self.events.put(BackOnline())
            self._ticker = asyncio.create_task(self._tick())
            return True
        return False

    async def _rejoin(self) -> tuple[ClientConnection, list[Event]]:
        """JOIN with a fresh proof, the WELCOME checked against the link, the log merged and
        our hello sent; the events that came with it."""
        admission = self.session.admission
        socket, challenge = await _open(self.session.origin)
        try:
            await socket.send(admission.join_frame(challenge.challenge))
            session, log_length = admission.accept_welcome(
                await _admission(socket, admission, None)
            )
            if session is not self.session:
                raise ProtocolError("genesis-hash-mismatch")
            log = [await _recv_bytes(socket) for _ in range(log_length)]
            backlog, replies = session.catch_up(log)
            refusals, frames = session.entered()
            for frame in [*replies, *frames]:
                await socket.send(frame)
        except BaseException:
            await socket.close()
            raise
        return socket, [*backlog, *refusals]
