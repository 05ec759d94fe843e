"""The genesis event that anchors a room (PROTOCOL §3).

Parsing and signature checks are shared by server and clients; the checks
against a link (``verify_for_link``) need the link shard and are client-only.
"""

from __future__ import annotations

from dataclasses import dataclass

from atopos_protocol import VERSION
from atopos_protocol.codec import Reader, u8, u32, u64
from atopos_protocol.errors import ProtocolError
from atopos_protocol.extra_lock import LANES, LockParams
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.labels import Label, unkeyed_hash
from atopos_protocol.routing_modes import RoutingMode
from atopos_protocol.signatures import Prefix, SigningKey, is_valid_point, verify_prefixed

MAX_GENESIS_SIZE = 512
GENESIS_HASH_SIZE = 16
JOIN_RULE_CODES = {JoinRule.OPEN: 0, JoinRule.APPROVAL: 1, JoinRule.INVITE: 2}
ROUTING_MODE_CODES = {RoutingMode.DIRECT: 0, RoutingMode.TOR: 1, RoutingMode.MIX: 2}
_RULES_BY_CODE = {code: rule for rule, code in JOIN_RULE_CODES.items()}
_MODES_BY_CODE = {code: mode for mode, code in ROUTING_MODE_CODES.items()}
_MALFORMED = "genesis-malformed"


def _origin_bytes(origin: str) -> bytes:
    raw = origin.encode("ascii")
    if not 1 <= len(raw) <= 255 or not raw.isascii() or not all(32 < c < 127 for c in raw):
        raise ValueError("an origin is 1 to 255 printable ASCII characters")
    return raw


@dataclass(frozen=True, slots=True)
class ExtraLock:
    """A room locked with a passphrase: how to derive P, and the key P leads to."""

    params: LockParams
    lock_pk: bytes  # the public key of KDF(L, atopos1-lock, P): the relay checks UNLOCK with it


@dataclass(frozen=True, slots=True)
class GenesisBody:
    """Everything the genesis commits to, before signatures."""

    room_id: bytes
    origin: str
    auth_pk: bytes
    owner_ed_pk: bytes
    owner_x_pk: bytes
    join_rule: JoinRule
    routing_mode: RoutingMode
    expires_at: int
    vcommit: bytes
    lock: ExtraLock | None = None

    def encode(self) -> bytes:
        """The canonical body bytes that both signatures cover."""
        origin = _origin_bytes(self.origin)
        return b"".join(
            (
                u8(VERSION),
                self.room_id,
                u8(len(origin)),
                origin,
                self.auth_pk,
                self.owner_ed_pk,
                self.owner_x_pk,
                u8(JOIN_RULE_CODES[self.join_rule]),
                u8(ROUTING_MODE_CODES[self.routing_mode]),
                u64(self.expires_at),
                self._lock_bytes(),
                self.vcommit,
            )
        )

    def _lock_bytes(self) -> bytes:
        """extra_lock u8 ‖ argon_m_kib u32 ‖ argon_t u32 ‖ argon_p u8 [‖ lock_pk when on]."""
        if self.lock is None:
            return u8(0) + u32(0) + u32(0) + u8(0)
        params = self.lock.params
        return u8(1) + u32(params.memory_kib) + u32(params.passes) + u8(LANES) + self.lock.lock_pk


@dataclass(frozen=True, slots=True)
class Genesis:
    """A signed genesis and its exact bytes."""

    body: GenesisBody
    body_bytes: bytes
    owner_sig: bytes
    auth_sig: bytes

    @property
    def raw(self) -> bytes:
        """The genesis as stored, sent and hashed."""
        return self.body_bytes + self.owner_sig + self.auth_sig

    @property
    def genesis_hash(self) -> bytes:
        """``g``: the 16-byte hash carried in the link."""
        return unkeyed_hash(Label.GENESIS, self.raw, GENESIS_HASH_SIZE)

    @property
    def event_id(self) -> bytes:
        """The genesis as event 0 of the governance log."""
        return unkeyed_hash(Label.EVENT, self.raw)

    @classmethod
    def sign(cls, body: GenesisBody, owner: SigningKey, auth: SigningKey) -> Genesis:
        """Sign ``body`` with the owner key and the auth key."""
        if owner.public_key != body.owner_ed_pk or auth.public_key != body.auth_pk:
            raise ValueError("the signing keys must be the ones the body names")
        body_bytes = body.encode()
        return cls(
            body=body,
            body_bytes=body_bytes,
            owner_sig=owner.sign(Prefix.GENESIS, body_bytes),
            auth_sig=auth.sign(Prefix.GENESIS, body_bytes),
        )

    @classmethod
    def decode(cls, raw: bytes) -> Genesis:
        """Parse exactly; anything off raises ProtocolError genesis-malformed."""
        if len(raw) > MAX_GENESIS_SIZE:
            raise ProtocolError(_MALFORMED, "too long")
        reader = Reader(raw, _MALFORMED)
        if reader.u8() != VERSION:
            raise ProtocolError(_MALFORMED, "version")
        room_id = reader.take(16)
        origin_raw = reader.take(reader.u8())
        try:
            origin = origin_raw.decode("ascii")
            _origin_bytes(origin)
        except (UnicodeDecodeError, ValueError):
            raise ProtocolError(_MALFORMED, "origin") from None
        auth_pk, owner_ed_pk, owner_x_pk = reader.take(32), reader.take(32), reader.take(32)
        rule_code, mode_code = reader.u8(), reader.u8()
        expires_at = reader.u64()
        lock = _read_lock(reader)
        vcommit = reader.take(32)
        body_end = reader.offset
        owner_sig, auth_sig = reader.take(64), reader.take(64)
        reader.end()
        if rule_code not in _RULES_BY_CODE or mode_code not in _MODES_BY_CODE:
            raise ProtocolError(_MALFORMED, "join rule or routing mode")
        body = GenesisBody(
            room_id=room_id,
            origin=origin,
            auth_pk=auth_pk,
            owner_ed_pk=owner_ed_pk,
            owner_x_pk=owner_x_pk,
            join_rule=_RULES_BY_CODE[rule_code],
            routing_mode=_MODES_BY_CODE[mode_code],
            expires_at=expires_at,
            vcommit=vcommit,
            lock=lock,
        )
        return cls(body=body, body_bytes=raw[:body_end], owner_sig=owner_sig, auth_sig=auth_sig)

    def signatures_valid(self) -> bool:
        """Both the owner's and the auth key's signatures verify strictly."""
        return verify_prefixed(
            self.body.owner_ed_pk, Prefix.GENESIS, self.body_bytes, self.owner_sig
        ) and verify_prefixed(self.body.auth_pk, Prefix.GENESIS, self.body_bytes, self.auth_sig)


def _read_lock(reader: Reader) -> ExtraLock | None:
    """Off: four zero fields. On: bounded parameters, one lane and a valid lock key."""
    flag, memory_kib, passes, lanes = reader.u8(), reader.u32(), reader.u32(), reader.u8()
    if flag == 0 and (memory_kib, passes, lanes) == (0, 0, 0):
        return None
    if flag != 1 or lanes != LANES:
        raise ProtocolError(_MALFORMED, "extra lock parameters")
    try:
        params = LockParams(memory_kib, passes)
    except ValueError:
        raise ProtocolError(_MALFORMED, "extra lock parameters") from None
    lock_pk = reader.take(32)
    if not is_valid_point(lock_pk):
        raise ProtocolError(_MALFORMED, "lock key")
    return ExtraLock(params, lock_pk)
