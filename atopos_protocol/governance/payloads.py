"""The payload of each event kind, as typed values (PROTOCOL §8.2)."""

from __future__ import annotations

from dataclasses import dataclass

from atopos_protocol.binding import Binding
from atopos_protocol.codec import Reader, u8, u16, u32, u64
from atopos_protocol.errors import ProtocolError
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import MALFORMED, Event, EventKind
from atopos_protocol.join_rules import JoinRule

RULE_CODES = {JoinRule.OPEN: 0, JoinRule.APPROVAL: 1, JoinRule.INVITE: 2}
RULES_BY_CODE = {code: rule for rule, code in RULE_CODES.items()}
MAX_TICKET_USES = 1000


@dataclass(frozen=True, slots=True)
class Admit:
    """An admin lets in the member whose binding its knock carried."""

    member: bytes
    binding: Binding

    @property
    def x_pk(self) -> bytes:
        return self.binding.x_pk

    def encode(self) -> bytes:
        return self.member + self.binding.encode()


@dataclass(frozen=True, slots=True)
class Bind:
    """A newcomer in an open room lists itself: its X25519 key, vouched for by the link."""

    x_pk: bytes
    link_sig: bytes

    def encode(self) -> bytes:
        return self.x_pk + self.link_sig


@dataclass(frozen=True, slots=True)
class Invite:
    ticket_pk: bytes
    uses: int
    expires_at_ms: int

    def encode(self) -> bytes:
        return self.ticket_pk + u16(self.uses) + u64(self.expires_at_ms)


@dataclass(frozen=True, slots=True)
class RevokeInvite:
    ticket_pk: bytes

    def encode(self) -> bytes:
        return self.ticket_pk


@dataclass(frozen=True, slots=True)
class Redeem:
    ticket_pk: bytes
    x_pk: bytes
    time_ms: int
    ticket_signature: bytes

    def encode(self) -> bytes:
        return self.ticket_pk + self.x_pk + u64(self.time_ms) + self.ticket_signature


@dataclass(frozen=True, slots=True)
class Kick:
    target: bytes
    new_rule: JoinRule | None  # switch an open room, so the kicked cannot walk back in

    def encode(self) -> bytes:
        return self.target + u8(0 if self.new_rule is None else RULE_CODES[self.new_rule])


@dataclass(frozen=True, slots=True)
class Target:
    """PROMOTE and DEMOTE name a member."""

    target: bytes

    def encode(self) -> bytes:
        return self.target


@dataclass(frozen=True, slots=True)
class SetJoinRule:
    rule: JoinRule
    cap: int  # 0: no cap beyond the tenant's

    def encode(self) -> bytes:
        return u8(RULE_CODES[self.rule]) + u16(self.cap)


@dataclass(frozen=True, slots=True)
class Empty:
    """LOCK and END_ROOM carry nothing."""

    def encode(self) -> bytes:
        return b""


@dataclass(frozen=True, slots=True)
class RekeyEntry:
    recipient: bytes
    nonce: bytes
    ciphertext: bytes  # 32-byte secret + 16-byte tag

    def encode(self) -> bytes:
        return self.recipient + self.nonce + self.ciphertext


@dataclass(frozen=True, slots=True)
class Rekey:
    kick_id: bytes
    counter: int
    confirm: bytes
    ephemeral_pk: bytes
    admin_x_pk: bytes
    entries: tuple[RekeyEntry, ...]

    def encode(self) -> bytes:
        return b"".join(
            (
                self.kick_id,
                u32(self.counter),
                self.confirm,
                self.ephemeral_pk,
                self.admin_x_pk,
                u16(len(self.entries)),
                *(entry.encode() for entry in self.entries),
            )
        )


@dataclass(frozen=True, slots=True)
class KeyShare:
    recipient: bytes
    recipient_x_pk: bytes
    counter: int
    ephemeral_pk: bytes
    sharer_x_pk: bytes
    nonce: bytes
    ciphertext: bytes

    def encode(self) -> bytes:
        return b"".join(
            (
                self.recipient,
                self.recipient_x_pk,
                u32(self.counter),
                self.ephemeral_pk,
                self.sharer_x_pk,
                self.nonce,
                self.ciphertext,
            )
        )


Payload = (
    Admit
    | Invite
    | RevokeInvite
    | Redeem
    | Kick
    | Target
    | SetJoinRule
    | Empty
    | Rekey
    | KeyShare
    | Bind
)


def _rule(code: int, allow_none: bool) -> JoinRule | None:
    if allow_none and code == 0:
        return None
    if code not in RULES_BY_CODE:
        raise GovernanceError(MALFORMED, "join rule")
    return RULES_BY_CODE[code]


def parse_payload(event: Event) -> Payload:
    """The typed payload of ``event``; GovernanceError event-malformed if it does not parse."""
    reader = Reader(event.payload, MALFORMED)
    try:
        payload = _parse(event.kind, reader)
        reader.end()
    except ProtocolError as error:
        raise GovernanceError(MALFORMED, str(error)) from None
    return payload


def _parse(kind: EventKind, reader: Reader) -> Payload:
    if kind is EventKind.ADMIT:
        return Admit(reader.take(32), Binding.read(reader))
    if kind is EventKind.BIND:
        return Bind(reader.take(32), reader.take(64))
    if kind is EventKind.INVITE:
        return Invite(reader.take(32), reader.u16(), reader.u64())
    if kind is EventKind.REVOKE_INVITE:
        return RevokeInvite(reader.take(32))
    if kind is EventKind.REDEEM:
        return Redeem(reader.take(32), reader.take(32), reader.u64(), reader.take(64))
    if kind is EventKind.KICK:
        target = reader.take(32)
        return Kick(target, _rule(reader.u8(), allow_none=True))
    if kind in (EventKind.PROMOTE, EventKind.DEMOTE):
        return Target(reader.take(32))
    if kind is EventKind.SET_JOIN_RULE:
        rule = _rule(reader.u8(), allow_none=False)
        assert rule is not None  # noqa: S101 -- allow_none=False never gives None  # nosec B101
        return SetJoinRule(rule, reader.u16())
    if kind in (EventKind.LOCK, EventKind.END_ROOM):
        return Empty()
    if kind is EventKind.REKEY:
        head = (reader.take(32), reader.u32(), reader.take(32), reader.take(32), reader.take(32))
        entries = tuple(
            RekeyEntry(reader.take(32), reader.take(24), reader.take(48))
            for _ in range(reader.u16())
        )
        return Rekey(*head, entries)
    return KeyShare(
        reader.take(32), reader.take(32), reader.u32(), reader.take(32), reader.take(32),
        reader.take(24), reader.take(48),
    )  # fmt: skip
