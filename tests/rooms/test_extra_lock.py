"""Extra Lock at the relay: a link without the passphrase gets nothing of the room.

Mallory holds the link (forwarded, leaked, shoulder-surfed) but not the
passphrase. All she can learn is that the room wants one: the relay sends
LOCK_REQUIRED with the Argon2id parameters and nothing else, no genesis, no
server shard, no frame of anyone's. Her guesses are checked online, a few per
socket and GUESSES_PER_ROOM per window for the whole room, whoever sends them.
"""

from __future__ import annotations

import asyncio

import pytest

from atopos_client.events import MessageReceived
from atopos_client.extra_lock import lock_key, passphrase_shard
from atopos_protocol.codec import u32
from atopos_protocol.errors import ProtocolError
from atopos_protocol.extra_lock import LockParams
from atopos_protocol.frames import (
    CloseCode,
    Kind,
    LockRequiredFrame,
    RefusedFrame,
    UnlockFrame,
)
from atopos_protocol.genesis import Genesis
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.payloads import Empty
from atopos_protocol.joinproof import sign_unlock
from atopos_site.tenancy.namespace import TenantNamespace
from rooms import consumers
from rooms.consumers import GUESSES_PER_ROOM, GUESSES_PER_SOCKET
from rooms.redis_clients import redis_for
from rooms.store import Appended, RoomStore
from tests.rooms.peers import Peer, closed_with, create_refusal, new_admission, open_socket

pytestmark = pytest.mark.django_db(transaction=True)

PASSPHRASE = "marmalade under the stairs"
FAST = LockParams(memory_kib=4096, passes=1)  # the lowest bound: tests derive in milliseconds


@pytest.fixture
async def alice(relay) -> Peer:
    """The creator of a room under Extra Lock, in it."""
    peer = await Peer.create("Alice", lock=(PASSPHRASE, FAST))
    yield peer
    await peer.socket.disconnect()


async def a_guess(peer: Peer, passphrase: str) -> bytes:
    """Send UNLOCK for ``passphrase`` on ``peer``'s socket; the relay's answer."""
    admission = peer.admission
    if admission.lock_asked is None:
        admission.passphrase = passphrase
        frame = admission.unlock_frame(LockRequiredFrame(FAST).encode())
    else:
        frame = admission.unlock_again(passphrase)
    await peer.socket.send_to(bytes_data=frame)
    return await peer.socket.receive_from()


async def test_a_link_holder_learns_only_that_a_passphrase_is_needed(alice):
    mallory = await Peer.knock(alice.in_room, "Mallory")
    frame = await mallory.socket.receive_from()
    assert LockRequiredFrame.decode(frame).params == FAST
    assert await mallory.socket.receive_nothing(0.3)
    assert alice.in_room.server_shard not in frame
    await mallory.socket.disconnect()


async def test_a_wrong_passphrase_is_refused_and_may_be_tried_again(alice):
    mallory = await Peer.knock(alice.in_room, "Mallory")
    await mallory.socket.receive_from()
    answer = await a_guess(mallory, "marmalade on the stairs")
    assert (answer[1], RefusedFrame.decode(answer).reason) == (Kind.REFUSED, "wrong-passphrase")
    assert await mallory.socket.receive_nothing(0.2)
    await mallory.socket.disconnect()


async def test_a_socket_closes_after_its_last_wrong_guess(alice):
    mallory = await Peer.knock(alice.in_room, "Mallory")
    await mallory.socket.receive_from()
    for attempt in range(GUESSES_PER_SOCKET - 1):
        await a_guess(mallory, f"guess number {attempt}")
    last = await a_guess(mallory, "one more guess")
    assert RefusedFrame.decode(last).reason == "wrong-passphrase"
    assert await closed_with(mallory.socket) == CloseCode.ADMISSION_REFUSED


async def test_the_right_passphrase_lets_bob_in_with_the_same_room_secret(alice):
    bob = await Peer.knock(alice.in_room, "Bob", passphrase=PASSPHRASE)
    required = await bob.socket.receive_from()
    await bob.socket.send_to(bytes_data=bob.admission.unlock_frame(required))
    await bob.welcomed(await bob.socket.receive_from())
    await bob.meet(alice)
    await alice.say("the key is under the mat")
    assert (await bob.pump(MessageReceived)).text == "the key is under the mat"
    await bob.socket.disconnect()


async def test_an_unlock_signed_for_another_challenge_is_a_wrong_guess(alice):
    """A proof is bound to its socket's challenge and member keys: one seen elsewhere (a
    shoulder-surfed screen, a log) does not open another socket."""
    shard = passphrase_shard(PASSPHRASE, alice.admission.keys.pwsalt, FAST)
    mallory = await Peer.knock(alice.in_room, "Mallory")
    await mallory.socket.receive_from()
    keys, member = mallory.admission.keys, mallory.admission.member
    origin, challenge = mallory.admission.origin, mallory.admission._challenge
    stale = sign_unlock(
        lock_key(keys.link_shard, shard), origin, keys.room_id, bytes(32),
        member.ed_pk, member.x_pk,
    )  # fmt: skip
    own = sign_unlock(
        member.signing_key, origin, keys.room_id, challenge, member.ed_pk, member.x_pk
    )
    await mallory.socket.send_to(bytes_data=UnlockFrame(stale, own).encode())
    assert RefusedFrame.decode(await mallory.socket.receive_from()).reason == "wrong-passphrase"
    await mallory.socket.disconnect()


async def spend_guesses(alice: Peer, count: int) -> None:
    """Mallory sends ``count`` wrong passphrases, as many per socket as a socket may."""
    spent = 0
    while spent < count:
        mallory = await Peer.knock(alice.in_room, "Mallory")
        await mallory.socket.receive_from()
        for _ in range(min(GUESSES_PER_SOCKET - 1, count - spent)):
            await a_guess(mallory, f"guess {spent}")
            spent += 1
        await mallory.socket.disconnect()


async def bob_enters(alice: Peer) -> bytes:
    """Bob joins with the right passphrase; the relay's answer to his UNLOCK."""
    bob = await Peer.knock(alice.in_room, "Bob", passphrase=PASSPHRASE)
    required = await bob.socket.receive_from()
    await bob.socket.send_to(bytes_data=bob.admission.unlock_frame(required))
    answer = await bob.socket.receive_from()
    await bob.socket.disconnect()
    return answer


async def test_the_room_stops_checking_guesses_once_its_budget_is_spent(alice):
    """Mallory's many sockets share one budget; after it, even the right passphrase is
    refused unchecked (so the refusal tells her nothing) until the window passes."""
    await spend_guesses(alice, GUESSES_PER_ROOM)
    answer = await bob_enters(alice)
    assert RefusedFrame.decode(answer).reason == "too-many-guesses"


async def test_members_coming_back_do_not_spend_the_budget(alice):
    await spend_guesses(alice, GUESSES_PER_ROOM - 1)
    for _ in range(3):
        assert (await bob_enters(alice))[1] == Kind.WELCOME
    mallory = await Peer.knock(alice.in_room, "Mallory")
    await mallory.socket.receive_from()
    assert RefusedFrame.decode(await a_guess(mallory, "the last")).reason == "wrong-passphrase"
    assert RefusedFrame.decode(await a_guess(mallory, "one too many")).reason == "too-many-guesses"


async def test_a_genesis_asking_for_too_much_argon2_work_is_refused(relay):
    """A crafted genesis must not make every joiner's browser derive for minutes: the
    relay refuses to create it, and every client refuses to read it."""
    admission = new_admission(lock=(PASSPHRASE, FAST))
    genesis, _ = admission._pending
    heavy = genesis.body_bytes.replace(FAST.encode(), u32(64 * 1024) + u32(16), 1)
    assert heavy != genesis.body_bytes
    with pytest.raises(ProtocolError, match="genesis-malformed"):
        Genesis.decode(heavy + genesis.owner_sig + genesis.auth_sig)
    admission._pending = (
        Genesis(genesis.body, heavy, genesis.owner_sig, genesis.auth_sig),
        admission._pending[1],
    )
    assert await create_refusal(admission) == CloseCode.CREATE_REFUSED


async def comes_back(peer: Peer) -> bytes:
    """``peer`` opens a new socket with its own admission (a dropped connection, a reload)
    and answers LOCK_REQUIRED as its client does; the relay's answer."""
    socket, challenge = await open_socket()
    await socket.send_to(bytes_data=peer.admission.join_frame(challenge))
    required = await socket.receive_from()
    await socket.send_to(bytes_data=peer.admission.unlock_frame(required))
    answer = await socket.receive_from()
    await socket.disconnect()
    return answer


async def test_mallory_spending_the_budget_does_not_keep_the_owner_or_bob_out(alice):
    """Listed members prove their own key in UNLOCK and are not charged: a link holder who
    spends the room's guesses cannot lock its owner or members out after a dropped
    connection (found by an attacker's review)."""
    bob = await Peer.knock(alice.in_room, "Bob", passphrase=PASSPHRASE)
    required = await bob.socket.receive_from()
    await bob.socket.send_to(bytes_data=bob.admission.unlock_frame(required))
    await bob.welcomed(await bob.socket.receive_from())
    await spend_guesses(alice, GUESSES_PER_ROOM)
    assert (await comes_back(alice))[1] == Kind.WELCOME
    assert (await comes_back(bob))[1] == Kind.WELCOME
    assert RefusedFrame.decode(await bob_enters(alice)).reason == "too-many-guesses"
    await bob.socket.disconnect()


async def test_the_budget_counts_guesses_in_any_ten_minutes_not_per_fixed_window(
    alice, monkeypatch
):
    """A sliding window: half the budget, then the other half later, then as the first half
    ages out only that half comes back (a fixed window would give the whole budget back at
    its edge, 2 x GUESSES_PER_ROOM in a short burst). The window is shrunk to 3 s here."""
    monkeypatch.setattr(consumers, "GUESS_WINDOW_MS", 3000)
    half = GUESSES_PER_ROOM // 2
    await spend_guesses(alice, half)
    await asyncio.sleep(1.5)
    await spend_guesses(alice, GUESSES_PER_ROOM - half)
    await asyncio.sleep(1.8)  # the first half is older than the window now, the second is not
    await spend_guesses(alice, half)
    assert RefusedFrame.decode(await bob_enters(alice)).reason == "too-many-guesses"


async def test_an_unlock_the_member_key_did_not_sign_is_malformed(alice):
    mallory = await Peer.knock(alice.in_room, "Mallory", passphrase=PASSPHRASE)
    required = await mallory.socket.receive_from()
    frame = UnlockFrame.decode(mallory.admission.unlock_frame(required))
    forged = UnlockFrame(frame.lock_signature, bytes(64)).encode()
    await mallory.socket.send_to(bytes_data=forged)
    assert await closed_with(mallory.socket) == CloseCode.MALFORMED


async def test_a_locked_room_whose_log_ended_asks_nobody_for_the_passphrase(alice):
    """END_ROOM appended, the keys not yet deleted: a JOIN gets 4004 and nothing else, as in
    a room without Extra Lock (found by an attacker's review)."""
    room_id, key = alice.in_room.keys.room_id, alice.in_room.member.signing_key
    store = RoomStore(redis_for(room_id), TenantNamespace("alpha"))
    room = await store.get(room_id)
    assert room is not None
    end = Event.create(EventKind.END_ROOM, room_id, room.head, key, Empty().encode())
    assert await store.append(room_id, room.head, end.id, end.raw) is Appended.APPENDED
    mallory = await Peer.knock(alice.in_room, "Mallory")
    assert await closed_with(mallory.socket) == CloseCode.ROOM_UNAVAILABLE
