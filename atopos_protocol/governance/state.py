"""A room's governance state and the rules that move it, one event at a time (PROTOCOL §8.3).

``apply`` is the only place that decides whether an author may do something:
the server calls it before relaying an event, and every member calls it again
on everything it receives.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field, replace

from atopos_protocol.binding import link_sig_valid, x25519_usable
from atopos_protocol.codec import u8, u16, u32, u64
from atopos_protocol.genesis import Genesis
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import MALFORMED, Event, EventKind
from atopos_protocol.governance.payloads import (
    MAX_TICKET_USES,
    RULE_CODES,
    Admit,
    Bind,
    Invite,
    KeyShare,
    Kick,
    Redeem,
    Rekey,
    RevokeInvite,
    SetJoinRule,
    Target,
    parse_payload,
)
from atopos_protocol.governance.tickets import redeem_valid
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.labels import Label, unkeyed_hash
from atopos_protocol.signatures import is_valid_point

NOT_AN_ADMIN = 1_000_000
# Keys a room lists over its whole life (owner, admitted, redeemed, bound): a REKEY
# seals to each of them, and must stay one event (256 entries are about 26.8 KiB).
MAX_MEMBERS = 256
# The log after the genesis. END_ROOM is always accepted, so a full log can still end.
MAX_LOG_EVENTS = 2048
MAX_LOG_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class InviteState:
    """A ticket as the log has it: how often it may still admit."""

    uses: int
    used: int
    expires_at_ms: int
    revoked: bool


@dataclass(frozen=True, slots=True)
class RoomState:
    """Who is in, who decides, and what is allowed, after some prefix of the log."""

    room_id: bytes
    auth_pk: bytes  # the genesis' auth key: it vouches for every bound member key
    owner: bytes
    admins: tuple[bytes, ...]  # most senior first: in the order they were promoted
    members: frozenset[bytes]  # listed members: owner, admitted, redeemed, bound
    x_keys: dict[bytes, bytes] = field(hash=False)  # each listed member's bound X25519 key
    removed: frozenset[bytes] = frozenset()
    join_rule: JoinRule = JoinRule.OPEN
    cap: int = 0
    locked: bool = False
    ended: bool = False
    invites: dict[bytes, InviteState] = field(default_factory=dict, hash=False)
    epoch: int = 0
    epoch_confirm: bytes = b""
    pending_kick: bytes | None = None
    log_events: int = 0  # events accepted after the genesis (not part of the state hash)
    log_bytes: int = 0

    def is_admin(self, key: bytes) -> bool:
        """The owner and promoted admins hold power."""
        return key == self.owner or key in self.admins

    def seniority(self, key: bytes) -> int:
        """0 for the owner, then admins by promotion order; everyone else ranks last."""
        if key == self.owner:
            return 0
        if key in self.admins:
            return 1 + self.admins.index(key)
        return NOT_AN_ADMIN

    def may_join(self, key: bytes) -> bool:
        """Whether a member key may be in the room (open rooms list nobody)."""
        if self.ended or key in self.removed:
            return False
        return (self.join_rule is JoinRule.OPEN and not self.locked) or key in self.members

    def encode(self) -> bytes:
        """Canonical bytes of the state, for its hash."""
        invites = b"".join(
            pk + u16(i.uses) + u16(i.used) + u64(i.expires_at_ms) + u8(i.revoked)
            for pk, i in sorted(self.invites.items())
        )
        return b"".join(
            (
                self.room_id,
                self.owner,
                u16(len(self.admins)),
                *self.admins,
                u16(len(self.members)),
                *sorted(self.members),
                u16(len(self.removed)),
                *sorted(self.removed),
                u8(RULE_CODES[self.join_rule]),
                u16(self.cap),
                u8(self.locked),
                u8(self.ended),
                u32(self.epoch),
                self.epoch_confirm.ljust(32, b"\0"),
                u16(len(self.invites)),
                invites,
                # Every listed key's bound X25519 key and the kick awaiting a re-key: two
                # states that differ only in these must not share a phrase (spec/ForkChoice.tla).
                u16(len(self.x_keys)),
                *(member + x_pk for member, x_pk in sorted(self.x_keys.items())),
                self.pending_kick or bytes(32),
            )
        )

    @property
    def state_hash(self) -> bytes:
        """32 bytes that differ whenever the state does."""
        return unkeyed_hash(Label.STATE, self.encode())


def initial_state(genesis: Genesis) -> RoomState:
    """The state the genesis creates: its author owns the room under its join rule."""
    body = genesis.body
    return RoomState(
        room_id=body.room_id,
        auth_pk=body.auth_pk,
        owner=body.owner_ed_pk,
        admins=(),
        members=frozenset({body.owner_ed_pk}),
        x_keys={body.owner_ed_pk: body.owner_x_pk},
        join_rule=body.join_rule,
    )


def _require(condition: bool, code: str) -> None:
    if not condition:
        raise GovernanceError(code)


def _admit(state: RoomState, member: bytes, x_pk: bytes) -> RoomState:
    _require(not state.locked, "room-locked")
    _require(member not in state.removed, "member-removed")
    _require(member not in state.members, "already-member")
    limit = MAX_MEMBERS if state.cap == 0 else min(state.cap, MAX_MEMBERS)
    _require(len(state.members) < limit, "room-full")
    return replace(state, members=state.members | {member}, x_keys={**state.x_keys, member: x_pk})


def _listed(state: RoomState, key: bytes) -> None:
    """Only keys the log lists can be kicked, promoted or sent new keys."""
    _require(key not in state.removed, "member-removed")
    _require(key in state.members, "not-a-member")


def apply(state: RoomState, event: Event) -> RoomState:
    """The state after ``event``, or GovernanceError naming the rule it breaks."""
    if event.kind is not EventKind.END_ROOM:
        _require(state.log_events < MAX_LOG_EVENTS, "log-full")
        _require(state.log_bytes + len(event.raw) <= MAX_LOG_BYTES, "log-full")
    after = _apply(state, event)
    return replace(
        after, log_events=state.log_events + 1, log_bytes=state.log_bytes + len(event.raw)
    )


def _apply(state: RoomState, event: Event) -> RoomState:
    _require(hmac.compare_digest(event.room_id, state.room_id), "wrong-room")
    _require(not state.ended, "room-ended")
    _require(event.author not in state.removed, "author-removed")
    payload = parse_payload(event)
    kind, author = event.kind, event.author
    if kind is EventKind.REDEEM:
        assert isinstance(payload, Redeem)  # noqa: S101 -- kind fixes the class  # nosec B101
        return _redeem(state, author, payload, event)
    if kind is EventKind.BIND:
        assert isinstance(payload, Bind)  # noqa: S101 -- kind fixes the class  # nosec B101
        return _bind(state, author, payload)
    if kind is EventKind.END_ROOM:
        _require(author == state.owner, "not-authorized")
        return replace(state, ended=True)
    _require(state.is_admin(author), "not-authorized")
    if kind is EventKind.ADMIT:
        assert isinstance(payload, Admit)  # noqa: S101 -- kind fixes the class  # nosec B101
        _require(is_valid_point(payload.member), MALFORMED)
        _require(payload.binding.valid(state.room_id, state.auth_pk, payload.member), "bad-binding")
        return _admit(state, payload.member, payload.x_pk)
    if kind is EventKind.INVITE:
        assert isinstance(payload, Invite)  # noqa: S101 -- kind fixes the class  # nosec B101
        _require(not state.locked, "room-locked")
        _require(1 <= payload.uses <= MAX_TICKET_USES, MALFORMED)
        _require(is_valid_point(payload.ticket_pk), MALFORMED)
        _require(payload.ticket_pk not in state.invites, "duplicate-invite")
        ticket = InviteState(payload.uses, 0, payload.expires_at_ms, revoked=False)
        return replace(state, invites={**state.invites, payload.ticket_pk: ticket})
    if kind is EventKind.REVOKE_INVITE:
        assert isinstance(payload, RevokeInvite)  # noqa: S101 -- kind fixes the class  # nosec B101
        current = state.invites.get(payload.ticket_pk)
        _require(current is not None, "unknown-invite")
        assert current is not None  # noqa: S101 -- _require above raised  # nosec B101
        _require(not current.revoked, "invite-revoked")
        revoked = replace(current, revoked=True)
        return replace(state, invites={**state.invites, payload.ticket_pk: revoked})
    if kind is EventKind.KICK:
        assert isinstance(payload, Kick)  # noqa: S101 -- kind fixes the class  # nosec B101
        return _kick(state, author, payload, event)
    if kind is EventKind.PROMOTE:
        assert isinstance(payload, Target)  # noqa: S101 -- kind fixes the class  # nosec B101
        _listed(state, payload.target)
        _require(not state.is_admin(payload.target), "already-admin")
        return replace(state, admins=(*state.admins, payload.target))
    if kind is EventKind.DEMOTE:
        assert isinstance(payload, Target)  # noqa: S101 -- kind fixes the class  # nosec B101
        _require(payload.target in state.admins, "not-admin")
        _require(state.seniority(author) < state.seniority(payload.target), "not-authorized")
        return replace(state, admins=tuple(a for a in state.admins if a != payload.target))
    if kind is EventKind.SET_JOIN_RULE:
        assert isinstance(payload, SetJoinRule)  # noqa: S101 -- kind fixes the class  # nosec B101
        _require(not state.locked, "room-locked")
        return replace(state, join_rule=payload.rule, cap=payload.cap)
    if kind is EventKind.LOCK:
        _require(not state.locked, "room-locked")
        return replace(state, locked=True)
    if kind is EventKind.REKEY:
        assert isinstance(payload, Rekey)  # noqa: S101 -- kind fixes the class  # nosec B101
        return _rekey(state, payload)
    assert isinstance(payload, KeyShare)  # noqa: S101 -- kind fixes the class  # nosec B101
    _require(payload.counter == state.epoch, "wrong-epoch")
    _listed(state, payload.recipient)
    # Sealed to the key the log binds, never to one a hello or the relay named.
    _require(state.x_keys.get(payload.recipient) == payload.recipient_x_pk, "wrong-key")
    return state


def _bind(state: RoomState, author: bytes, payload: Bind) -> RoomState:
    """An open room lists a newcomer on its own word, vouched for by the link's auth key."""
    _require(state.join_rule is JoinRule.OPEN and not state.locked, "not-open")
    _require(author not in state.members, "already-member")
    _require(x25519_usable(payload.x_pk), "bad-binding")
    valid = link_sig_valid(state.auth_pk, state.room_id, author, payload.x_pk, payload.link_sig)
    _require(valid, "bad-binding")
    return _admit(state, author, payload.x_pk)


def _redeem(state: RoomState, author: bytes, payload: Redeem, event: Event) -> RoomState:
    ticket = state.invites.get(payload.ticket_pk)
    _require(ticket is not None, "unknown-invite")
    assert ticket is not None  # noqa: S101 -- _require above raised  # nosec B101
    _require(not ticket.revoked, "invite-revoked")
    _require(payload.time_ms <= ticket.expires_at_ms, "invite-expired")
    _require(ticket.used < ticket.uses, "ticket-used")
    _require(x25519_usable(payload.x_pk), "bad-binding")
    _require(
        redeem_valid(
            payload.ticket_pk,
            payload.ticket_signature,
            event.room_id,
            author,
            payload.x_pk,
            payload.time_ms,
        ),
        "bad-ticket",
    )
    admitted = _admit(state, author, payload.x_pk)
    used = replace(ticket, used=ticket.used + 1)
    return replace(admitted, invites={**admitted.invites, payload.ticket_pk: used})


def _kick(state: RoomState, author: bytes, payload: Kick, event: Event) -> RoomState:
    target = payload.target
    _require(target != state.owner, "cannot-kick-owner")
    _require(target != author, "cannot-kick-self")
    _require(target not in state.removed, "already-removed")
    _require(target in state.members, "not-a-member")
    if target in state.admins:
        _require(state.seniority(author) < state.seniority(target), "not-authorized")
    rule = state.join_rule
    if payload.new_rule is not None:
        _require(not state.locked, "room-locked")
        rule = payload.new_rule
    x_keys = {key: value for key, value in state.x_keys.items() if key != target}
    return replace(
        state,
        admins=tuple(a for a in state.admins if a != target),
        members=state.members - {target},
        x_keys=x_keys,
        removed=state.removed | {target},
        join_rule=rule,
        pending_kick=event.id,
    )


def _rekey(state: RoomState, payload: Rekey) -> RoomState:
    _require(payload.counter == state.epoch + 1, "wrong-epoch")
    _require(state.pending_kick is not None and payload.kick_id == state.pending_kick, "no-kick")
    recipients = [entry.recipient for entry in payload.entries]
    _require(len(recipients) <= MAX_MEMBERS, MALFORMED)
    _require(len(set(recipients)) == len(recipients), MALFORMED)
    _require(not set(recipients) & state.removed, "rekey-to-removed")
    _require(set(recipients) <= state.members, "not-a-member")
    return replace(state, epoch=payload.counter, epoch_confirm=payload.confirm, pending_kick=None)
