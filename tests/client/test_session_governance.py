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
    """Alice (owner), Bob and Carol in an open room: both bound their keys to the log and
    everyone said hello (bind tags checked)."""
    alice = founded("Alice")
    relay = RelayDouble(alice)
    relay.enter(alice)
    bob = joined(alice, "Bob")
    relay.enter(bob)
    carol = joined(alice, "Carol")
    relay.enter(carol)
    return Room(alice, bob, carol, relay)


def test_a_forged_event_changes_nothing(room):
    """A flipped signature bit: rejected bad-signature, head and phrase unchanged."""
    alice, bob, relay = room.alice, room.bob, room.relay
    raw = bytearray(signed(alice, EventKind.PROMOTE, Target(bob.member.ed_pk).encode()))
    raw[-1] ^= 1
    phrase, head = bob.phrase, bob.membership.head
    relay.show(bob, bytes(raw))
    relay.run()
    assert bob.membership.rejected == {event_id(bytes(raw)): "bad-signature"}
    assert (bob.phrase, bob.membership.head) == (phrase, head)


def test_a_replayed_event_is_taken_once(room):
    """The same event twice: one state change, no second GovernanceChanged."""
    alice, bob, relay = room.alice, room.bob, room.relay
    raw = signed(alice, EventKind.PROMOTE, Target(bob.member.ed_pk).encode())
    before = len([e for e in relay.events_of(bob) if isinstance(e, GovernanceChanged)])
    relay.show(bob, raw, raw)
    relay.run()
    changes = [e for e in relay.events_of(bob) if isinstance(e, GovernanceChanged)]
    assert len(changes) == before + 1
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


def test_the_kicking_admin_seals_the_new_epoch_to_every_listed_member(room):
    """Alice's REKEY has entries for Carol only: not Bob (kicked), not herself."""
    carol, relay = room.carol, room.relay
    kicked(room)
    (rekey_raw,) = [raw for raw in relay.appends if Event.decode(raw).kind is EventKind.REKEY]
    rekey = parse_payload(Event.decode(rekey_raw))
    assert isinstance(rekey, Rekey)
    assert [entry.recipient for entry in rekey.entries] == [carol.member.ed_pk]


def test_a_hello_without_a_valid_bind_tag_is_not_shown(room):
    """Carol's hello with a bind tag nobody could compute: Alice does not list her as present."""
    alice, carol, relay = room.alice, room.carol, room.relay
    alice.members.pop(carol.member.ed_pk)
    hello = Hello(carol.member.x_pk, os.urandom(32), "Carol", False).encode()
    relay.send(carol, [carol._seal(InnerKind.HELLO, hello)])
    relay.run()
    assert carol.member.ed_pk not in alice.members


def test_a_key_that_said_hello_but_is_not_in_the_log_gets_no_entry(room):
    """Someone holding the epoch (never bound in the log) says hello: no re-key entry."""
    alice, relay = room.alice, room.relay
    stranger = joined(alice, "Stranger")
    relay.add(stranger)
    relay.send(stranger, [stranger.hello(wants_reply=False)])
    relay.run()
    assert stranger.member.ed_pk not in alice.members
    kicked(room)
    rekey = parse_payload(Event.decode(relay.appends[-1]))
    assert stranger.member.ed_pk not in [entry.recipient for entry in rekey.entries]


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
    assert carol.membership.rejected[event_id(bytes(raw))] == "bad-signature"
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
