"""Issue 9, attack 6: governance log bombs.

An anonymous room owner appended KICK(random key) + REKEY(585 junk entries)
pairs of about 61 KB each; every JOIN, append and redeem re-read and
re-verified the whole log on the event loop, and Redis grew by about 9 MiB a
minute per socket. Now a kick or re-key names listed members only, events
are at most 32 KiB, the log at most MAX_LOG_EVENTS events and MAX_LOG_BYTES
(END_ROOM always fits), and the relay applies only new events to a cached
state.
"""

from __future__ import annotations

import os

import pytest

from atopos_protocol.frames import CloseCode, EventFrame, Kind, RefusedFrame
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.payloads import Empty, Kick, Rekey, RekeyEntry, SetJoinRule
from atopos_protocol.governance.state import MAX_LOG_EVENTS
from atopos_protocol.join_rules import JoinRule
from rooms.room_governance import log_cache
from tests.rooms.peers import Peer, closed_with, finally_closed_with, set_policy

pytestmark = pytest.mark.django_db(transaction=True)


async def refusal_of(peer: Peer, event: Event) -> str:
    await peer.send(EventFrame(event.raw).encode())
    frame = await peer.socket.receive_from()
    assert frame[1] == Kind.REFUSED
    return RefusedFrame.decode(frame).reason


def signed_by(peer: Peer, kind: EventKind, payload: bytes, parent: bytes | None = None) -> Event:
    session = peer.session
    head = parent if parent is not None else session.membership.head
    return Event.create(kind, session.keys.room_id, head, session.member.signing_key, payload)


async def test_a_kick_of_a_key_nobody_holds_is_refused(alice):
    """KICK(random key): not-a-member, nothing appended."""
    kick = signed_by(alice, EventKind.KICK, Kick(os.urandom(32), None).encode())
    assert await refusal_of(alice, kick) == "not-a-member"


async def test_a_rekey_stuffed_with_junk_entries_is_refused(alice, bob):
    """After a real kick, a REKEY of 200 entries for keys nobody holds (21 KB): not-a-member."""
    await alice.send(
        EventFrame(signed_by(alice, EventKind.KICK, Kick(bob.key, None).encode()).raw).encode()
    )
    head = None
    while head is None:
        frame = await alice.socket.receive_from()
        if frame[1] == Kind.GOVERNANCE:
            kick = Event.decode(EventFrame.decode(frame, Kind.GOVERNANCE).event)
            if kick.kind is EventKind.KICK:
                head = kick.id
    entries = tuple(RekeyEntry(os.urandom(32), bytes(24), bytes(48)) for _ in range(200))
    junk = Rekey(head, 1, os.urandom(32), os.urandom(32), os.urandom(32), entries)
    event = signed_by(alice, EventKind.REKEY, junk.encode(), head)
    assert await refusal_of(alice, event) == "not-a-member"


async def test_an_event_over_32_kib_closes_the_socket(alice):
    """The 61 KB REKEY of the attack does not even reach the rules: 4103 (bad size)."""
    entries = tuple(RekeyEntry(os.urandom(32), bytes(24), bytes(48)) for _ in range(585))
    junk = Rekey(os.urandom(32), 1, os.urandom(32), os.urandom(32), os.urandom(32), entries)
    body = junk.encode()
    assert len(body) > 60_000
    frame = EventFrame(_unsigned_event(alice, body)).encode()
    await alice.send(frame)
    assert await closed_with(alice.socket) == CloseCode.BAD_SIZE


def _unsigned_event(peer: Peer, payload: bytes) -> bytes:
    """An event-shaped frame body too large for Event.create (which refuses it): the relay
    must refuse it by size before it decodes or verifies anything."""
    session = peer.session
    return (
        bytes([2, EventKind.REKEY])
        + session.keys.room_id
        + session.membership.head
        + session.member.ed_pk
        + len(payload).to_bytes(2, "big")
        + payload
        + bytes(64)
    )


async def test_the_log_is_capped_yet_the_owner_can_still_end_the_room(relay):
    """The owner fills the log with MAX_LOG_EVENTS cheap events (a tenant allowing 6000
    frames a minute): the next one is refused log-full, END_ROOM still ends the room, and
    the relay never re-read the whole log."""
    await set_policy(messages_per_minute=6000)
    alice = await Peer.create("Alice")
    cache = log_cache()
    rebuilds = cache.rebuilds
    head = alice.session.membership.head
    existing = len(alice.session.membership.resolution.accepted)
    rules = (JoinRule.APPROVAL, JoinRule.OPEN)
    events = []
    for index in range(MAX_LOG_EVENTS - existing):
        payload = SetJoinRule(rules[index % 2], 0).encode()
        events.append(signed_by(alice, EventKind.SET_JOIN_RULE, payload, head))
        head = events[-1].id
    for event in events:  # one chain, sent back to back: the relay takes them in order
        await alice.send(EventFrame(event.raw).encode())
    appended = 0
    while appended < len(events):
        frame = await alice.socket.receive_from(10)
        assert frame[1] != Kind.REFUSED, RefusedFrame.decode(frame).reason
        appended += frame[1] == Kind.GOVERNANCE
    assert cache.rebuilds - rebuilds <= 1  # the relay applied each event to its cached state
    extra = signed_by(alice, EventKind.LOCK, Empty().encode(), head)
    assert await refusal_of(alice, extra) == "log-full"
    end = signed_by(alice, EventKind.END_ROOM, Empty().encode(), head)
    await alice.send(EventFrame(end.raw).encode())
    assert await finally_closed_with(alice.socket) == CloseCode.ROOM_ENDED
