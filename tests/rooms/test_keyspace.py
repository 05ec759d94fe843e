"""After a real conversation, Redis holds only TTL'd, opaque data, and nothing once it ends."""

from __future__ import annotations

import base64
import time

import pytest

from atopos_client.events import GovernanceChanged, KnockReceived
from atopos_protocol.codec import b64u_encode
from atopos_protocol.extra_lock import LockParams
from atopos_protocol.frames import CloseCode, RefusedFrame
from atopos_protocol.join_rules import JoinRule
from rooms.store import RateCounter
from tests.rooms.peers import Peer, finally_closed_with

pytestmark = pytest.mark.django_db(transaction=True)

CANARY_TEXT = "canary-plaintext-6d1f0e"
CANARY_NAMES = ("Alice-canary-name-91c2", "Bob-canary-name-4be7")


def forms(secret: bytes) -> list[bytes]:
    """A secret as raw bytes and in hex, base64 and base64url."""
    return [
        secret,
        secret.hex().encode(),
        base64.b64encode(secret).rstrip(b"="),
        b64u_encode(secret).encode(),
    ]


def snapshot(redis_client) -> dict[bytes, tuple[int, bytes]]:
    """Every key with its TTL (ms) and a dump of its value."""
    found = {}
    for key in redis_client.scan_iter(count=1000):
        kind = redis_client.type(key)
        if kind == b"hash":
            value = b"".join(k + v for k, v in redis_client.hgetall(key).items())
        elif kind == b"zset":
            value = b"".join(redis_client.zrange(key, 0, -1))
        elif kind == b"list":
            value = b"".join(redis_client.lrange(key, 0, -1))
        else:
            value = redis_client.get(key) or b""
        found[key] = (redis_client.pttl(key), value)
    return found


async def converse(alice: Peer, bob: Peer) -> None:
    await bob.meet(alice)
    for _ in range(3):
        await alice.say(CANARY_TEXT)
        await bob.next_events()
        await bob.say(CANARY_TEXT)
        await alice.next_events()


async def test_keys_expire_with_the_room_and_hold_no_secret(relay, redis_client):
    """Every room key expires by the room's end; no key or value holds a secret or plaintext."""
    alice = await Peer.create(CANARY_NAMES[0], lifetime=1800)
    bob = await Peer.join(alice.session, CANARY_NAMES[1])
    await converse(alice, bob)
    room_hex = alice.session.keys.room_id.hex().encode()
    room_life_ms = alice.session.expires_at * 1000 - int(time.time() * 1000)

    keys = snapshot(redis_client)
    room_keys = {key for key in keys if room_hex in key}
    assert {key.rsplit(b":", 1)[1] for key in room_keys} == {b"meta", b"members", b"log"}
    for key, (ttl, value) in keys.items():
        assert ttl > 0, f"{key!r} has no expiry"
        if key in room_keys:
            assert ttl <= room_life_ms + 1000, f"{key!r} outlives its room"
        else:
            assert b":rate:" in key, f"unexpected key {key!r}"
            assert ttl <= max(counter.window_ms for counter in RateCounter)
        secrets = [*forms(alice.session.link.link_shard), *forms(alice.session.epoch.secret)]
        secrets += [CANARY_TEXT.encode(), *(name.encode() for name in CANARY_NAMES)]
        for secret in secrets:
            assert secret not in key, f"{key!r} leaks a secret"
            assert secret not in value, f"{key!r} holds a secret"


async def test_ending_the_room_leaves_nothing_of_it(relay, redis_client):
    """After END: no key names the room, no value holds its shard or genesis."""
    alice = await Peer.create("Alice")
    bob = await Peer.join(alice.session, "Bob")
    await converse(alice, bob)
    await alice.act(alice.session.end_room())
    assert await finally_closed_with(alice.socket) == 4000
    genesis = alice.session.genesis

    keys = snapshot(redis_client)
    room_hex = alice.session.keys.room_id.hex().encode()
    for key, (ttl, value) in keys.items():
        assert room_hex not in key
        assert genesis.raw not in value
        assert alice.session.server_shard not in value
        assert ttl > 0
    tombstones = [key for key in keys if b":tomb:" in key]
    assert len(tombstones) == 1
    assert keys[tombstones[0]][0] <= genesis.body.expires_at * 1000 - int(time.time() * 1000) + 1000


async def governed_room() -> tuple[Peer, Peer, Peer]:
    """An approval room with a log (an admission, an invite) and a newcomer still knocking."""
    alice = await Peer.create("Alice", lifetime=900, rule=JoinRule.APPROVAL)
    bob = await Peer.knock(alice.session, "Bob")
    await bob.socket.receive_from()
    await alice.act(alice.session.admit((await alice.pump(KnockReceived)).ed_pk))
    await bob.welcomed(await bob.socket.receive_from())
    frames, _ = alice.session.invite(uses=3)
    await alice.act(frames)
    await alice.pump(GovernanceChanged)
    carol = await Peer.knock(alice.session, "Carol")
    await carol.socket.receive_from()
    await alice.pump(KnockReceived)
    return alice, bob, carol


async def test_governance_keys_expire_with_the_room(relay, redis_client):
    """The log and the knocks live as long as the room; tickets appear only as public keys."""
    alice, _, _ = await governed_room()
    room_hex = alice.session.keys.room_id.hex().encode()
    room_life_ms = alice.session.expires_at * 1000 - int(time.time() * 1000)
    keys = snapshot(redis_client)
    room_keys = {key: keys[key] for key in keys if room_hex in key}
    assert {key.rsplit(b":", 1)[1] for key in room_keys} == {b"meta", b"members", b"log", b"knocks"}
    for key, (ttl, value) in room_keys.items():
        assert 0 < ttl <= room_life_ms + 1000, f"{key!r} outlives its room"
        for secret in alice.session.invites.values():
            assert secret not in value


async def test_ending_the_room_by_event_deletes_its_log_and_knocks(relay, redis_client):
    """END_ROOM appended by the owner: members and knockers are closed; no key names the room."""
    alice, bob, carol = await governed_room()
    await alice.act(alice.session.end_room())
    for peer in (alice, bob, carol):
        assert await finally_closed_with(peer.socket) == CloseCode.ROOM_ENDED
    room_hex = alice.session.keys.room_id.hex().encode()
    assert not [key for key in snapshot(redis_client) if room_hex in key]


async def test_extra_locks_guess_counter_lives_no_longer_than_the_room(relay, redis_client):
    """Mallory's wrong guess leaves a counter in the room's hash tag; its TTL ends with the
    window or the room, whichever is first, and ending the room deletes it."""
    lock = ("lanterns over the harbour", LockParams(memory_kib=4096, passes=1))
    alice = await Peer.create("Alice", lifetime=600, lock=lock)
    mallory = await Peer.knock(alice.session, "Mallory", passphrase="not the passphrase")
    required = await mallory.socket.receive_from()
    await mallory.socket.send_to(bytes_data=mallory.admission.unlock_frame(required))
    assert RefusedFrame.decode(await mallory.socket.receive_from()).reason == "wrong-passphrase"
    room_hex = alice.session.keys.room_id.hex().encode()
    guesses = [
        key for key in snapshot(redis_client) if room_hex in key and key.endswith(b":guesses")
    ]
    assert len(guesses) == 1
    ttl, _ = snapshot(redis_client)[guesses[0]]
    assert redis_client.zcard(guesses[0]) == 1  # one wrong guess, at its time
    assert 0 < ttl <= alice.session.genesis.body.expires_at * 1000 - int(time.time() * 1000) + 1000
    await alice.act(alice.session.end_room())
    assert await finally_closed_with(alice.socket) == 4000
    assert not [key for key in snapshot(redis_client) if room_hex in key]
    await mallory.socket.disconnect()
