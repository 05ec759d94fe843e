"""The room relay: one WebSocket per member, binary frames only (PROTOCOL §5, §8.7).

The consumer stays thin: frame shape checks live in ``atopos_protocol.frames``,
the CREATE/JOIN rules in ``rooms.admission``, who-gets-in and what-may-be-
appended in ``governance.rules``, every Redis key in ``rooms.store`` and
the fan-out in ``rooms.hub``. It never decodes an envelope and never logs a
frame.

A socket goes through three phases: it answers the challenge, it may wait
(for an admin to admit it, or for its ticket to be redeemed), and it is in the
room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from redis.exceptions import RedisError

from atopos_protocol.binding import Binding
from atopos_protocol.codec import Reader
from atopos_protocol.frames import (
    AckFrame,
    ChallengeFrame,
    CloseCode,
    DeclineFrame,
    EventFrame,
    FrameRejected,
    JoinFrame,
    Kind,
    KnockFrame,
    LeftFrame,
    LockRequiredFrame,
    RefusedFrame,
    UnlockFrame,
    WelcomeFrame,
    available_frame,
    classify_client_frame,
    created_frame,
    head_frame,
)
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.forkchoice import Resolution
from atopos_protocol.routing_modes import RoutingMode
from atopos_site.tenancy.asgi import header
from atopos_site.tenancy.policy import ResolvedTenant
from governance.rules import AppendRefused, Entry, check_append, effect_of, entry_for
from rooms.admission import (
    check_create,
    join_proof_valid,
    lifetime_allows,
    parse_join,
    parse_peek,
    peek_proof_valid,
    room_lock,
    unlock_signed_by_member,
    unlock_valid,
)
from rooms.hub import RoomHub, hub_for, new_tag
from rooms.rate_limits import FrameBudget
from rooms.redis_clients import redis_for
from rooms.room_governance import log_cache
from rooms.server_keys import client_identity
from rooms.store import Admission, Appended, Guess, Knocked, RateCounter, RoomStore, StoredRoom

logger = logging.getLogger(__name__)

CHALLENGE_SECONDS = 30
WAITING_SECONDS = 600  # how long a knock or a pending ticket may wait
# Newcomers that may wait for an admin at once: a link holder cannot bury an
# admin's list (or the room's Redis hash) under knocks.
MAX_WAITING_KNOCKS = 32
# Extra Lock (PROTOCOL §2.1): a person types the passphrase while the socket waits; each
# socket may guess a few times, each room this many times per window, whoever guesses.
UNLOCK_SECONDS = 300
GUESSES_PER_SOCKET = 3
GUESSES_PER_ROOM = 20
GUESS_WINDOW_MS = 600_000
LOG_SLICE = 32  # GOVERNANCE frames a WELCOME's log sends before other sockets get a turn
HEARTBEAT_SECONDS = 30
NO_HEAD = bytes(32)


def now_ms() -> int:
    return int(time.time() * 1000)


class Phase(Enum):
    CHALLENGE = "challenge"
    UNLOCK = "unlock"  # proved the link; the room is under Extra Lock
    KNOCKING = "knocking"
    TICKET = "ticket"
    IN_ROOM = "in-room"


@dataclass(frozen=True, slots=True)
class Place:
    """The room a socket proved it may try, and the member key it uses there."""

    room_id: bytes
    member: bytes
    binding: Binding | None  # what a knock shows admins; the owner's keys are in the genesis
    store: RoomStore
    room: StoredRoom

    @property
    def hub(self) -> RoomHub:
        return hub_for(self.store.redis)

    @property
    def channel(self) -> str:
        return self.store.relay_channel(self.room_id)

    async def log(self) -> Resolution:
        """The room's governance, as the relay holds it now."""
        return await log_cache().resolution(self.store, self.room_id, self.room)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the relay did not append an event, and the head its author should build on."""

    head: bytes
    reason: str


class RoomConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """Relays a room's envelopes between its members; holds no key that decrypts."""

    # Frames travel through rooms.hub, not the channel layer: no per-socket
    # subscription, no per-delivery task wake-up (docs/PERFORMANCE.md).
    channel_layer_alias = None

    tenant: ResolvedTenant
    origin: str
    challenge: bytes | None
    challenge_deadline: float
    phase: Phase
    place: Place | None
    listening: bool  # in the hub: hearing the room's governance (and, in the room, its frames)
    mode: RoutingMode | None
    ended: bool
    epoch_reached: int  # the highest epoch counter the room's log was seen to reach
    join: JoinFrame  # in Phase.UNLOCK: the proven JOIN, admitted once the passphrase is
    join_challenge: bytes
    guesses: int  # wrong passphrases this socket sent

    async def connect(self) -> None:
        """Accept, issue a fresh challenge, and count the attempt against the client's limit."""
        self.tenant = self.scope["tenant"]
        self.origin = header(self.scope, b"origin") or ""
        self.phase = Phase.CHALLENGE
        self.place = self.mode = None
        self.listening = False
        self.tag = new_tag()
        self.challenge, self.challenge_deadline = None, 0.0
        self.ended = False
        self.closing = False
        self.epoch_reached = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.frame_budget = FrameBudget(self.tenant.policy.rate_limits.messages_per_minute)
        self.client = client_identity(self._address(), time.time())
        await self.accept()
        limits = self.tenant.policy.rate_limits
        if not await self._hit(RateCounter.JOINS, self.client, limits.joins_per_minute):
            await self.refuse(CloseCode.RATE_LIMITED)
            return
        self.challenge = os.urandom(32)
        self.challenge_deadline = time.monotonic() + CHALLENGE_SECONDS
        await self.send_frame(ChallengeFrame(self.challenge, now_ms()).encode())
        self.tasks.append(asyncio.create_task(self._timeout(CHALLENGE_SECONDS, Phase.CHALLENGE)))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Channels' consumer loop, for one message source.

        Without a channel layer the socket is the only source, so a plain loop
        replaces await_many_dispatch's task and asyncio.wait per message.
        """
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            while True:
                await self.dispatch(await receive())

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Route a message to its handler, without channels' per-message database hop.

        AsyncConsumer.dispatch runs close_old_connections in a thread before every
        message; this consumer never touches the database, so that hop (five per
        relayed frame in a room of five) is pure cost.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for {message['type']}")
        await handler(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Check a frame's shape before anything else, then act on its kind and our phase."""
        if self.closing:
            return  # frames queued behind our close: nobody is listening for answers
        try:
            if bytes_data is None:
                raise FrameRejected(CloseCode.TEXT_FRAME)
            kind = classify_client_frame(bytes_data, self.mode)
            # Every frame after the handshake (which joins_per_minute limits) costs
            # budget, whatever its kind: floods of DECLINE or redemptions close too.
            if self.phase is not Phase.CHALLENGE and not self.frame_budget.take(time.monotonic()):
                raise FrameRejected(CloseCode.RATE_LIMITED)
            if self.phase is Phase.CHALLENGE:
                await self._handshake(kind, bytes_data)
            elif self.phase is Phase.TICKET and kind is Kind.EVENT:
                await self._redeem(bytes_data)
            elif self.phase is Phase.UNLOCK and kind is Kind.UNLOCK:
                await self._unlock(bytes_data)
            elif self.phase is not Phase.IN_ROOM:
                raise FrameRejected(CloseCode.UNEXPECTED_FRAME)
            elif kind is Kind.ENVELOPE:
                await self._relay(bytes_data)
            elif kind is Kind.EVENT:
                await self._append(bytes_data)
            elif kind is Kind.DECLINE:
                await self._decline(bytes_data)
            else:
                raise FrameRejected(CloseCode.UNEXPECTED_FRAME)
        except FrameRejected as refusal:
            await self.refuse(refusal.close_code)
        except RedisError:
            # Redis restarted or is out of reach: the frame may have reached members here
            # but not the others, so no ACK went out; the client comes back and resends.
            logger.warning("Redis unavailable while handling a frame; closing 4013")
            await self.refuse(CloseCode.TRY_AGAIN_LATER)

    async def disconnect(self, code: int) -> None:
        """Give the member's place back and tell the room it left."""
        for task in self.tasks:
            task.cancel()
        place = self.place
        if place is None or not self.listening:
            return
        await place.hub.exit(place.channel, self.tag)
        with contextlib.suppress(Exception):  # the room may be gone; leaving must not fail
            if self.phase is Phase.KNOCKING:
                await place.store.remove_knock(place.room_id, place.member)
                await place.hub.left(place.channel, self.tag, place.member)
            elif self.phase is Phase.IN_ROOM:
                await place.store.release(place.room_id, place.member)
                if not self.ended:
                    await place.hub.left(place.channel, self.tag, place.member)

    async def refuse(self, code: CloseCode) -> None:
        """Close with a documented code (autobahn accepts a plain int only)."""
        self.closing = True
        await self.close(code=int(code))

    async def send_frame(self, frame: bytes) -> None:
        # A socket that closed under us (the peer left, or we refused it a moment
        # ago) is not an error: raising here would skip disconnect(), and with it
        # giving the member's place back.
        with contextlib.suppress(Disconnected):
            await self.base_send({"type": "websocket.send", "bytes": frame})

    async def refuse_admission(self, reason: str) -> None:
        """Say why (a REFUSED frame) and close with 4403."""
        await self.send_frame(RefusedFrame(NO_HEAD, reason).encode())
        await self.refuse(CloseCode.ADMISSION_REFUSED)

    # Called by the hub ----------------------------------------------------------

    async def deliver(self, frame: bytes) -> None:
        """An envelope from another member: pass it on unchanged."""
        if self.phase is Phase.IN_ROOM:
            await self.send_frame(frame)

    async def member_left(self, ed_pk: bytes) -> None:
        """Another member's connection closed."""
        if self.phase is Phase.IN_ROOM and ed_pk != self._place().member:
            await self.send_frame(LeftFrame(ed_pk).encode())

    async def subscription_lost(self) -> None:
        """The hub lost Redis: frames may have gone by unseen; the client comes back (4013)."""
        await self.refuse(CloseCode.TRY_AGAIN_LATER)

    async def room_ended(self) -> None:
        """The owner ended the room: close with the documented code."""
        self.ended = True
        await self.refuse(CloseCode.ROOM_ENDED)

    async def governance(self, raw: bytes) -> None:
        """An appended event: pass it on; act if it admits or removes this member."""
        if self.phase is Phase.IN_ROOM:
            await self.send_frame(EventFrame(raw, Kind.GOVERNANCE).encode())
        member = self._place().member
        effect = effect_of(raw)
        if effect.removed == member:
            await self.refuse(CloseCode.KICKED)
        if effect.admitted == member and self.phase is Phase.KNOCKING:
            await self._welcome_after_wait()

    async def knocked(self, ed_pk: bytes, binding: bytes) -> None:
        """A newcomer waits; members' clients check its binding and show it to admins."""
        if self.phase is Phase.IN_ROOM:
            knock = KnockFrame(ed_pk, Binding.read(Reader(binding, "malformed")))
            await self.send_frame(knock.encode())

    async def declined(self, ed_pk: bytes) -> None:
        """An admin turned a newcomer away: members stop showing its knock."""
        if self.phase is Phase.IN_ROOM:
            await self.send_frame(LeftFrame(ed_pk).encode())
        elif self.phase is Phase.KNOCKING and ed_pk == self._place().member:
            self.phase = Phase.CHALLENGE  # nothing more for this socket
            await self.refuse_admission("declined")

    # Handshake ------------------------------------------------------------------

    async def _handshake(self, kind: Kind, frame: bytes) -> None:
        challenge = self._take_challenge()
        if kind is Kind.JOIN:
            await self._join(frame, challenge)
        elif kind is Kind.CREATE:
            await self._create(frame, challenge)
        elif kind is Kind.PEEK:
            await self._peek(frame, challenge)
        else:
            raise FrameRejected(CloseCode.UNEXPECTED_FRAME)

    def _take_challenge(self) -> bytes | None:
        """The challenge, once: a second handshake or a late one gets None."""
        challenge, self.challenge = self.challenge, None
        if challenge is None or time.monotonic() > self.challenge_deadline:
            return None
        return challenge

    async def _join(self, frame: bytes, challenge: bytes | None) -> None:
        join = parse_join(frame)
        store = RoomStore(redis_for(join.room_id), self.tenant.namespace)
        room = await store.get(join.room_id)
        if not join_proof_valid(join, room, self.origin, challenge):
            raise FrameRejected(CloseCode.ROOM_UNAVAILABLE)
        if room is None or not lifetime_allows(room, now_ms()):
            raise FrameRejected(CloseCode.ROOM_UNAVAILABLE)
        self.place = Place(join.room_id, join.ed_pk, join.binding, store, room)
        lock = room_lock(room)
        if lock is not None and challenge is not None:
            if (await self.place.log()).state.ended:  # as for any JOIN: nothing, not even this
                raise FrameRejected(CloseCode.ROOM_UNAVAILABLE)
            # Nothing of the room (not its genesis, not V) before the passphrase is proven.
            self.join, self.join_challenge, self.guesses = join, challenge, 0
            self.phase = Phase.UNLOCK
            self.tasks.append(asyncio.create_task(self._timeout(UNLOCK_SECONDS, Phase.UNLOCK)))
            await self.send_frame(LockRequiredFrame(lock.params).encode())
            return
        await self._admit(join)

    async def _unlock(self, frame: bytes) -> None:
        """Check a passphrase proof against the room's budget of guesses, then admit as JOIN.

        A member the log lists (who proves it holds its key) is not charged: it was let in
        with the passphrase before, and a link holder spending the room's budget must not
        keep the owner or anyone coming back after a dropped connection out of the room.
        """
        place, join = self._place(), self.join
        unlock = UnlockFrame.decode(frame)
        if not unlock_signed_by_member(
            unlock.member_signature, self.origin, join, self.join_challenge
        ):
            raise FrameRejected(CloseCode.MALFORMED)
        state = (await place.log()).state
        listed = join.ed_pk in state.members and join.ed_pk not in state.removed
        token = os.urandom(16)
        if not listed:
            guess = await place.store.reserve_guess(
                place.room_id, token, GUESSES_PER_ROOM, GUESS_WINDOW_MS, now_ms()
            )
            if guess is Guess.GONE:
                raise FrameRejected(CloseCode.ROOM_UNAVAILABLE)
            if guess is Guess.EXHAUSTED:  # refused unchecked: the answer says nothing of the guess
                await self.refuse_admission("too-many-guesses")
                return
        if unlock_valid(place.room, unlock.lock_signature, self.origin, join, self.join_challenge):
            if not listed:
                await place.store.refund_guess(place.room_id, token)
            for task in self.tasks:
                task.cancel()
            await self._admit(join)
            return
        self.guesses += 1
        if self.guesses >= GUESSES_PER_SOCKET:
            await self.refuse_admission("wrong-passphrase")
        else:
            await self.send_frame(RefusedFrame(NO_HEAD, "wrong-passphrase").encode())

    async def _admit(self, join: JoinFrame) -> None:
        """A proven JOIN (and passphrase): welcome, knock or ask for the ticket, by the log."""
        place = self._place()
        store = place.store
        log = await place.log()
        decision = entry_for(log, join.ed_pk)
        if decision.entry is Entry.GONE:
            raise FrameRejected(CloseCode.ROOM_UNAVAILABLE)
        if decision.entry is Entry.WELCOME:
            await self._enter(log.state.cap)
            await self._send_welcome()
        elif decision.entry is Entry.KNOCK:
            binding = join.binding.encode()
            knocked = await store.add_knock(join.room_id, join.ed_pk, binding, MAX_WAITING_KNOCKS)
            if knocked is Knocked.GONE:
                raise FrameRejected(CloseCode.ROOM_UNAVAILABLE)
            if knocked is Knocked.BUSY:
                await self.refuse_admission("too-many-waiting")
                return
            await self._wait(Phase.KNOCKING)
            await self.send_frame(head_frame(Kind.PENDING, b""))
            await place.hub.knock(place.channel, self.tag, join.ed_pk, binding)
        elif decision.entry is Entry.TICKET:
            await self._wait(Phase.TICKET)
            await self.send_frame(head_frame(Kind.INVITE_REQUIRED, log.head))
        else:
            await self.refuse_admission(decision.reason)

    async def _peek(self, frame: bytes, challenge: bytes | None) -> None:
        """Say whether a room is there to a link holder, without letting it in.

        Nothing is registered and nobody is told: no member, no knock, no place
        against a cap. Every unavailable case closes with 4004 after the same work
        as a JOIN's, and an available room gets AVAILABLE and a normal close, so
        the socket can carry nothing else (a JOIN needs a new socket and challenge,
        and counts against joins_per_minute again, as this peek did).
        """
        peek = parse_peek(frame)
        store = RoomStore(redis_for(peek.room_id), self.tenant.namespace)
        room = await store.get(peek.room_id)
        proven = peek_proof_valid(peek, room, self.origin, challenge)
        if not proven or room is None or not lifetime_allows(room, now_ms()):
            raise FrameRejected(CloseCode.ROOM_UNAVAILABLE)
        # As for a JOIN: an END_ROOM appended but not yet followed by the deletion (a
        # RedisError, a crash in between) already makes the room unavailable.
        if (await log_cache().resolution(store, peek.room_id, room)).state.ended:
            raise FrameRejected(CloseCode.ROOM_UNAVAILABLE)
        await self.send_frame(available_frame())
        await self.refuse(CloseCode.NORMAL)

    async def _create(self, frame: bytes, challenge: bytes | None) -> None:
        if challenge is None:
            raise FrameRejected(CloseCode.CREATE_REFUSED)
        new = check_create(frame, self.origin, challenge, self.tenant.policy, int(time.time()))
        # Charged only for a CREATE that would stand: junk must not spend the budget.
        limits = self.tenant.policy.rate_limits
        if not await self._hit(RateCounter.CREATES, self.client, limits.rooms_per_hour):
            raise FrameRejected(CloseCode.RATE_LIMITED)
        store = RoomStore(redis_for(new.room_id), self.tenant.namespace)
        if not await store.create(new.room_id, new.stored):
            raise FrameRejected(CloseCode.CREATE_REFUSED)
        self.place = Place(new.room_id, new.owner_ed_pk, None, store, new.stored)
        await self._enter()
        await self.send_frame(created_frame())

    async def _wait(self, phase: Phase) -> None:
        """Wait outside the room, hearing only governance: an admission, a decline, a kick."""
        self.phase = phase
        await self._listen()
        for task in self.tasks:
            task.cancel()
        self.tasks = [asyncio.create_task(self._timeout(WAITING_SECONDS, phase))]

    async def _listen(self) -> None:
        if not self.listening:
            place = self._place()
            await place.hub.enter(place.channel, self.tag, self)
            self.listening = True

    async def _redeem(self, frame: bytes) -> None:
        """A newcomer's REDEEM event: appended atomically, or refused with a reason."""
        outcome = await self._commit(frame, only=EventKind.REDEEM)
        if isinstance(outcome, Refusal):
            if outcome.reason == "stale-parent":  # another event won the head: ask again
                await self.send_frame(head_frame(Kind.INVITE_REQUIRED, outcome.head))
            else:
                await self.refuse_admission(outcome.reason)
            return
        await self._welcome_after_wait()

    async def _welcome_after_wait(self) -> None:
        place = self._place()
        if self.phase is Phase.KNOCKING:
            await place.store.remove_knock(place.room_id, place.member)
        await self._enter((await place.log()).state.cap)
        await self._send_welcome()

    async def _enter(self, room_cap: int = 0) -> None:
        """Take a place in the room: within the tenant's cap and the room's own (SET_JOIN_RULE)."""
        place = self._place()
        cap = self.tenant.policy.max_members_per_room
        if room_cap:
            cap = min(cap, room_cap)
        admission = await place.store.admit(place.room_id, place.member, cap, now_ms())
        if admission is Admission.GONE:
            raise FrameRejected(CloseCode.ROOM_UNAVAILABLE)
        if admission is Admission.FULL:
            raise FrameRejected(CloseCode.ROOM_FULL)
        self.mode = place.room.mode
        await self._listen()
        self.phase = Phase.IN_ROOM
        for task in self.tasks:
            task.cancel()
        self.tasks = [
            asyncio.create_task(self._expire_at(place.room.expires_at_ms)),
            asyncio.create_task(self._heartbeat(place)),
        ]

    async def _send_welcome(self) -> None:
        """WELCOME, then the log as GOVERNANCE frames, then the newcomers waiting for admins."""
        place = self._place()
        events = (await place.log()).events
        welcome = WelcomeFrame(place.room.server_shard, place.room.genesis, len(events))
        await self.send_frame(welcome.encode())
        # Let the WELCOME leave before the log streams behind it (the newcomer checks the
        # genesis meanwhile), and let other sockets run between slices of a long log.
        for index, raw in enumerate(events):
            if index % LOG_SLICE == 0:
                await asyncio.sleep(0)
            await self.send_frame(EventFrame(raw, Kind.GOVERNANCE).encode())
        for ed_pk, binding in (await place.store.knocks(place.room_id)).items():
            await self.knocked(ed_pk, binding)

    # In the room ------------------------------------------------------------------

    async def _relay(self, frame: bytes) -> None:
        """Pass an envelope on, unless it claims an epoch the room's log has not reached.

        Members who see an epoch above their log stop sending until they catch up
        (PROTOCOL §8.8), so one such envelope from a member would mute the room.
        An honest member seals only in epochs whose REKEY the log holds; the log
        is read again only when a counter is above the last one seen.
        """
        place = self._place()
        counter = int.from_bytes(frame[2:6], "big")
        if counter > self.epoch_reached:
            self.epoch_reached = (await place.log()).state.epoch
            if counter > self.epoch_reached:
                raise FrameRejected(CloseCode.UNEXPECTED_FRAME)
        await place.hub.frame(place.channel, self.tag, frame)
        # Only now, with the local fan-out done and the publish for other processes
        # accepted by Redis: an envelope lost before this point is sent again (§4.5).
        await self.send_frame(AckFrame.for_envelope(frame).encode())

    async def _append(self, frame: bytes) -> None:
        """Append a member's governance event with compare-and-set, or say why not."""
        event = await self._commit(frame)
        if isinstance(event, Refusal):
            await self.send_frame(RefusedFrame(event.head, event.reason).encode())

    async def _decline(self, frame: bytes) -> None:
        """An admin turns a knocking newcomer away."""
        place = self._place()
        newcomer = DeclineFrame.decode(frame).ed_pk
        log = await place.log()
        if not log.state.is_admin(place.member):
            await self.send_frame(RefusedFrame(log.head, "not-authorized").encode())
            return
        await place.store.remove_knock(place.room_id, newcomer)
        await place.hub.declined(place.channel, newcomer)

    async def _commit(self, frame: bytes, only: EventKind | None = None) -> Event | Refusal:
        """The one path of every governance action (append and redeem; admit, kick and end
        are events): load the cached log, check the event against governance.rules, append
        it with compare-and-set on the log's head, publish it to the room, and end the room
        when the event is END_ROOM (the only way a room ends before its expiry)."""
        place = self._place()
        raw = EventFrame.decode(frame).event
        log = await place.log()
        try:
            event = check_append(log, raw, place.member, now_ms(), place.room.expires_at_ms)
            if only is not None and event.kind is not only:
                raise AppendRefused(f"{only.name.lower()}-expected")
        except AppendRefused as refusal:
            return Refusal(log.head, refusal.reason)
        outcome = await place.store.append(place.room_id, event.parent, event.id, raw)
        if outcome is Appended.STALE:
            return Refusal((await place.log()).head, "stale-parent")
        if outcome is Appended.GONE:
            raise FrameRejected(CloseCode.ROOM_UNAVAILABLE)
        await place.hub.governance(place.channel, raw)
        if event.kind is EventKind.END_ROOM:
            await place.store.end(place.room_id, place.room.expires_at_ms, now_ms())
            await place.hub.ended(place.channel, self.tag)
        return event

    # Helpers ------------------------------------------------------------------

    def _place(self) -> Place:
        if self.place is None:
            raise RuntimeError("no room yet: the handshake sets the place")
        return self.place

    async def _hit(self, counter: RateCounter, identity: str, limit: int) -> bool:
        store = RoomStore(redis_for(bytes.fromhex(identity)), self.tenant.namespace)
        return await store.hit(counter, identity, limit)

    def _address(self) -> str:
        client = self.scope.get("client")
        return str(client[0]) if client else "unknown"

    async def _timeout(self, seconds: float, phase: Phase) -> None:
        await asyncio.sleep(seconds)
        if self.phase is phase:
            if phase is Phase.CHALLENGE:
                await self.refuse(CloseCode.ROOM_UNAVAILABLE)
            elif phase is Phase.UNLOCK:
                await self.refuse_admission("passphrase-required")
            else:
                await self.refuse_admission("no-answer")

    async def _expire_at(self, expires_at_ms: int) -> None:
        await asyncio.sleep(max(0.0, (expires_at_ms - now_ms()) / 1000))
        self.ended = True
        await self.refuse(CloseCode.ROOM_EXPIRED)

    async def _heartbeat(self, place: Place) -> None:
        # Stops once the room is gone, so a heartbeat whose cancellation a client library
        # swallowed (tests/rooms/test_cancellation.py) cannot outlive its room.
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if not await place.store.refresh(place.room_id, place.member, now_ms()):
                return
