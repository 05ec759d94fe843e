"""A member checks every governance event itself, whatever the relay hands it."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import pytest

from governance.events import Event, EventKind, event_id
from governance.payloads import Kick, Rekey, Target, parse_payload
from governance.rekey import Recipient, build_rekey
from rooms.client.events import GovernanceChanged
from rooms.client.session import RoomSession
from rooms.protocol.messages import Hello, InnerKind
from tests.client.double import RelayDouble, founded, joined, signed


@dataclass
class Room:
    alice: RoomSession
    bob: RoomSession
    carol: RoomSession
    relay: RelayDouble


@pytest.fixture
def room() -> Room:
    """Alice (owner), Bob and Carol, who have all said hello (bind tags checked)."""
    alice = founded("Alice")
    bob, carol = joined(alice, "Bob"), joined(alice, "Carol")
    relay = RelayDouble(alice, bob, carol)
    for session in (alice, bob, carol):
        relay.send(session, [session.hello(wants_reply=False)])
    relay.run()
    return Room(alice, bob, carol, relay)


def test_a_forged_event_changes_nothing(room):
    """A flipped signature bit: rejected bad-signature, head and phrase unchanged."""
    alice, bob, relay = room.alice, room.bob, room.relay
    raw = bytearray(signed(alice, EventKind.PROMOTE, Target(bob.member.ed_pk).encode()))
    raw[-1] ^= 1
    phrase = bob.phrase
    relay.show(bob, bytes(raw))
    relay.run()
    assert bob.membership.resolution.rejected == {event_id(bytes(raw)): "bad-signature"}
    assert (bob.phrase, bob.membership.head) == (phrase, bob.genesis.event_id)


def test_a_replayed_event_is_taken_once(room):
    """The same event twice: one state change, no second GovernanceChanged."""
    alice, bob, relay = room.alice, room.bob, room.relay
    raw = signed(alice, EventKind.PROMOTE, Target(bob.member.ed_pk).encode())
    relay.show(bob, raw, raw)
    relay.run()
    changes = [e for e in relay.events_of(bob) if isinstance(e, GovernanceChanged)]
    assert len(changes) == 1
    assert bob.state.admins == (bob.member.ed_pk,)


def test_an_event_by_a_kicked_member_is_refused(room):
    """Bob, promoted then kicked, promotes Carol on top of his kick: author-removed."""
    alice, bob, carol, relay = room.alice, room.bob, room.carol, room.relay
    promote = signed(alice, EventKind.PROMOTE, Target(bob.member.ed_pk).encode())
    kick = signed(alice, EventKind.KICK, Kick(bob.member.ed_pk, None).encode(), event_id(promote))
    late = signed(bob, EventKind.PROMOTE, Target(carol.member.ed_pk).encode(), event_id(kick))
    relay.show(carol, promote, kick, late)
    relay.run()
    assert carol.membership.resolution.rejected[event_id(late)] == "author-removed"
    assert carol.state.admins == ()


def test_an_event_whose_parent_is_unknown_waits_and_changes_nothing(room):
    """A wrong (unknown) parent: the event is held as an orphan, not applied."""
    alice, bob, relay = room.alice, room.bob, room.relay
    raw = signed(alice, EventKind.PROMOTE, Target(bob.member.ed_pk).encode(), os.urandom(32))
    relay.show(bob, raw)
    relay.run()
    assert event_id(raw) in bob.membership.resolution.orphans
    assert bob.state.admins == ()


def kicked(room: Room) -> bytes:
    """Alice kicks Bob; the relay shows the kick to Alice and Carol. Returns the kick."""
    alice, bob, carol, relay = room.alice, room.bob, room.carol, room.relay
    kick = signed(alice, EventKind.KICK, Kick(bob.member.ed_pk, None).encode())
    relay.show(alice, kick)
    relay.show(carol, kick)
    relay.run()
    return kick


def test_the_kicking_admin_seals_the_new_epoch_to_members_with_valid_hellos(room):
    """Alice's REKEY has entries for Carol only: not Bob (kicked), not herself."""
    carol, relay = room.carol, room.relay
    kicked(room)
    (rekey_raw,) = [raw for raw in relay.appends if Event.decode(raw).kind is EventKind.REKEY]
    rekey = parse_payload(Event.decode(rekey_raw))
    assert isinstance(rekey, Rekey)
    assert [entry.recipient for entry in rekey.entries] == [carol.member.ed_pk]


def test_a_hello_without_a_valid_bind_tag_gets_no_entry(room):
    """Mallory's hello has a bind tag she could not compute: she is not a re-key recipient."""
    alice, relay = room.alice, room.relay
    mallory = joined(alice, "Mallory")
    hello = Hello(mallory.member.x_pk, os.urandom(32), "Mallory", False).encode()
    relay.send(mallory, [mallory._seal(InnerKind.HELLO, hello)])
    relay.run()
    assert mallory.member.ed_pk not in alice.members
    kicked(room)
    rekey = parse_payload(Event.decode(relay.appends[-1]))
    assert mallory.member.ed_pk not in [entry.recipient for entry in rekey.entries]


def rekeyed(room: Room) -> bytes:
    """The kick, then Alice's REKEY shown to Alice and Carol. Returns the REKEY."""
    kicked(room)
    (rekey,) = room.relay.appends
    room.relay.show(room.carol, rekey)
    room.relay.show(room.alice, rekey)
    room.relay.run()
    return rekey


def test_members_pause_after_a_kick_and_resume_with_the_rekey(room):
    """Carol may not send between KICK and REKEY, and holds epoch 1 after it."""
    alice, carol = room.alice, room.carol
    kicked(room)
    assert carol.sending_paused
    rekeyed(room)
    assert not carol.sending_paused
    assert carol.epoch == alice.epoch
    assert carol.epoch.counter == 1


def rekey_by(session, kick: bytes, current, recipients, **changes) -> bytes:
    """A REKEY event ``session`` signs for ``kick`` (fields overridable to make it bad)."""
    payload, _ = build_rekey(
        session.keys.room_id, current, event_id(kick), session.member.x_secret, recipients
    )
    return signed(session, EventKind.REKEY, replace(payload, **changes).encode(), event_id(kick))


def test_an_unsigned_rekey_is_refused(room):
    """A REKEY whose signature does not verify: bad-signature, Carol stays paused."""
    alice, carol, relay = room.alice, room.carol, room.relay
    kick = kicked(room)
    raw = bytearray(
        rekey_by(alice, kick, alice.epoch, [Recipient(carol.member.ed_pk, carol.member.x_pk)])
    )
    raw[-5] ^= 1
    relay.show(carol, bytes(raw))
    relay.run()
    assert carol.membership.resolution.rejected[event_id(bytes(raw))] == "bad-signature"
    assert carol.sending_paused


def test_a_rekey_by_a_plain_member_is_refused(room):
    """Carol's own REKEY for Alice's kick: not-authorized; nobody moves to its epoch."""
    alice, carol, relay = room.alice, room.carol, room.relay
    kick = kicked(room)
    raw = rekey_by(carol, kick, carol.epoch, [Recipient(alice.member.ed_pk, alice.member.x_pk)])
    relay.show(alice, raw)
    relay.run()
    assert alice.membership.resolution.rejected[event_id(raw)] == "not-authorized"


def test_a_rekey_whose_confirm_does_not_match_leaves_the_member_without_keys(room):
    """An admin publishing a confirm its secret does not give: Carol refuses the epoch."""
    alice, carol, relay = room.alice, room.carol, room.relay
    kick = kicked(room)
    raw = rekey_by(alice, kick, alice.epoch, [Recipient(carol.member.ed_pk, carol.member.x_pk)],
                   confirm=os.urandom(32))  # fmt: skip
    relay.show(carol, raw)
    relay.run()
    assert carol.state.epoch == 1
    assert carol.epoch.counter == 0
    assert carol.sending_paused


def test_a_replayed_old_rekey_changes_nothing(room):
    """After epoch 1, the same REKEY again, or its bundle signed anew on the head, moves nobody."""
    alice, carol, relay = room.alice, room.carol, room.relay
    rekey = rekeyed(room)
    epoch, head = carol.epoch, carol.membership.head
    again = signed(alice, EventKind.REKEY, Event.decode(rekey).payload)
    relay.show(carol, rekey, again)
    relay.run()
    assert carol.membership.resolution.rejected[event_id(again)] == "wrong-epoch"
    assert (carol.epoch, carol.membership.head) == (epoch, head)
