"""Rooms, actors and events built from fixed names, for governance tests and vectors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from atopos_client.keys import MemberKeys, derive_link_keys
from atopos_client.tickets import sign_redeem, ticket_key
from atopos_protocol.binding import Binding, sign_link
from atopos_protocol.genesis import Genesis, GenesisBody
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.payloads import (
    Admit,
    Bind,
    Empty,
    Invite,
    Kick,
    Redeem,
    RevokeInvite,
    SetJoinRule,
    Target,
)
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.routing_modes import RoutingMode
from atopos_protocol.signatures import SigningKey

ORIGIN = "https://chat.example.org"
EXPIRES_AT = 1_893_456_000


def fixed(name: str, size: int = 32) -> bytes:
    return hashlib.blake2b(name.encode(), digest_size=size).digest()


@dataclass(frozen=True)
class Actor:
    """A member key pair with a name for test output."""

    name: str
    keys: MemberKeys

    @classmethod
    def named(cls, name: str) -> Actor:
        return cls(name, MemberKeys(fixed(f"{name}/ed"), fixed(f"{name}/x")))

    @property
    def pk(self) -> bytes:
        return self.keys.ed_pk

    @property
    def x_pk(self) -> bytes:
        return self.keys.x_pk

    @property
    def signer(self) -> SigningKey:
        return self.keys.signing_key


@dataclass(frozen=True)
class Room:
    """A genesis and the link keys behind it."""

    genesis: Genesis
    owner: Actor
    tag: str
    auth: SigningKey  # the link's auth key: it vouches for member bindings

    @property
    def room_id(self) -> bytes:
        return self.genesis.body.room_id

    @property
    def root(self) -> bytes:
        return self.genesis.event_id


def make_room(tag: str = "gov", rule: JoinRule = JoinRule.OPEN, owner: str = "owner") -> Room:
    actor = Actor.named(owner)
    keys = derive_link_keys(fixed(f"{tag}/link"))
    body = GenesisBody(
        room_id=keys.room_id,
        origin=ORIGIN,
        auth_pk=keys.auth_pk,
        owner_ed_pk=actor.pk,
        owner_x_pk=actor.x_pk,
        join_rule=rule,
        routing_mode=RoutingMode.DIRECT,
        expires_at=EXPIRES_AT,
        vcommit=keys.vcommit(fixed(f"{tag}/shard")),
    )
    return Room(Genesis.sign(body, actor.signer, keys.auth_key()), actor, tag, keys.auth_key())


class Log:
    """Writes events on top of a parent, like an author who saw that head."""

    def __init__(self, room: Room) -> None:
        self.room = room

    def event(self, author: Actor, kind: EventKind, parent: bytes, payload: bytes) -> Event:
        return Event.create(kind, self.room.room_id, parent, author.signer, payload)

    def binding(self, member: Actor) -> Binding:
        """The binding a member's JOIN (and so its knock) carries."""
        return Binding.make(member.signer, self.room.auth, self.room.room_id, member.x_pk)

    def admit(
        self, author: Actor, member: Actor, parent: bytes, binding: Binding | None = None
    ) -> Event:
        payload = Admit(member.pk, binding or self.binding(member)).encode()
        return self.event(author, EventKind.ADMIT, parent, payload)

    def bind(
        self,
        member: Actor,
        parent: bytes,
        auth: SigningKey | None = None,
        x_pk: bytes | None = None,
    ) -> Event:
        """A newcomer in an open room lists itself (``auth`` may be another room's key)."""
        x_pk = x_pk or member.x_pk
        link_sig = sign_link(auth or self.room.auth, self.room.room_id, member.pk, x_pk)
        return self.event(member, EventKind.BIND, parent, Bind(x_pk, link_sig).encode())

    def promote(self, author: Actor, member: Actor, parent: bytes) -> Event:
        return self.event(author, EventKind.PROMOTE, parent, Target(member.pk).encode())

    def demote(self, author: Actor, member: Actor, parent: bytes) -> Event:
        return self.event(author, EventKind.DEMOTE, parent, Target(member.pk).encode())

    def kick(
        self, author: Actor, member: Actor, parent: bytes, new_rule: JoinRule | None = None
    ) -> Event:
        return self.event(author, EventKind.KICK, parent, Kick(member.pk, new_rule).encode())

    def invite(self, author: Actor, ticket: bytes, parent: bytes, uses: int = 1,
               expires_at_ms: int = 2_000_000_000_000) -> Event:  # fmt: skip
        payload = Invite(ticket_key(ticket).public_key, uses, expires_at_ms).encode()
        return self.event(author, EventKind.INVITE, parent, payload)

    def revoke(self, author: Actor, ticket: bytes, parent: bytes) -> Event:
        payload = RevokeInvite(ticket_key(ticket).public_key).encode()
        return self.event(author, EventKind.REVOKE_INVITE, parent, payload)

    def redeem(
        self, member: Actor, ticket: bytes, parent: bytes, time_ms: int = 1_800_000_000_000
    ) -> Event:
        signature = sign_redeem(ticket, self.room.room_id, member.pk, member.x_pk, time_ms)
        payload = Redeem(ticket_key(ticket).public_key, member.x_pk, time_ms, signature)
        return self.event(member, EventKind.REDEEM, parent, payload.encode())

    def set_rule(self, author: Actor, rule: JoinRule, parent: bytes, cap: int = 0) -> Event:
        return self.event(author, EventKind.SET_JOIN_RULE, parent, SetJoinRule(rule, cap).encode())

    def lock(self, author: Actor, parent: bytes) -> Event:
        return self.event(author, EventKind.LOCK, parent, Empty().encode())

    def end(self, author: Actor, parent: bytes) -> Event:
        return self.event(author, EventKind.END_ROOM, parent, Empty().encode())


def admitted(log: Log, *members: Actor) -> list:
    """Steps in which the owner lets each member in (only listed keys can be promoted,
    kicked or sent new keys)."""
    owner = log.room.owner
    return [lambda parent, member=member: log.admit(owner, member, parent) for member in members]


def chain(log: Log, steps: list) -> list[Event]:
    """Events built one on top of the other: each step is a function of the parent id."""
    events, parent = [], log.room.root
    for step in steps:
        event = step(parent)
        events.append(event)
        parent = event.id
    return events
