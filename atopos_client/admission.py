"""Getting into a room: CREATE, JOIN and REDEEM, until the relay lets us in. No I/O.

Admission and being in the room are two lifecycles. Before the relay answers
we hold only the link and our keys; the genesis, the server shard and
everything built on them (membership, outbox, replay guard) exist only once
a CREATED or a checked WELCOME arrives. Keeping the two apart means
``RoomSession`` is made in the room, with nothing Optional left to guard.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from atopos_client.extra_lock import check_new_passphrase, lock_key, passphrase_shard
from atopos_client.keys import MemberKeys, derive_link_keys
from atopos_client.link import Link
from atopos_client.session import RoomSession, wall_clock_ms
from atopos_client.tickets import sign_redeem, ticket_key
from atopos_client.verification import verify_genesis_for_link
from atopos_protocol.binding import Binding
from atopos_protocol.errors import ProtocolError
from atopos_protocol.extra_lock import LockParams
from atopos_protocol.frames import (
    CreateFrame,
    EventFrame,
    JoinFrame,
    LockRequiredFrame,
    UnlockFrame,
    WelcomeFrame,
)
from atopos_protocol.genesis import ExtraLock, Genesis, GenesisBody
from atopos_protocol.governance.events import Event as GovernanceEvent
from atopos_protocol.governance.events import EventKind
from atopos_protocol.governance.payloads import Redeem
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.joinproof import sign_join, sign_unlock
from atopos_protocol.routing_modes import RoutingMode


class Admission:
    """The frames that ask a relay to let us in, and the ``RoomSession`` once it does."""

    def __init__(
        self,
        origin: str,
        link: Link,
        name: str,
        member: MemberKeys | None = None,
        clock: Callable[[], int] = wall_clock_ms,
        passphrase: str | None = None,
    ) -> None:
        self.origin = origin
        self.link = link
        self.name = name
        self.member = member or MemberKeys.generate()
        self.clock = clock
        self.keys = derive_link_keys(link.link_shard)
        # Extra Lock: the passphrase stays here; P is derived once per parameter set the
        # relay names (a relay naming other parameters only makes our UNLOCK fail).
        self.passphrase = passphrase
        self._shards: dict[LockParams, bytes] = {}
        self._challenge = bytes(32)
        self._asked: LockParams | None = None  # what this socket's LOCK_REQUIRED named
        self._pinned: LockParams | None = None  # the genesis's, once we were let in
        self._pending: tuple[Genesis, bytes] | None = None
        # Kept so that coming back (a new socket, the same link) finds our log, epochs and
        # replay memory again instead of starting the room over.
        self._session: RoomSession | None = None

    @classmethod
    def new_room(
        cls,
        origin: str,
        name: str,
        lifetime_seconds: int,
        server_time_ms: int,
        mode: RoutingMode = RoutingMode.DIRECT,
        clock: Callable[[], int] = wall_clock_ms,
        join_rule: JoinRule = JoinRule.OPEN,
        lock: tuple[str, LockParams] | None = None,
    ) -> Admission:
        """A creator's admission: fresh link shard, server shard and genesis; with ``lock``
        (passphrase, Argon2id parameters) the room is under Extra Lock."""
        link_shard, server_shard = os.urandom(32), os.urandom(32)
        member = MemberKeys.generate()
        keys = derive_link_keys(link_shard)
        extra_lock, shard = None, b""
        if lock is not None:
            passphrase, params = lock
            check_new_passphrase(passphrase)
            shard = passphrase_shard(passphrase, keys.pwsalt, params)
            extra_lock = ExtraLock(params, lock_key(link_shard, shard).public_key)
        genesis = Genesis.sign(
            GenesisBody(
                room_id=keys.room_id,
                origin=origin,
                auth_pk=keys.auth_pk,
                owner_ed_pk=member.ed_pk,
                owner_x_pk=member.x_pk,
                join_rule=join_rule,
                routing_mode=mode,
                expires_at=server_time_ms // 1000 + lifetime_seconds,
                vcommit=keys.vcommit(server_shard),
                lock=extra_lock,
            ),
            member.signing_key,
            keys.auth_key(),
        )
        link = Link(link_shard, genesis.genesis_hash)
        admission = cls(origin, link, name, member, clock, lock[0] if lock else None)
        if extra_lock is not None:
            admission._shards[extra_lock.params] = shard
            admission._pinned = extra_lock.params
        admission._pending = (genesis, server_shard)
        return admission

    def create_frame(self, challenge: bytes) -> bytes:
        """CREATE for the room ``new_room`` prepared."""
        if self._pending is None:
            raise RuntimeError("only an admission made by new_room() creates a room")
        genesis, server_shard = self._pending
        return CreateFrame(genesis.raw, server_shard, self._join_signature(challenge)).encode()

    def join_frame(self, challenge: bytes) -> bytes:
        """JOIN proving knowledge of the link for this challenge, with our keys' binding."""
        self._challenge = challenge
        self._asked = None  # a new socket: its relay has asked for nothing yet
        return JoinFrame(
            self.keys.room_id, self.member.ed_pk, self.binding(), self._join_signature(challenge)
        ).encode()

    def binding(self) -> Binding:
        """Our X25519 key, signed by our member key and by the link's auth key."""
        return Binding.make(
            self.member.signing_key, self.keys.auth_key(), self.keys.room_id, self.member.x_pk
        )

    def _join_signature(self, challenge: bytes) -> bytes:
        return sign_join(
            self.keys.auth_key(),
            self.origin,
            self.keys.room_id,
            challenge,
            self.member.ed_pk,
            self.member.x_pk,
        )

    def unlock_frame(self, lock_required: bytes) -> bytes:
        """UNLOCK for the relay's LOCK_REQUIRED: the lock key's signature over our JOIN's proof.

        Argon2id runs here (once per parameter set): seconds, by design.
        """
        if self.passphrase is None:
            raise RuntimeError("this room is under Extra Lock: a passphrase is needed")
        params = LockRequiredFrame.decode(lock_required).params
        # One LOCK_REQUIRED per socket, and once in, only the genesis's parameters: a relay
        # may not make us derive again and again, or sign with a cheaper key than the room's.
        if self._asked is not None or self._pinned not in (None, params):
            raise ProtocolError("lock-mismatch")
        self._asked = params
        return self._signed_unlock(params)

    def unlock_again(self, passphrase: str) -> bytes:
        """After REFUSED wrong-passphrase: another passphrase on the same socket."""
        if self._asked is None:
            raise RuntimeError("the relay has not asked for a passphrase on this socket")
        self.passphrase = passphrase
        self._shards.pop(self._asked, None)
        return self._signed_unlock(self._asked)

    @property
    def lock_asked(self) -> LockParams | None:
        """The parameters this socket's LOCK_REQUIRED named (None: not asked)."""
        return self._asked

    def _signed_unlock(self, params: LockParams) -> bytes:
        key = lock_key(self.link.link_shard, self.passphrase_shard(params))
        proof = (self.origin, self.keys.room_id, self._challenge, self.member.ed_pk)
        lock_signature = sign_unlock(key, *proof, self.member.x_pk)
        member_signature = sign_unlock(self.member.signing_key, *proof, self.member.x_pk)
        return UnlockFrame(lock_signature, member_signature).encode()

    def passphrase_shard(self, params: LockParams) -> bytes:
        """P for ``params`` (derived on first use, then kept for reconnects)."""
        if params not in self._shards:
            if self.passphrase is None:
                raise RuntimeError("no passphrase to derive P from")
            self._shards[params] = passphrase_shard(self.passphrase, self.keys.pwsalt, params)
        return self._shards[params]

    def lock_public_key(self, params: LockParams) -> bytes:
        """The lock key our passphrase gives under ``params`` (checked against the genesis)."""
        return lock_key(self.link.link_shard, self.passphrase_shard(params)).public_key

    def accept_created(self) -> RoomSession:
        """The relay stored the room: enter it as its owner."""
        if self._pending is None:
            raise RuntimeError("no room was being created")
        genesis, server_shard = self._pending
        self._pending = None
        return self._enter(genesis, server_shard)

    def redeem_frame(self, head: bytes) -> bytes:
        """A REDEEM on ``head`` (from the relay's INVITE_REQUIRED), proving the link's ticket."""
        if self.link.ticket is None:
            raise RuntimeError("this room admits by invitation: open it with an invite link")
        ticket_pk = ticket_key(self.link.ticket).public_key
        now = self.clock()
        proof = sign_redeem(
            self.link.ticket, self.keys.room_id, self.member.ed_pk, self.member.x_pk, now
        )
        payload = Redeem(ticket_pk, self.member.x_pk, now, proof).encode()
        event = GovernanceEvent.create(
            EventKind.REDEEM, self.keys.room_id, head, self.member.signing_key, payload
        )
        return EventFrame(event.raw).encode()

    def accept_welcome(self, frame: bytes) -> tuple[RoomSession, int]:
        """Check the genesis and server shard against the link, then enter the room.

        Returns the session in the room and how many GOVERNANCE frames (the
        room's log) follow the WELCOME: hand them to its ``catch_up`` together,
        then send what its ``entered`` returns.
        """
        welcome = WelcomeFrame.decode(frame)
        genesis = verify_genesis_for_link(
            welcome.genesis,
            welcome.server_shard,
            self.keys,
            self.link.genesis_hash,
            self.origin,
            self.clock() // 1000,
            None if self._asked is None else (self._asked, self.lock_public_key(self._asked)),
        )
        if genesis.body.lock is not None:
            self._pinned = genesis.body.lock.params
        return self._enter(genesis, welcome.server_shard), welcome.log_length

    def _enter(self, genesis: Genesis, server_shard: bytes) -> RoomSession:
        session = self._session
        if session is not None and genesis.raw == session.genesis.raw:
            return session  # reconnecting to the same room keeps our log, epochs and replay memory
        self._session = RoomSession(self, genesis, server_shard)
        return self._session
