"""A member checks every governance event itself, whatever the relay hands it."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import pytest

from atopos_client.events import GovernanceChanged, MessageReceived
from atopos_client.messages import Hello, InnerKind
from atopos_client.rekey import Recipient, build_rekey
from atopos_client.session import RoomSession
from atopos_client.tickets import sign_redeem
from atopos_protocol.binding import Binding, sign_link, sign_member
from atopos_protocol.frames import KnockFrame
from atopos_protocol.governance.events import Event, EventKind, event_id
from atopos_protocol.governance.payloads import Bind, Kick, Redeem, Rekey, Target, parse_payload
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


# X25519's point 0: its shared secret with any key is all zeros, so nothing can be sealed to it.
LOW_ORDER = bytes(32)


def bind_low_order(room: Room, mallory: RoomSession) -> None:
    """Mallory, holding the link, binds the point 0 to herself in the open room."""
    keys = mallory.keys
    link_sig = sign_link(keys.auth_key(), keys.room_id, mallory.member.ed_pk, LOW_ORDER)
    room.relay.appends.append(signed(mallory, EventKind.BIND, Bind(LOW_ORDER, link_sig).encode()))


def redeem_low_order(room: Room, mallory: RoomSession) -> None:
    """Mallory redeems an invite Alice made, naming the point 0 as her X25519 key."""
    alice, relay = room.alice, room.relay
    frames, _ = alice.invite()
    relay.send(alice, frames)
    relay.publish()
    relay.run()
    ((ticket_pk, secret),) = alice.invites.items()
    now = mallory.clock()
    proof = sign_redeem(secret, mallory.keys.room_id, mallory.member.ed_pk, LOW_ORDER, now)
    payload = Redeem(ticket_pk, LOW_ORDER, now, proof).encode()
    relay.appends.append(signed(mallory, EventKind.REDEEM, payload, alice.membership.head))


def knock_low_order(room: Room, mallory: RoomSession) -> None:
    """The relay shows Alice a knock whose binding (both signatures valid) names the point 0;
    Alice admits whoever she is shown knocking."""
    alice, relay, keys = room.alice, room.relay, mallory.keys
    ed_pk = mallory.member.ed_pk
    binding = Binding(
        LOW_ORDER,
        sign_member(mallory.member.signing_key, keys.room_id, LOW_ORDER),
        sign_link(keys.auth_key(), keys.room_id, ed_pk, LOW_ORDER),
    )
    relay.inject(alice, KnockFrame(ed_pk, binding).encode())
    relay.run()
    if ed_pk in alice.knocks:
        relay.send(alice, alice.admit(ed_pk))


@pytest.mark.parametrize(
    "way_in", [bind_low_order, redeem_low_order, knock_low_order], ids=["bind", "redeem", "knock"]
)
def test_a_low_order_x25519_key_never_stalls_the_next_rekey(room, way_in):
    """Mallory gets the point 0 listed as her X25519 key: a REKEY sealed to every listed key
    could then never be built, and the room would stay paused after the next kick. Her key
    stays out of the log, and when Alice kicks Bob, Carol takes the new epoch."""
    alice, carol, relay = room.alice, room.carol, room.relay
    mallory = joined(alice, "Mallory")
    way_in(room, mallory)
    relay.publish()
    relay.run()
    assert mallory.member.ed_pk not in alice.state.members
    kicked(room)
    relay.publish()
    relay.run()
    assert carol.epoch.counter == 1
    assert not carol.sending_paused


def texts_shown(room: Room, session: RoomSession) -> list[str]:
    return [e.text for e in room.relay.events_of(session) if isinstance(e, MessageReceived)]


def test_a_kicked_member_writing_on_in_the_old_epoch_is_not_shown(room):
    """Bob, kicked, still holds epoch 0 until the REKEY arrives; his modified client keeps
    writing in it. Carol, who holds the kick, shows none of it."""
    alice, bob, carol, relay = room.alice, room.bob, room.carol, room.relay
    relay.show_all(signed(alice, EventKind.KICK, Kick(bob.member.ed_pk, None).encode()))
    relay.run()
    assert carol.sending_paused
    assert carol.epoch.counter == 0
    now = bob.clock()  # past SendingPaused, as a modified client would be
    relay.send(bob, [bob._carry(bob.sent.compose("still here", bob._next_seq(now), now))])
    relay.run()
    assert "still here" not in texts_shown(room, carol)


def test_a_link_holder_the_log_does_not_list_is_not_shown(room):
    """A stranger with the link who never bound its keys to the log (so no re-key would
    ever reach it) writes in epoch 0: Alice and Carol show nothing of it."""
    alice, carol, relay = room.alice, room.carol, room.relay
    stranger = joined(alice, "Stranger")
    relay.add(stranger)
    relay.send(stranger, [stranger.text("nobody listed me")])
    relay.run()
    assert "nobody listed me" not in texts_shown(room, alice) + texts_shown(room, carol)
    relay.send(carol, [carol.text("members still are")])
    relay.run()
    assert texts_shown(room, alice)[-1] == "members still are"
