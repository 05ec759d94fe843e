"""A scripted room through the real Python client: talk, kick with re-key, end.

Every secret the clients hold is planted as a canary, so checks can look for
it in frames, logs, the keyspace and the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from atopos_client.connection import RoomClient
from atopos_client.events import GovernanceChanged, MemberJoined, MessageReceived, RoomClosed
from atopos_client.keys import room_secret
from tests.claims.live.canaries import Canaries
from tests.claims.live.keyspace import KeyRecord

ROOM_LIFETIME_SECONDS = 900


@dataclass
class SessionRecord:
    """What the scripted session leaves for the checks to judge."""

    link: str = ""
    link_shard: bytes = b""
    genesis_hash: bytes = b""
    room_id: bytes = b""
    server_shard: bytes = b""
    lifetime_seconds: int = ROOM_LIFETIME_SECONDS
    during: list[KeyRecord] = field(default_factory=list)
    after_end: list[KeyRecord] = field(default_factory=list)


async def _settled(client: RoomClient) -> None:
    session = client.session
    while session.sending_paused or session.outbox.in_flight is not None:
        await client.next_event_of(GovernanceChanged)


def _plant_secrets(canaries: Canaries, client: RoomClient, who: str) -> None:
    session = client.session
    canaries.plant(f"{who}-signing-seed", session.member.ed_seed)
    canaries.plant(f"{who}-x25519-secret", session.member.x_secret)
    for epoch in session.membership.epochs.values():
        canaries.plant(f"{who}-epoch-{epoch.counter}-secret", epoch.secret)
        canaries.plant(f"{who}-epoch-{epoch.counter}-msg-key", epoch.msg_key)


async def run_python_session(
    origin: str, canaries: Canaries, snapshot: Callable[[], list[KeyRecord]]
) -> SessionRecord:
    """Alice creates, Bob and Carol join, they talk, Alice kicks Bob, talks on, then ends."""
    record = SessionRecord()
    alice = await RoomClient.create(
        origin, canaries.text("alice-name"), lifetime_seconds=ROOM_LIFETIME_SECONDS
    )
    bob = await RoomClient.join(alice.link, canaries.text("bob-name"))
    carol = await RoomClient.join(alice.link, canaries.text("carol-name"))
    for _ in range(2):
        await alice.next_event_of(MemberJoined)
    await carol.next_event_of(MemberJoined)
    await alice.send_text(canaries.text("message-epoch-0"))
    await bob.next_event_of(MessageReceived)
    await carol.next_event_of(MessageReceived)

    await alice.kick(bob.session.member.ed_pk)
    await bob.next_event_of(RoomClosed)
    await _settled(alice)
    await _settled(carol)
    await carol.send_text(canaries.text("message-epoch-1"))
    await alice.next_event_of(MessageReceived)

    session = alice.session
    record.link = alice.link
    record.link_shard = canaries.plant("link-shard", session.link.link_shard)
    record.genesis_hash = session.link.genesis_hash
    record.room_id = session.keys.room_id
    record.server_shard = session.server_shard
    canaries.plant("room-secret", room_secret(
        session.link.link_shard, session.server_shard, session.link.genesis_hash
    ))  # fmt: skip
    canaries.plant("auth-seed", session.keys.auth_seed)
    for who, client in (("alice", alice), ("bob", bob), ("carol", carol)):
        _plant_secrets(canaries, client, who)

    record.during = snapshot()
    await alice.end_room()
    await carol.next_event_of(RoomClosed)
    await asyncio.sleep(0.5)
    record.after_end = snapshot()
    for client in (alice, bob, carol):
        await client.leave()
    return record
