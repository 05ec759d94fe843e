"""Write the shared protocol test vectors from fixed inputs.

    python -m tests.vectors.generate [OUTPUT_DIR]

Every input is derived from a fixed name, Ed25519 signatures are
deterministic and envelope nonces are fixed, so the files come out byte for
byte the same on every run (a test checks this). Python and the browser
client must both pass every file.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nacl.bindings as sodium
from nacl.exceptions import BadSignatureError

from atopos_client.envelope import AAD_PREFIX, Plaintext, seal
from atopos_client.extra_lock import lock_key, passphrase_bytes, passphrase_shard
from atopos_client.keys import (
    EpochKeys,
    LinkKeys,
    MemberKeys,
    derive_link_keys,
    first_epoch,
    room_secret,
)
from atopos_client.labels import ClientLabel
from atopos_client.link import Link
from atopos_client.messages import ChatMessage, Hello, InnerKind, Synced, SyncEntry, encode_sync
from atopos_client.refusals import ACTIONS, ADMISSIONS
from atopos_client.verification import verify_genesis_for_link
from atopos_client.words import WORDS
from atopos_protocol import VERSION
from atopos_protocol.binding import Binding
from atopos_protocol.codec import b64u_encode, u8, u32, u64
from atopos_protocol.errors import ProtocolError
from atopos_protocol.extra_lock import (
    MAX_MEMORY_KIB,
    MAX_PASSES,
    MAX_WORK_KIB,
    MIN_MEMORY_KIB,
    MIN_PASSES,
    LockParams,
    within_bounds,
)
from atopos_protocol.frames import (
    ChallengeFrame,
    CreateFrame,
    DeclineFrame,
    JoinFrame,
    KnockFrame,
    LeftFrame,
    LockRequiredFrame,
    PeekFrame,
    UnlockFrame,
    WelcomeFrame,
    available_frame,
    created_frame,
)
from atopos_protocol.genesis import ExtraLock, Genesis, GenesisBody
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.joinproof import (
    join_proof_body,
    peek_proof_body,
    sign_join,
    sign_peek,
    sign_unlock,
)
from atopos_protocol.labels import Label, kdf, unkeyed_hash
from atopos_protocol.routing_modes import RoutingMode
from atopos_protocol.signatures import Prefix, SigningKey, strict_verify
from tests.vectors import governance_vectors

OUTPUT = Path(__file__).resolve().parent
ORIGIN = "https://chat.example.org"
EXPIRES_AT = 1_893_456_000  # 2030-01-01T00:00:00Z
NOW_SECONDS = 1_800_000_000
NOW_MS = NOW_SECONDS * 1000
TICKET_SECRET = hashlib.blake2b(b"vectors/ticket", digest_size=32).digest()
ORDER_8_POINT = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
IDENTITY = bytes.fromhex("01" + "00" * 31)
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493


def fixed(name: str, size: int = 32) -> bytes:
    """Reproducible bytes named by ``name``."""
    return hashlib.blake2b(name.encode(), digest_size=size).digest()


def hx(data: bytes) -> str:
    return data.hex()


# --- one room, end to end ------------------------------------------------------


class Room:
    """A room built from fixed inputs, with everything derived along the way."""

    def __init__(
        self,
        tag: str,
        mode: RoutingMode,
        rule: JoinRule,
        lock: tuple[str, LockParams] | None = None,
    ) -> None:
        self.tag, self.mode, self.rule = tag, mode, rule
        self.link_shard = fixed(f"{tag}/link-shard")
        self.server_shard = fixed(f"{tag}/server-shard")
        self.owner = MemberKeys(fixed(f"{tag}/owner-ed"), fixed(f"{tag}/owner-x"))
        self.member = MemberKeys(fixed(f"{tag}/member-ed"), fixed(f"{tag}/member-x"))
        self.challenge = fixed(f"{tag}/challenge")
        self.keys: LinkKeys = derive_link_keys(self.link_shard)
        self.passphrase_shard = b""
        extra_lock = None
        if lock is not None:
            self.passphrase_shard = passphrase_shard(lock[0], self.keys.pwsalt, lock[1])
            self.lock_key = lock_key(self.link_shard, self.passphrase_shard)
            extra_lock = ExtraLock(lock[1], self.lock_key.public_key)
        self.body = GenesisBody(
            room_id=self.keys.room_id,
            origin=ORIGIN,
            auth_pk=self.keys.auth_pk,
            owner_ed_pk=self.owner.ed_pk,
            owner_x_pk=self.owner.x_pk,
            join_rule=rule,
            routing_mode=mode,
            expires_at=EXPIRES_AT,
            vcommit=self.keys.vcommit(self.server_shard),
            lock=extra_lock,
        )
        self.genesis = Genesis.sign(self.body, self.owner.signing_key, self.keys.auth_key())
        self.secret = room_secret(
            self.link_shard, self.server_shard, self.genesis.genesis_hash, self.passphrase_shard
        )
        self.epoch: EpochKeys = first_epoch(self.secret)

    @property
    def link(self) -> Link:
        return Link(self.link_shard, self.genesis.genesis_hash)


def derivation_case(room: Room) -> dict[str, Any]:
    keys, owner, member, epoch = room.keys, room.owner, room.member, room.epoch
    join_signature = sign_join(
        keys.auth_key(), ORIGIN, keys.room_id, room.challenge, member.ed_pk, member.x_pk
    )
    owner_join = sign_join(
        keys.auth_key(), ORIGIN, keys.room_id, room.challenge, owner.ed_pk, owner.x_pk
    )
    binding = Binding.make(member.signing_key, keys.auth_key(), keys.room_id, member.x_pk)
    peek_signature = sign_peek(keys.auth_key(), ORIGIN, keys.room_id, room.challenge)
    return {
        "name": room.tag,
        "inputs": {
            "link_shard": hx(room.link_shard),
            "server_shard": hx(room.server_shard),
            "passphrase_shard": "",
            "owner_ed_seed": hx(owner.ed_seed),
            "owner_x_secret": hx(owner.x_secret),
            "member_ed_seed": hx(member.ed_seed),
            "member_x_secret": hx(member.x_secret),
            "challenge": hx(room.challenge),
            "server_time_ms": NOW_MS,
            "origin": ORIGIN,
            "expires_at": EXPIRES_AT,
            "join_rule": room.rule.value,
            "routing_mode": room.mode.value,
        },
        "outputs": {
            "room_id": hx(keys.room_id),
            "auth_seed": hx(keys.auth_seed),
            "auth_pk": hx(keys.auth_pk),
            "pwsalt": hx(keys.pwsalt),
            "vcommit": hx(room.body.vcommit),
            "owner_ed_pk": hx(owner.ed_pk),
            "owner_x_pk": hx(owner.x_pk),
            "member_ed_pk": hx(member.ed_pk),
            "member_x_pk": hx(member.x_pk),
            "genesis_body": hx(room.genesis.body_bytes),
            "genesis": hx(room.genesis.raw),
            "genesis_hash": hx(room.genesis.genesis_hash),
            "event_id": hx(room.genesis.event_id),
            "link_fragment": room.link.fragment(),
            "link_url": room.link.url(ORIGIN),
            "room_secret": hx(room.secret),
            "epoch0_secret": hx(epoch.secret),
            "msg_key": hx(epoch.msg_key),
            "confirm": hx(epoch.confirm),
            "bind_key": hx(epoch.bind_key),
            "kcv": hx(epoch.kcv),
            "epoch_id": hx(epoch.epoch_id),
            "owner_bind_tag": hx(epoch.bind_tag(keys.room_id, owner.ed_pk, owner.x_pk)),
            "member_bind_tag": hx(epoch.bind_tag(keys.room_id, member.ed_pk, member.x_pk)),
            "member_binding": {
                "message": hx(keys.room_id + member.ed_pk + member.x_pk),
                "member_sig": hx(binding.member_sig),
                "link_sig": hx(binding.link_sig),
            },
            "join_proof_body": hx(
                join_proof_body(ORIGIN, keys.room_id, room.challenge, member.ed_pk, member.x_pk)
            ),
            "join_signature": hx(join_signature),
            "peek_proof_body": hx(peek_proof_body(ORIGIN, keys.room_id, room.challenge)),
            "peek_signature": hx(peek_signature),
            "frames": {
                "challenge": hx(ChallengeFrame(room.challenge, NOW_MS).encode()),
                "join": hx(JoinFrame(keys.room_id, member.ed_pk, binding, join_signature).encode()),
                "create": hx(CreateFrame(room.genesis.raw, room.server_shard, owner_join).encode()),
                "knock": hx(KnockFrame(member.ed_pk, binding).encode()),
                "decline": hx(DeclineFrame(member.ed_pk).encode()),
                "welcome": hx(WelcomeFrame(room.server_shard, room.genesis.raw).encode()),
                "created": hx(created_frame()),
                "peek": hx(PeekFrame(keys.room_id, peek_signature).encode()),
                "available": hx(available_frame()),
                "left": hx(LeftFrame(member.ed_pk).encode()),
            },
        },
    }


# --- envelopes ---------------------------------------------------------------


def plaintext(room: Room, kind: InnerKind, body: bytes, seq: int, time_ms: int) -> Plaintext:
    return Plaintext(kind, room.member.ed_pk, seq, room.genesis.event_id, time_ms, body)


def plaintext_json(value: Plaintext) -> dict[str, Any]:
    return {
        "inner_kind": int(value.inner_kind),
        "sender": hx(value.sender),
        "seq": value.seq,
        "head": hx(value.head),
        "time_ms": value.time_ms,
        "body": hx(value.body),
    }


def seal_raw(room: Room, padded: bytes, nonce: bytes, epoch_id: bytes | None = None) -> bytes:
    """An envelope around arbitrary padded plaintext, to build malformed insides."""
    header = u8(VERSION) + u8(0x10) + (epoch_id or room.epoch.epoch_id) + nonce
    aad = AAD_PREFIX + room.keys.room_id + header
    return header + sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        padded, aad, nonce, room.epoch.msg_key
    )


def text_body(room: Room, text: str, seq: int, time_ms: int) -> bytes:
    """A first sending of ``text``: its id is its envelope's seq."""
    return ChatMessage(seq, 1, 0, time_ms, text).encode(room.mode)


def envelope_vectors(direct: Room, mix: Room) -> dict[str, Any]:
    hello = Hello(
        direct.member.x_pk,
        direct.epoch.bind_tag(direct.keys.room_id, direct.member.ed_pk, direct.member.x_pk),
        "Bob 🦊",
        wants_reply=True,
        last_id=NOW_MS - 5000,
        last_number=3,
    ).encode()
    other_sender = fixed("sync/other-member")
    sync = encode_sync(
        [SyncEntry(other_sender, NOW_MS - 9000, 12), SyncEntry(fixed("sync/third"), 0, 0)]
    )
    resent = ChatMessage(NOW_MS - 90_000, 7, NOW_MS - 95_000, NOW_MS - 90_000, "sent again")
    valid = []
    texts: list[tuple[Room, str, str]] = [
        (direct, "text-256", "hello, room"),
        (direct, "text-1024", "é" * 300),
        (direct, "text-4096", "x" * 2000),
        (direct, "text-16384-max", "y" * 8000),
        (mix, "mix-text-1024", "z" * 10),
        (mix, "mix-text-1024-max", "m" * 911),
    ]
    bodies: list[tuple[Room, str, InnerKind, bytes | str]] = [
        (direct, "hello-256", InnerKind.HELLO, hello),
        (direct, "bye-256", InnerKind.BYE, b""),
        *((room, name, InnerKind.TEXT, text) for room, name, text in texts),
        (direct, "resent-text-256", InnerKind.TEXT, resent.encode(direct.mode)),
        (direct, "sync-256", InnerKind.SYNC, sync),
        (
            direct,
            "synced-256",
            InnerKind.SYNCED,
            Synced(NOW_MS - 9000, NOW_MS - 2000, 14, (other_sender,)).encode(),
        ),
    ]
    for index, (room, name, kind, content) in enumerate(bodies, start=1):
        seq, time_ms = NOW_MS - 1000 + index, NOW_MS - 1000
        body = text_body(room, content, seq, time_ms) if isinstance(content, str) else content
        value = plaintext(room, kind, body, seq, time_ms)
        nonce = fixed(f"nonce/{name}", 24)
        frame = seal(room.epoch, room.keys.room_id, value, room.mode, nonce)
        valid.append(
            {
                "name": name,
                "room": room.tag,
                "nonce": hx(nonce),
                "plaintext": plaintext_json(value),
                "frame": hx(frame),
            }
        )

    base_time = NOW_MS - 5000
    replayed = text_body(direct, "replay me", base_time + 7, base_time)
    base_value = plaintext(direct, InnerKind.TEXT, replayed, base_time + 7, base_time)
    base = seal(direct.epoch, direct.keys.room_id, base_value, direct.mode, fixed("n/base", 24))

    def with_seq(seq: int, name: str) -> bytes:
        # A bye: a text's own id rules would refuse these numbers first (bad-message-id).
        value = plaintext(direct, InnerKind.BYE, b"", seq, base_time)
        return seal(direct.epoch, direct.keys.room_id, value, direct.mode, fixed(name, 24))

    other_epoch = EpochKeys.from_secret(fixed("another epoch"), 0)

    def inner(kind: int, body_len: int, body: bytes, pad_byte: int = 0) -> bytes:
        header = (
            u8(kind)
            + direct.member.ed_pk
            + u64(NOW_MS)
            + direct.genesis.event_id
            + u64(NOW_MS)
            + u32(body_len)
        )
        raw = header + body
        return raw + bytes([pad_byte]) + bytes(256 - len(raw) - 1)

    def text_inner(text: bytes, number: int = 1, prev: int = 0, message_id: int = NOW_MS,
                   pad_byte: int = 0) -> bytes:  # fmt: skip
        """A text plaintext at seq = time = NOW_MS with any message header."""
        body = u64(message_id) + u32(number) + u64(prev) + u64(NOW_MS) + text
        return inner(2, len(body), body, pad_byte)

    late_hello = Hello(
        direct.member.x_pk, bytes(32), "Bob", False, last_id=NOW_MS, last_number=1
    ).encode()

    flipped = bytearray(base)
    flipped[60] ^= 0x01
    invalid_cases: list[tuple[str, str, bytes, Room, dict[str, Any]]] = [
        ("truncated", "truncated", base[:53], direct, {}),
        ("wrong-version", "bad-version", b"\x01" + base[1:], direct, {}),
        ("wrong-kind", "bad-kind", base[:1] + b"\x11" + base[2:], direct, {}),
        ("off-bucket-size", "bad-size", base + b"\0", direct, {}),
        ("small-bucket-in-mix-mode", "bad-size", base, mix, {}),
        (
            "wrong-epoch",
            "unknown-epoch",
            base[:2] + other_epoch.epoch_id + base[14:],
            direct,
            {},
        ),
        ("bad-tag", "bad-tag", bytes(flipped), direct, {}),
        (
            "other-room",
            "bad-tag",
            seal(direct.epoch, mix.keys.room_id, base_value, direct.mode, fixed("n/x", 24)),
            direct,
            {"note": "the AAD names another room id"},
        ),
        (
            "unknown-inner-kind",
            "bad-inner-kind",
            seal_raw(direct, inner(9, 0, b""), fixed("n/k", 24)),
            direct,
            {},
        ),
        (
            "body-overruns-bucket",
            "bad-length",
            seal_raw(direct, inner(2, 500, b"a"), fixed("n/l", 24)),
            direct,
            {},
        ),
        (
            "text-not-utf8",
            "bad-length",
            seal_raw(direct, text_inner(b"\xff\xfe"), fixed("n/u", 24)),
            direct,
            {},
        ),
        (
            "nonzero-padding",
            "bad-padding",
            seal_raw(direct, text_inner(b"a", pad_byte=1), fixed("n/p", 24)),
            direct,
            {},
        ),
        (
            "message-sent-after-its-envelope",
            "bad-message-id",
            seal_raw(direct, text_inner(b"a", message_id=NOW_MS + 1), fixed("n/i1", 24)),
            direct,
            {"note": "a message's id is the seq of its first envelope, never above this one's"},
        ),
        (
            "message-number-without-predecessor",
            "bad-message-id",
            seal_raw(direct, text_inner(b"a", number=2), fixed("n/i2", 24)),
            direct,
            {},
        ),
        (
            "message-predecessor-after-it",
            "bad-message-id",
            seal_raw(direct, text_inner(b"a", number=2, prev=NOW_MS), fixed("n/i3", 24)),
            direct,
            {},
        ),
        (
            "synced-after-its-last-message",
            "bad-message-id",
            seal_raw(
                direct,
                inner(7, 52, Synced(NOW_MS - 10, NOW_MS - 20, 3, (bytes(32),)).encode()),
                fixed("n/i5", 24),
            ),
            direct,
            {},
        ),
        (
            "hello-naming-a-later-message",
            "bad-message-id",
            seal_raw(direct, inner(1, len(late_hello), late_hello), fixed("n/i4", 24)),
            direct,
            {},
        ),
        (
            "replayed-sequence",
            "replay",
            base,
            direct,
            {"seen": [[hx(direct.member.ed_pk), base_time + 7, base_time]]},
        ),
        ("sequence-below-time", "bad-seq", with_seq(base_time - 1, "n/s1"), direct, {}),
        (
            "sequence-far-ahead-of-time",
            "bad-seq",
            with_seq(base_time + 60_001, "n/s2"),
            direct,
            {"note": "one forged frame with a huge seq must not mute its sender"},
        ),
        ("stale", "stale", base, direct, {"now_ms": NOW_MS + 200_000}),
        (
            "before-admission",
            "before-admission",
            base,
            direct,
            {"admitted_at_ms": NOW_MS + 60_000, "now_ms": NOW_MS + 60_000},
        ),
        ("future", "future", base, direct, {"now_ms": NOW_MS - 200_000}),
    ]
    invalid = []
    for name, error, frame, room, context in invalid_cases:
        invalid.append(
            {
                "name": name,
                "room": room.tag,
                "frame": hx(frame),
                "error": error,
                "now_ms": context.get("now_ms", NOW_MS),
                "admitted_at_ms": context.get("admitted_at_ms", NOW_MS - 60_000),
                "seen": context.get("seen", []),
            }
        )
    return {
        "description": "Envelopes per bucket and mode; invalid frames with the first error. "
        "A receiver holds the room's epoch 0 and a replay guard with admitted_at_ms that "
        "already accepted the frames in 'seen' ([sender, seq, time_ms], epoch 0); it "
        "checks at now_ms.",
        "valid": valid,
        "invalid": invalid,
    }


# --- genesis checks against a link ----------------------------------------------


def asked_of(room: Room, passphrase: str, params: LockParams) -> tuple[LockParams, bytes]:
    """What a client that answered LOCK_REQUIRED(``params``) with ``passphrase`` holds."""
    shard = passphrase_shard(passphrase, room.keys.pwsalt, params)
    return params, lock_key(room.link_shard, shard).public_key


def genesis_vectors(room: Room) -> dict[str, Any]:
    other = Room("genesis/other", RoutingMode.DIRECT, JoinRule.OPEN)

    def resigned(**changes: Any) -> Genesis:
        fields = {name: getattr(room.body, name) for name in room.body.__slots__}
        fields.update(changes)
        owner = room.owner.signing_key
        auth = room.keys.auth_key() if "auth_pk" not in changes else other.keys.auth_key()
        return Genesis.sign(GenesisBody(**fields), owner, auth)

    wrong_owner_sig = Genesis(
        room.genesis.body,
        room.genesis.body_bytes,
        other.owner.signing_key.sign(Prefix.GENESIS, room.genesis.body_bytes),
        room.genesis.auth_sig,
    )
    cases: list[
        tuple[str, bytes, bytes, bytes | None, str, int]
    ] = [  # unlocked room, no passphrase
        ("valid", room.genesis.raw, room.server_shard, None, ORIGIN, NOW_SECONDS),
        ("relay-swapped-shard", room.genesis.raw, other.server_shard, None, ORIGIN, NOW_SECONDS),
        ("relay-altered-genesis", other.genesis.raw, room.server_shard, None, ORIGIN, NOW_SECONDS),
        (
            "trailing-byte",
            room.genesis.raw + b"\0",
            room.server_shard,
            b"hash-it",
            ORIGIN,
            NOW_SECONDS,
        ),
        (
            "room-id-of-another-link",
            resigned(room_id=other.keys.room_id).raw,
            room.server_shard,
            b"hash-it",
            ORIGIN,
            NOW_SECONDS,
        ),
        (
            "auth-key-of-another-link",
            resigned(auth_pk=other.keys.auth_pk).raw,
            room.server_shard,
            b"hash-it",
            ORIGIN,
            NOW_SECONDS,
        ),
        (
            "owner-signature-by-someone-else",
            wrong_owner_sig.raw,
            room.server_shard,
            b"hash-it",
            ORIGIN,
            NOW_SECONDS,
        ),
        (
            "opened-on-another-site",
            room.genesis.raw,
            room.server_shard,
            None,
            "https://evil.example",
            NOW_SECONDS,
        ),
        ("expired", room.genesis.raw, room.server_shard, None, ORIGIN, EXPIRES_AT),
    ]
    locked = Room("genesis/locked", RoutingMode.DIRECT, JoinRule.OPEN, (PASSPHRASE, LOCK_PARAMS))
    heavy = locked.genesis.body_bytes.replace(
        LOCK_PARAMS.encode(), u32(MAX_MEMORY_KIB) + u32(MAX_PASSES), 1
    )
    weaker = LockParams(LOCK_PARAMS.memory_kib, LOCK_PARAMS.passes - 1)
    # (name, room, genesis, passphrase the client answered LOCK_REQUIRED with, the parameters
    # that LOCK_REQUIRED named, rehash): the relay decides whether and how to ask.
    lock_cases: list[tuple[str, Room, bytes, str | None, LockParams | None, bool]] = [
        ("locked-right-passphrase", locked, locked.genesis.raw, PASSPHRASE, LOCK_PARAMS, False),
        ("locked-wrong-passphrase-let-in", locked, locked.genesis.raw, "not the one",
         LOCK_PARAMS, False),
        ("locked-no-passphrase-asked", locked, locked.genesis.raw, None, None, False),
        ("unlocked-but-passphrase-asked", room, room.genesis.raw, PASSPHRASE, LOCK_PARAMS, False),
        ("relay-asked-weaker-parameters", locked, locked.genesis.raw, PASSPHRASE, weaker, False),
        ("locked-too-much-work", locked, heavy + bytes(128), PASSPHRASE, LOCK_PARAMS, True),
    ]  # fmt: skip
    Row = tuple[str, Room, bytes, bytes, bytes | None, str, int, str | None, LockParams | None]
    rows: list[Row] = [
        (name, room, raw, shard, rehash, origin, now, None, None)
        for name, raw, shard, rehash, origin, now in cases
    ]
    rows += [
        (name, lroom, raw, lroom.server_shard, b"rehash" if rehash else None, ORIGIN, NOW_SECONDS,
         passphrase, params)
        for name, lroom, raw, passphrase, params, rehash in lock_cases
    ]  # fmt: skip
    out = []
    for name, owner_room, raw, shard, rehash, origin, now, passphrase, params in rows:
        link_hash = (
            unkeyed_hash(Label.GENESIS, raw, 16) if rehash else owner_room.genesis.genesis_hash
        )
        asked = (
            None
            if passphrase is None or params is None
            else asked_of(owner_room, passphrase, params)
        )
        try:
            verify_genesis_for_link(raw, shard, owner_room.keys, link_hash, origin, now, asked)
            error = None
        except ProtocolError as failure:
            error = failure.code
        out.append(
            {
                "name": name,
                "genesis": hx(raw),
                "server_shard": hx(shard),
                "link_fragment": Link(owner_room.link_shard, link_hash).fragment(),
                "origin": origin,
                "now_seconds": now,
                "passphrase": passphrase,
                "asked": None
                if params is None
                else {"memory_kib": params.memory_kib, "passes": params.passes},
                "error": error,
            }
        )
    return {
        "description": "A client's checks of a genesis and server shard against its link "
        "(PROTOCOL §3); passphrase and asked are the Extra Lock passphrase the client "
        "answered the relay's LOCK_REQUIRED with and the parameters it named (null: the relay "
        "asked for none); error is the first failed check, or null.",
        "cases": out,
    }


# --- Extra Lock ---------------------------------------------------------------------

PASSPHRASE = "marmalade under the stairs"
LOCK_PARAMS = LockParams(memory_kib=4096, passes=2)  # small: every test derives it


def extra_lock_vectors() -> dict[str, Any]:
    room = Room("room/locked", RoutingMode.DIRECT, JoinRule.APPROVAL, (PASSPHRASE, LOCK_PARAMS))
    keys, member = room.keys, room.member
    unlock = sign_unlock(
        room.lock_key, ORIGIN, keys.room_id, room.challenge, member.ed_pk, member.x_pk
    )
    member_unlock = sign_unlock(
        member.signing_key, ORIGIN, keys.room_id, room.challenge, member.ed_pk, member.x_pk
    )
    link_shard = fixed("argon/link-shard")
    salt = derive_link_keys(link_shard).pwsalt
    derivations = []
    for passphrase, memory_kib, passes in [
        ("correct horse battery staple", 4096, 1),
        ("correct horse battery staple", 4096, 3),
        ("correct horse battery staple", 8192, 2),
        ("Grüße aus Zürich, 東京 🌧", 4096, 1),
    ]:
        params = LockParams(memory_kib, passes)
        shard = passphrase_shard(passphrase, salt, params)
        key = lock_key(link_shard, shard)
        derivations.append(
            {
                "passphrase": passphrase,
                "link_shard": hx(link_shard),
                "memory_kib": memory_kib,
                "passes": passes,
                "pwsalt": hx(salt),
                "passphrase_shard": hx(shard),
                "lock_seed": hx(kdf(link_shard, ClientLabel.LOCK, shard)),
                "lock_pk": hx(key.public_key),
            }
        )
    composed, decomposed = "Zürich café", "Zu\u0308rich cafe\u0301"
    normalisation = [
        {"name": name, "passphrase": text, "bytes": hx(passphrase_bytes(text))}
        for name, text in [
            ("ascii", "correct horse"),
            ("composed", composed),
            ("decomposed-becomes-composed", decomposed),
            ("surrounding-whitespace-dropped", "  correct horse \n"),
            ("inner-whitespace-kept", "correct  horse"),
            ("byte-order-mark-dropped", "\ufeffcorrect horse"),
            ("separators-and-next-line-dropped", "\x1c\x85correct horse\x1f"),
            ("no-break-and-ideographic-space-dropped", "\u00a0correct horse\u3000"),
            ("zero-width-space-kept", "\u200bcorrect horse"),
        ]
    ]
    params_cases = [
        {"memory_kib": memory_kib, "passes": passes, "valid": within_bounds(memory_kib, passes)}
        for memory_kib, passes in [
            (4096, 1), (4095, 1), (65536, 1), (65537, 1), (16384, 4), (16384, 5), (4096, 16),
            (4096, 17), (4096, 0), (0, 0), (32768, 2), (32768, 3),
        ]
    ]  # fmt: skip
    return {
        "description": "Extra Lock (PROTOCOL §2.1): Argon2id (RFC 9106, one lane) from the "
        "normalised passphrase and pwsalt to P, P to the lock key, the parameter bounds, "
        "and a locked room end to end.",
        "bounds": {
            "min_memory_kib": MIN_MEMORY_KIB,
            "max_memory_kib": MAX_MEMORY_KIB,
            "min_passes": MIN_PASSES,
            "max_passes": MAX_PASSES,
            "max_work_kib": MAX_WORK_KIB,
        },
        "derivations": derivations,
        "normalisation": normalisation,
        "params": params_cases,
        "room": {
            "passphrase": PASSPHRASE,
            "memory_kib": LOCK_PARAMS.memory_kib,
            "passes": LOCK_PARAMS.passes,
            "link_shard": hx(room.link_shard),
            "server_shard": hx(room.server_shard),
            "owner_ed_seed": hx(room.owner.ed_seed),
            "owner_x_secret": hx(room.owner.x_secret),
            "member_ed_seed": hx(member.ed_seed),
            "member_x_secret": hx(member.x_secret),
            "challenge": hx(room.challenge),
            "origin": ORIGIN,
            "expires_at": EXPIRES_AT,
            "join_rule": room.rule.value,
            "routing_mode": room.mode.value,
            "passphrase_shard": hx(room.passphrase_shard),
            "lock_pk": hx(room.lock_key.public_key),
            "genesis_body": hx(room.genesis.body_bytes),
            "genesis": hx(room.genesis.raw),
            "genesis_hash": hx(room.genesis.genesis_hash),
            "room_secret": hx(room.secret),
            "epoch0_secret": hx(room.epoch.secret),
            "unlock_signature": hx(unlock),
            "member_unlock_signature": hx(member_unlock),
            "frames": {
                "lock_required": hx(LockRequiredFrame(LOCK_PARAMS).encode()),
                "unlock": hx(UnlockFrame(unlock, member_unlock).encode()),
            },
        },
    }


# --- links -------------------------------------------------------------------------


def link_vectors(room: Room) -> dict[str, Any]:
    good = room.link.fragment()
    _, shard, genesis_hash = good.split(".")
    cases = [
        ("valid", good, None),
        ("valid-with-hash-sign", "#" + good, None),
        ("future-version", f"v3.{shard}.{genesis_hash}", "link-version"),
        ("protocol-v1-link", f"v1.{shard}.{genesis_hash}", "link-version"),
        ("missing-part", f"v2.{shard}", "link-malformed"),
        ("invite", f"{good}.{b64u_encode(TICKET_SECRET)}", None),
        ("short-ticket", f"{good}.{b64u_encode(TICKET_SECRET)[:-1]}", "link-malformed"),
        ("extra-part", f"{good}.x", "link-malformed"),
        ("two-tickets", f"{good}.{b64u_encode(TICKET_SECRET)}.{b64u_encode(TICKET_SECRET)}",
         "link-malformed"),
        ("short-shard", f"v2.{shard[:-1]}.{genesis_hash}", "link-malformed"),
        ("padded-base64", f"v2.{shard}=.{genesis_hash}", "link-malformed"),
        ("standard-base64-alphabet", f"v2.{shard[:-2]}+/.{genesis_hash}", "link-malformed"),
        ("non-canonical-last-char", f"v2.{shard[:-1]}{_low_bits_set(shard[-1])}.{genesis_hash}",
         "link-malformed"),
    ]  # fmt: skip
    out = []
    for name, fragment, error in cases:
        try:
            parsed = Link.parse_fragment(fragment)
            result = {
                "link_shard": hx(parsed.link_shard),
                "genesis_hash": hx(parsed.genesis_hash),
                "ticket": None if parsed.ticket is None else hx(parsed.ticket),
            }
            found = None
        except ProtocolError as failure:
            result, found = None, failure.code
        if found != error:
            raise AssertionError(f"link case {name}: expected {error}, got {found}")
        out.append({"name": name, "fragment": fragment, "error": found, "parsed": result})
    return {"description": "Link fragments and how they parse.", "cases": out}


def _low_bits_set(character: str) -> str:
    """The same 4 leading bits with the 2 unused trailing bits set: not canonical."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return alphabet[alphabet.index(character) | 0b01]


# --- Ed25519 edge cases --------------------------------------------------------------


def scalar(data: bytes) -> bytes:
    return bytes(sodium.crypto_core_ed25519_scalar_reduce(data))


def sign_with_scalar(secret: bytes, nonce: bytes, public: bytes, message: bytes) -> bytes:
    """R ‖ S with R = rB, S = r + k·a, k = H(R ‖ public ‖ message): any public bytes allowed."""
    r_point = sodium.crypto_scalarmult_ed25519_base_noclamp(nonce)
    return r_point + signature_s(nonce, secret, challenge_scalar(r_point, public, message))


def challenge_scalar(r_point: bytes, public: bytes, message: bytes) -> bytes:
    return scalar(hashlib.sha512(r_point + public + message).digest())


def signature_s(nonce: bytes, secret: bytes, k: bytes) -> bytes:
    return bytes(
        sodium.crypto_core_ed25519_scalar_add(
            nonce, sodium.crypto_core_ed25519_scalar_mul(k, secret)
        )
    )


def plain_libsodium(key: bytes, message: bytes, signature: bytes) -> bool:
    """libsodium's own verdict, without our point checks."""
    try:
        sodium.crypto_sign_open(signature + message, key)
    except (BadSignatureError, ValueError):
        return False
    return True


def message_where(predicate: Callable[[bytes], bool], prefix: str) -> bytes:
    for counter in range(10_000):
        message = f"{prefix} #{counter}".encode()
        if predicate(message):
            return message
    raise AssertionError("no message found")


def k_mod_8(r_point: bytes, public: bytes, message: bytes) -> int:
    return int.from_bytes(challenge_scalar(r_point, public, message), "little") % 8


def ed25519_vectors() -> dict[str, Any]:
    a = scalar(fixed("ed/a", 64))
    r = scalar(fixed("ed/r", 64))
    public = sodium.crypto_scalarmult_ed25519_base_noclamp(a)
    r_point = sodium.crypto_scalarmult_ed25519_base_noclamp(r)
    mixed = sodium.crypto_core_ed25519_add(public, ORDER_8_POINT)
    mixed_r = sodium.crypto_core_ed25519_add(r_point, ORDER_8_POINT)
    good_key = SigningKey(fixed("ed/seed"))
    good_message = b"atopos ed25519 vector"
    good_sig = good_key.sign(Prefix.JOIN, good_message)
    good_message = Prefix.JOIN.value + good_message

    cases: list[tuple[str, bytes, bytes, bytes, str]] = []
    rfc = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    rfc_pk = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    cases.append(("rfc8032-test-1", rfc_pk, b"", rfc, "RFC 8032 §7.1 test 1"))
    cases.append(("valid", good_key.public_key, good_message, good_sig, "ordinary signature"))
    cases.append(
        ("wrong-message", good_key.public_key, good_message + b"!", good_sig, "another message")
    )

    cases.append(
        (
            "small-order-key-identity",
            IDENTITY,
            b"any",
            IDENTITY + bytes(32),
            "A and R are the identity, S = 0: the equation holds, the key is worthless",
        )
    )
    msg = message_where(lambda m: k_mod_8(IDENTITY, ORDER_8_POINT, m) == 0, "order-8 key")
    cases.append(
        (
            "small-order-key-order-8",
            ORDER_8_POINT,
            msg,
            IDENTITY + bytes(32),
            "A of order 8, k ≡ 0 mod 8: even the cofactorless equation holds",
        )
    )
    msg = message_where(lambda m: k_mod_8(r_point, mixed, m) == 0, "mixed key passes both")
    cases.append(
        (
            "mixed-order-key-cofactorless-valid",
            mixed,
            msg,
            sign_with_scalar(a, r, mixed, msg),
            "A = aB + T8 and k ≡ 0 mod 8: plain libsodium would accept",
        )
    )
    msg = message_where(lambda m: k_mod_8(r_point, mixed, m) != 0, "mixed key cofactored")
    cases.append(
        (
            "mixed-order-key-cofactored-only",
            mixed,
            msg,
            sign_with_scalar(a, r, mixed, msg),
            "A = aB + T8: only the cofactored equation holds; plain noble would accept",
        )
    )
    k = challenge_scalar(mixed_r, public, good_message)
    cases.append(
        (
            "mixed-order-R",
            public,
            good_message,
            mixed_r + signature_s(r, a, k),
            "R = rB + T8: only the cofactored equation holds; plain noble would accept",
        )
    )
    k = challenge_scalar(IDENTITY, public, good_message)
    cases.append(
        (
            "small-order-R",
            public,
            good_message,
            IDENTITY + signature_s(bytes(32), a, k),
            "R is the identity and S = k·a: the equation holds; plain noble would accept",
        )
    )
    s = int.from_bytes(good_sig[32:], "little") + GROUP_ORDER
    cases.append(
        (
            "non-canonical-S",
            good_key.public_key,
            good_message,
            good_sig[:32] + s.to_bytes(32, "little"),
            "S + L (the group order): same point equation, non-canonical scalar",
        )
    )
    non_canonical_identity = bytes.fromhex("ee" + "ff" * 30 + "7f")
    cases.append(
        (
            "non-canonical-key-encoding",
            non_canonical_identity,
            b"any",
            IDENTITY + bytes(32),
            "y = p + 1 encodes the identity non-canonically",
        )
    )
    cases.append(
        (
            "non-canonical-R-encoding",
            good_key.public_key,
            good_message,
            non_canonical_identity + good_sig[32:],
            "R encoded with y >= p",
        )
    )
    cases.append(("short-signature", good_key.public_key, good_message, good_sig[:63], "63 bytes"))
    # Cases where noble's verify({zip215: false}) alone accepts; the JS test checks
    # this stays true, i.e. that the extra point checks are what rejects them.
    plain_noble_accepts = {
        "mixed-order-key-cofactored-only",
        "mixed-order-key-cofactorless-valid",
        "mixed-order-R",
        "small-order-R",
        "rfc8032-test-1",
        "valid",
    }
    out = []
    for name, key, message, signature, note in cases:
        out.append(
            {
                "name": name,
                "public_key": hx(key),
                "message": hx(message),
                "signature": hx(signature),
                "valid": strict_verify(key, message, signature),
                "plain_libsodium_accepts": plain_libsodium(key, message, signature),
                "plain_noble_accepts": name in plain_noble_accepts,
                "note": note,
            }
        )
    valid_names = {case["name"] for case in out if case["valid"]}
    if valid_names != {"rfc8032-test-1", "valid"}:
        raise AssertionError(f"unexpected strict verdicts: {valid_names}")
    return {
        "description": "Strict Ed25519 (PROTOCOL §1.2): both implementations must return "
        "'valid' for every case.",
        "cases": out,
    }


# --- write ---------------------------------------------------------------------------


def build() -> dict[str, Any]:
    direct = Room("room/direct-open", RoutingMode.DIRECT, JoinRule.OPEN)
    mix = Room("room/mix-approval", RoutingMode.MIX, JoinRule.APPROVAL)
    return {
        "derivation.json": {
            "description": "From the link shard, server shard and member keys to every "
            "derived value and frame (PROTOCOL §2-§5).",
            "cases": [derivation_case(direct), derivation_case(mix)],
        },
        "envelopes.json": envelope_vectors(direct, mix),
        "genesis.json": genesis_vectors(direct),
        "extra_lock.json": extra_lock_vectors(),
        "links.json": link_vectors(direct),
        "ed25519.json": ed25519_vectors(),
        "governance.json": governance_vectors.build(),
        "words.json": {
            "description": "The 256 words of the safety phrase, byte value to word "
            "(PROTOCOL §8.3): phrases agree only if every client maps bytes alike.",
            "words": list(WORDS),
        },
        "refusals.json": {
            "description": "Every refusal code a client answers with its own words "
            "(PROTOCOL §8.3, §8.7): the page and the terminal know the same codes; any "
            "other code, whatever text a relay sends, gets one fixed sentence.",
            "admission": sorted(ADMISSIONS),
            "action": sorted(ACTIONS),
        },
    }


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in build().items():
        path = directory / name
        path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT):
        sys.stdout.write(f"{path}\n")
