"""The relay's rules for CREATE and JOIN, as plain functions (no Redis, no Channels).

A failed join proof and a missing room must be indistinguishable, so
``join_proof_valid`` always verifies a signature: against the room's auth key,
or against a fixed key when there is no room.
"""

from __future__ import annotations

from dataclasses import dataclass

from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import CloseCode, CreateFrame, FrameRejected, JoinFrame, PeekFrame
from atopos_protocol.genesis import ExtraLock, Genesis
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.joinproof import verify_join, verify_peek, verify_unlock
from atopos_protocol.labels import unkeyed_hash
from atopos_protocol.room_id import room_id_for
from atopos_protocol.signatures import SigningKey, is_valid_point
from atopos_site.tenancy.policy import TenantPolicy
from rooms.server_keys import ServerLabel
from rooms.store import StoredRoom

MIN_LIFETIME_SECONDS = 5 * 60
CLOCK_ALLOWANCE_SECONDS = 60
# Join rules a room may start under (locked is reached by an event, never at birth).
ENFORCED_JOIN_RULES = frozenset({JoinRule.OPEN, JoinRule.APPROVAL, JoinRule.INVITE})
# A valid key nobody holds the secret of: missing rooms cost a real verification.
_ABSENT_ROOM_KEY = SigningKey(unkeyed_hash(ServerLabel.SERVER, b"absent-room")).public_key


@dataclass(frozen=True, slots=True)
class NewRoom:
    """A room the relay has agreed to create, and its creator's member keys."""

    room_id: bytes
    stored: StoredRoom
    owner_ed_pk: bytes
    owner_x_pk: bytes


def check_create(
    frame: bytes, origin: str, challenge: bytes, policy: TenantPolicy, now_seconds: int
) -> NewRoom:
    """The room a CREATE frame asks for, or FrameRejected with the documented close code."""
    try:
        create = CreateFrame.decode(frame)
        genesis = Genesis.decode(create.genesis)
    except ProtocolError:
        raise FrameRejected(CloseCode.CREATE_REFUSED) from None
    body = genesis.body
    # The id must be the hash of the auth key that signs for it: only a holder of
    # that key can CREATE under an id, so a refusal here says nothing about
    # whether someone else's room exists, existed, or never did.
    if body.room_id != room_id_for(body.auth_pk):
        raise FrameRejected(CloseCode.CREATE_REFUSED)
    if body.origin != origin or not genesis.signatures_valid():
        raise FrameRejected(CloseCode.CREATE_REFUSED)
    if not verify_join(
        body.auth_pk,
        create.join_signature,
        origin,
        body.room_id,
        challenge,
        body.owner_ed_pk,
        body.owner_x_pk,
    ):
        raise FrameRejected(CloseCode.CREATE_REFUSED)
    earliest = now_seconds + MIN_LIFETIME_SECONDS
    latest = now_seconds + policy.max_room_ttl_seconds + CLOCK_ALLOWANCE_SECONDS
    if not earliest <= body.expires_at <= latest:
        raise FrameRejected(CloseCode.POLICY_REFUSED)
    if body.routing_mode not in policy.routing_modes or body.join_rule not in ENFORCED_JOIN_RULES:
        raise FrameRejected(CloseCode.POLICY_REFUSED)
    return NewRoom(
        room_id=body.room_id,
        stored=StoredRoom(
            genesis=create.genesis,
            server_shard=create.server_shard,
            auth_pk=body.auth_pk,
            mode=body.routing_mode,
            expires_at_ms=body.expires_at * 1000,
            head=genesis.event_id,
        ),
        owner_ed_pk=body.owner_ed_pk,
        owner_x_pk=body.owner_x_pk,
    )


def parse_join(frame: bytes) -> JoinFrame:
    """A JOIN frame whose member signing key is a valid point, or FrameRejected(MALFORMED)."""
    try:
        join = JoinFrame.decode(frame)
    except ProtocolError:
        raise FrameRejected(CloseCode.MALFORMED) from None
    if not is_valid_point(join.ed_pk):
        raise FrameRejected(CloseCode.MALFORMED)
    return join


def _proof_inputs(room: StoredRoom | None, challenge: bytes | None) -> tuple[bytes, bytes]:
    """The key and challenge a proof is verified with: a fixed key nobody holds when the
    room is missing, zeros for a spent challenge, so every refusal costs the same work."""
    key = room.auth_pk if room is not None else _ABSENT_ROOM_KEY
    return key, challenge if challenge is not None else bytes(32)


def join_proof_valid(
    join: JoinFrame, room: StoredRoom | None, origin: str, challenge: bytes | None
) -> bool:
    """True only for a live room, an unexpired challenge, a valid proof and a valid binding
    of the member's keys; the same signature checks run either way."""
    key, fresh = _proof_inputs(room, challenge)
    proof = verify_join(
        key, join.join_signature, origin, join.room_id, fresh, join.ed_pk, join.x_pk
    )
    bound = join.binding.valid(join.room_id, key, join.ed_pk)
    return proof and bound and room is not None and challenge is not None


def parse_peek(frame: bytes) -> PeekFrame:
    """A PEEK frame, or FrameRejected(MALFORMED)."""
    try:
        return PeekFrame.decode(frame)
    except ProtocolError:
        raise FrameRejected(CloseCode.MALFORMED) from None


def peek_proof_valid(
    peek: PeekFrame, room: StoredRoom | None, origin: str, challenge: bytes | None
) -> bool:
    """True only for a live room, an unexpired challenge and a valid peek proof; a
    signature is verified either way, so a missing room costs the same work."""
    key, fresh = _proof_inputs(room, challenge)
    proof = verify_peek(key, peek.peek_signature, origin, peek.room_id, fresh)
    return proof and room is not None and challenge is not None


def lifetime_allows(room: StoredRoom, now_ms: int) -> bool:
    """The room has not reached its expiry (Redis drops it then; this closes the race)."""
    return room.expires_at_ms > now_ms


def room_lock(room: StoredRoom) -> ExtraLock | None:
    """The room's Extra Lock, as its genesis (checked at CREATE) states it."""
    return Genesis.decode(room.genesis).body.lock


def unlock_valid(
    room: StoredRoom, signature: bytes, origin: str, join: JoinFrame, challenge: bytes
) -> bool:
    """True if ``signature`` is the room's lock key's over the socket's own join proof."""
    lock = room_lock(room)
    return lock is not None and verify_unlock(
        lock.lock_pk, signature, origin, join.room_id, challenge, join.ed_pk, join.x_pk
    )


def unlock_signed_by_member(
    signature: bytes, origin: str, join: JoinFrame, challenge: bytes
) -> bool:
    """True if the JOIN's own member key signed the same proof: the sender holds that key
    now (a binding seen elsewhere cannot show this)."""
    return verify_unlock(
        join.ed_pk, signature, origin, join.room_id, challenge, join.ed_pk, join.x_pk
    )
