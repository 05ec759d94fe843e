"""The Python reference reproduces every shared vector byte for byte."""

from __future__ import annotations

import pytest

from atopos_client.envelope import Plaintext, open_envelope, seal
from atopos_client.extra_lock import lock_key, passphrase_bytes, passphrase_shard
from atopos_client.keys import (
    MemberKeys,
    derive_link_keys,
    first_epoch,
    room_secret,
)
from atopos_client.link import Link, split_link_url
from atopos_client.messages import InnerKind
from atopos_client.refusals import UNKNOWN, action_refusal, admission_refusal
from atopos_client.verification import verify_genesis_for_link
from atopos_protocol.binding import Binding
from atopos_protocol.codec import Reader, u32
from atopos_protocol.errors import ProtocolError
from atopos_protocol.extra_lock import LockParams
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
    verify_join,
    verify_peek,
)
from atopos_protocol.routing_modes import RoutingMode
from atopos_protocol.signatures import Prefix, strict_verify, verify_prefixed
from tests.protocol.vectors import guard_from, load, room_context

DERIVATIONS = load("derivation.json")["cases"]


def b(value: str) -> bytes:
    return bytes.fromhex(value)


@pytest.mark.parametrize("case", DERIVATIONS, ids=lambda case: case["name"])
def test_full_derivation_chain_matches(case):
    """L, V and member keys give room id, auth key, genesis, g, S, E0 and keys exactly."""
    given, expected = case["inputs"], case["outputs"]
    link_shard, server_shard = b(given["link_shard"]), b(given["server_shard"])
    owner = MemberKeys(b(given["owner_ed_seed"]), b(given["owner_x_secret"]))
    member = MemberKeys(b(given["member_ed_seed"]), b(given["member_x_secret"]))
    keys = derive_link_keys(link_shard)
    genesis = Genesis.sign(
        GenesisBody(
            room_id=keys.room_id,
            origin=given["origin"],
            auth_pk=keys.auth_pk,
            owner_ed_pk=owner.ed_pk,
            owner_x_pk=owner.x_pk,
            join_rule=JoinRule(given["join_rule"]),
            routing_mode=RoutingMode(given["routing_mode"]),
            expires_at=given["expires_at"],
            vcommit=keys.vcommit(server_shard),
        ),
        owner.signing_key,
        keys.auth_key(),
    )
    secret = room_secret(link_shard, server_shard, genesis.genesis_hash)
    epoch = first_epoch(secret)
    actual = {
        "room_id": keys.room_id.hex(),
        "auth_seed": keys.auth_seed.hex(),
        "auth_pk": keys.auth_pk.hex(),
        "pwsalt": keys.pwsalt.hex(),
        "vcommit": keys.vcommit(server_shard).hex(),
        "owner_ed_pk": owner.ed_pk.hex(),
        "owner_x_pk": owner.x_pk.hex(),
        "member_ed_pk": member.ed_pk.hex(),
        "member_x_pk": member.x_pk.hex(),
        "genesis_body": genesis.body_bytes.hex(),
        "genesis": genesis.raw.hex(),
        "genesis_hash": genesis.genesis_hash.hex(),
        "event_id": genesis.event_id.hex(),
        "link_fragment": Link(link_shard, genesis.genesis_hash).fragment(),
        "room_secret": secret.hex(),
        "epoch0_secret": epoch.secret.hex(),
        "msg_key": epoch.msg_key.hex(),
        "confirm": epoch.confirm.hex(),
        "bind_key": epoch.bind_key.hex(),
        "kcv": epoch.kcv.hex(),
        "epoch_id": epoch.epoch_id.hex(),
        "owner_bind_tag": epoch.bind_tag(keys.room_id, owner.ed_pk, owner.x_pk).hex(),
        "member_bind_tag": epoch.bind_tag(keys.room_id, member.ed_pk, member.x_pk).hex(),
    }
    for name, value in actual.items():
        assert value == expected[name], name


@pytest.mark.parametrize("case", DERIVATIONS, ids=lambda case: case["name"])
def test_member_binding_matches_and_verifies_only_for_its_keys(case):
    """The member's own and the link's signatures over room id ‖ ed_pk ‖ x_pk match; a binding
    for the same signing key with another X25519 key does not verify."""
    given, expected = case["inputs"], case["outputs"]
    keys = derive_link_keys(b(given["link_shard"]))
    member = MemberKeys(b(given["member_ed_seed"]), b(given["member_x_secret"]))
    binding = Binding.make(member.signing_key, keys.auth_key(), keys.room_id, member.x_pk)
    assert binding.member_sig.hex() == expected["member_binding"]["member_sig"]
    assert binding.link_sig.hex() == expected["member_binding"]["link_sig"]
    assert binding.valid(keys.room_id, keys.auth_pk, member.ed_pk)
    swapped = Binding(MemberKeys.generate().x_pk, binding.member_sig, binding.link_sig)
    assert not swapped.valid(keys.room_id, keys.auth_pk, member.ed_pk)


@pytest.mark.parametrize("case", DERIVATIONS, ids=lambda case: case["name"])
def test_join_proof_matches_and_verifies(case):
    """The join proof body and signature match, and verify only for the exact inputs."""
    given, expected = case["inputs"], case["outputs"]
    keys = derive_link_keys(b(given["link_shard"]))
    member = MemberKeys(b(given["member_ed_seed"]), b(given["member_x_secret"]))
    args = (given["origin"], keys.room_id, b(given["challenge"]), member.ed_pk, member.x_pk)
    assert join_proof_body(*args).hex() == expected["join_proof_body"]
    signature = sign_join(keys.auth_key(), *args)
    assert signature.hex() == expected["join_signature"]
    assert verify_join(keys.auth_pk, signature, *args)
    assert not verify_join(keys.auth_pk, signature, "https://evil.example", *args[1:])


@pytest.mark.parametrize("case", DERIVATIONS, ids=lambda case: case["name"])
def test_peek_proof_matches_and_verifies_only_as_a_peek(case):
    """The peek proof matches, verifies for its exact inputs only, and is no join proof."""
    given, expected = case["inputs"], case["outputs"]
    keys = derive_link_keys(b(given["link_shard"]))
    args = (given["origin"], keys.room_id, b(given["challenge"]))
    assert peek_proof_body(*args).hex() == expected["peek_proof_body"]
    signature = sign_peek(keys.auth_key(), *args)
    assert signature.hex() == expected["peek_signature"]
    assert verify_peek(keys.auth_pk, signature, *args)
    assert not verify_peek(keys.auth_pk, signature, "https://evil.example", *args[1:])
    assert not verify_peek(keys.auth_pk, b(expected["join_signature"]), *args)
    assert PeekFrame.decode(b(expected["frames"]["peek"])) == PeekFrame(keys.room_id, signature)
    assert available_frame().hex() == expected["frames"]["available"]


@pytest.mark.parametrize("case", DERIVATIONS, ids=lambda case: case["name"])
def test_frames_encode_and_decode_exactly(case):
    """Every control frame encodes to the vector and decodes back to its fields."""
    frames = case["outputs"]["frames"]
    for name, codec in {
        "challenge": ChallengeFrame,
        "join": JoinFrame,
        "create": CreateFrame,
        "welcome": WelcomeFrame,
        "left": LeftFrame,
        "knock": KnockFrame,
        "decline": DeclineFrame,
    }.items():
        raw = b(frames[name])
        assert codec.decode(raw).encode() == raw, name
    assert created_frame().hex() == frames["created"]
    create = CreateFrame.decode(b(frames["create"]))
    assert create.genesis.hex() == case["outputs"]["genesis"]


@pytest.mark.parametrize("case", load("envelopes.json")["valid"], ids=lambda case: case["name"])
def test_envelopes_seal_and_open_exactly(case):
    """With the vector's nonce, sealing gives the frame; opening gives the plaintext back."""
    room_id, mode, epoch = room_context(case["room"])
    fields = case["plaintext"]
    plaintext = Plaintext(
        InnerKind(fields["inner_kind"]),
        b(fields["sender"]),
        fields["seq"],
        b(fields["head"]),
        fields["time_ms"],
        b(fields["body"]),
    )
    frame = seal(epoch, room_id, plaintext, mode, b(case["nonce"]))
    assert frame.hex() == case["frame"]
    opened_epoch, opened = open_envelope(frame, room_id, mode, {epoch.epoch_id: epoch})
    assert opened_epoch == epoch
    assert opened == plaintext


@pytest.mark.parametrize("case", load("envelopes.json")["invalid"], ids=lambda case: case["name"])
def test_invalid_envelopes_fail_with_the_expected_error(case):
    """Each broken frame is refused, and by the first check that catches it."""
    with pytest.raises(ProtocolError) as failure:
        receive(case)
    assert failure.value.code == case["error"]


def receive(case) -> None:
    """Open a vector frame and pass it through the replay guard the case describes."""
    room_id, mode, epoch = room_context(case["room"])
    guard = guard_from(case, epoch)
    opened_epoch, plaintext = open_envelope(
        b(case["frame"]), room_id, mode, {epoch.epoch_id: epoch}
    )
    guard.accept(opened_epoch.epoch_id, plaintext, case["now_ms"])


@pytest.mark.parametrize("case", load("genesis.json")["cases"], ids=lambda case: case["name"])
def test_genesis_checks_against_the_link(case):
    """A relay that swaps V, alters the genesis or moves the room is caught, with its error."""
    link = Link.parse_fragment(case["link_fragment"])
    keys = derive_link_keys(link.link_shard)
    asked = None
    if case["asked"] is not None:
        params = LockParams(case["asked"]["memory_kib"], case["asked"]["passes"])
        shard = passphrase_shard(case["passphrase"], keys.pwsalt, params)
        asked = (params, lock_key(link.link_shard, shard).public_key)

    try:
        verify_genesis_for_link(
            b(case["genesis"]),
            b(case["server_shard"]),
            keys,
            link.genesis_hash,
            case["origin"],
            case["now_seconds"],
            asked,
        )
        error = None
    except ProtocolError as failure:
        error = failure.code
    assert error == case["error"]


@pytest.mark.parametrize("case", load("links.json")["cases"], ids=lambda case: case["name"])
def test_links_parse_as_specified(case):
    """Valid fragments parse to their shard and hash; every malformed one is refused."""
    if case["error"]:
        with pytest.raises(ProtocolError) as failure:
            Link.parse_fragment(case["fragment"])
        assert failure.value.code == case["error"]
    else:
        link = Link.parse_fragment(case["fragment"])
        assert link.link_shard.hex() == case["parsed"]["link_shard"]
        assert link.genesis_hash.hex() == case["parsed"]["genesis_hash"]
        assert (link.ticket.hex() if link.ticket else None) == case["parsed"]["ticket"]
        assert link.fragment() == case["fragment"].removeprefix("#")


def test_full_link_url_splits_into_origin_and_link():
    """A whole link gives the origin it belongs to and its secret half."""
    case = DERIVATIONS[0]
    origin, link = split_link_url(case["outputs"]["link_url"])
    assert origin == "https://chat.example.org"
    assert link.fragment() == case["outputs"]["link_fragment"]
    with pytest.raises(ProtocolError):
        split_link_url("https://chat.example.org/other/#" + case["outputs"]["link_fragment"])


@pytest.mark.parametrize("case", load("ed25519.json")["cases"], ids=lambda case: case["name"])
def test_strict_ed25519_verdicts(case):
    """Small-order, mixed-order and non-canonical inputs get the specified verdict."""
    verdict = strict_verify(b(case["public_key"]), b(case["message"]), b(case["signature"]))
    assert verdict is case["valid"]


REFUSALS = load("refusals.json")


@pytest.mark.parametrize("code", REFUSALS["admission"])
def test_the_terminal_has_its_own_words_for_every_admission_refusal(code):
    assert admission_refusal(code) != UNKNOWN


@pytest.mark.parametrize("code", REFUSALS["action"])
def test_the_terminal_has_its_own_words_for_every_refused_change(code):
    assert action_refusal(code) != UNKNOWN


EXTRA_LOCK = load("extra_lock.json")


@pytest.mark.parametrize(
    "case", EXTRA_LOCK["derivations"], ids=lambda case: f"{case['memory_kib']}-{case['passes']}"
)
def test_argon2id_turns_a_passphrase_into_the_lock_key(case):
    """libsodium's Argon2id gives the P and lock key every implementation must give."""
    params = LockParams(case["memory_kib"], case["passes"])
    link_keys = derive_link_keys(b(case["link_shard"]))
    assert link_keys.pwsalt == b(case["pwsalt"])
    shard = passphrase_shard(case["passphrase"], link_keys.pwsalt, params)
    assert shard == b(case["passphrase_shard"])
    assert lock_key(link_keys.link_shard, shard).public_key == b(case["lock_pk"])


@pytest.mark.parametrize("case", EXTRA_LOCK["normalisation"], ids=lambda case: case["name"])
def test_passphrases_are_normalised_before_hashing(case):
    """The same words typed on two keyboards give the same bytes (NFC, ends trimmed)."""
    assert passphrase_bytes(case["passphrase"]) == b(case["bytes"])


@pytest.mark.parametrize(
    "case", EXTRA_LOCK["params"], ids=lambda case: f"{case['memory_kib']}x{case['passes']}"
)
def test_argon2id_parameters_stay_inside_the_bounds(case):
    """A genesis or relay asking for more work than the bounds allow is refused."""
    reader = Reader(u32(case["memory_kib"]) + u32(case["passes"]), "malformed")
    if case["valid"]:
        assert LockParams.read(reader) == LockParams(case["memory_kib"], case["passes"])
    else:
        with pytest.raises(ProtocolError):
            LockParams.read(reader)


def test_a_locked_room_end_to_end():
    """From the passphrase to the genesis, the room secret and the UNLOCK frame."""
    room = EXTRA_LOCK["room"]
    params = LockParams(room["memory_kib"], room["passes"])
    keys = derive_link_keys(b(room["link_shard"]))
    shard = passphrase_shard(room["passphrase"], keys.pwsalt, params)
    assert shard == b(room["passphrase_shard"])
    genesis = Genesis.decode(b(room["genesis"]))
    assert genesis.body.lock == ExtraLock(params, b(room["lock_pk"]))
    assert genesis.genesis_hash == b(room["genesis_hash"])
    secret = room_secret(keys.link_shard, b(room["server_shard"]), genesis.genesis_hash, shard)
    assert secret == b(room["room_secret"])
    assert first_epoch(secret).secret == b(room["epoch0_secret"])
    member = MemberKeys(b(room["member_ed_seed"]), b(room["member_x_secret"]))
    body = join_proof_body(
        room["origin"], keys.room_id, b(room["challenge"]), member.ed_pk, member.x_pk
    )
    assert verify_prefixed(b(room["lock_pk"]), Prefix.UNLOCK, body, b(room["unlock_signature"]))
    assert verify_prefixed(member.ed_pk, Prefix.UNLOCK, body, b(room["member_unlock_signature"]))
    unlock = UnlockFrame.decode(b(room["frames"]["unlock"]))
    assert unlock.lock_signature == b(room["unlock_signature"])
    assert unlock.member_signature == b(room["member_unlock_signature"])
    assert LockRequiredFrame.decode(b(room["frames"]["lock_required"])).params == params
