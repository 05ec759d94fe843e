"""Sessions keep messages until the relay acknowledges them, send them again after a
reconnect, answer syncs for their own messages, and show each message once, in order."""

from __future__ import annotations

import pytest

from atopos_client.delivery import ABSENT_WAIT_MS, ANSWER_MESSAGES
from atopos_client.envelope import Plaintext, seal
from atopos_client.events import MessageReceived, MessagesMissed
from atopos_client.messages import (
    ChatMessage,
    InnerKind,
    Synced,
    SyncEntry,
    encode_sync,
    max_text_bytes,
)
from atopos_client.session import RoomSession
from tests.client.double import RelayDouble, founded, governance_frame, joined, welcome_into


def room() -> tuple[RelayDouble, RoomSession, RoomSession]:
    alice = founded("Alice")
    relay = RelayDouble(alice)
    relay.enter(alice)
    bob = joined(alice, "Bob")
    relay.enter(bob)
    return relay, alice, bob


def shown(relay: RelayDouble, session: RoomSession) -> list[str]:
    return [e.text for e in relay.events_of(session) if isinstance(e, MessageReceived)]


def comes_back(relay: RelayDouble, session: RoomSession, room_of: RoomSession) -> None:
    """The connection dropped (what was on its way to ``session`` is lost); a new WELCOME."""
    relay.inbox[id(session)].clear()
    again, _ = session.admission.accept_welcome(welcome_into(room_of))
    assert again is session
    session.catch_up([governance_frame(raw) for raw in room_of.membership.resolution.events])
    events, frames = session.entered()
    relay.seen[id(session)] += events
    relay.send(session, frames)
    relay.run()


def says(relay: RelayDouble, sender: RoomSession, *texts: str) -> None:
    for text in texts:
        relay.send(sender, [sender.text(text)])
    relay.run()


def while_away(relay: RelayDouble, away: RoomSession, sender: RoomSession, *texts: str) -> None:
    """``sender`` says ``texts`` while ``away``'s connection is down (the relay has nowhere
    to send them)."""
    relay.dropped.add(id(away))
    says(relay, sender, *texts)
    relay.dropped.discard(id(away))


def test_the_relays_ack_ends_alices_wait():
    relay, alice, _ = room()
    relay.send(alice, [alice.text("hello")])
    assert len(alice.sent.pending) == 1
    relay.run()
    assert alice.sent.pending == {}


def test_a_message_that_never_reached_the_relay_goes_again_after_the_reconnect():
    relay, alice, bob = room()
    alice.text("lost with the connection")
    comes_back(relay, alice, alice)
    assert shown(relay, bob) == ["lost with the connection"]
    assert alice.sent.pending == {}


def test_a_message_whose_ack_was_lost_goes_again_and_bob_shows_it_once():
    """The sender's connection died after the fan-out, before the ACK reached it."""
    relay, alice, bob = room()
    relay.send(alice, [alice.text("delivered, never acknowledged")])
    relay.inbox[id(alice)].clear()  # the ACK dies with the connection
    relay.run()
    comes_back(relay, alice, alice)
    assert shown(relay, bob) == ["delivered, never acknowledged"]


def test_bob_gets_what_he_missed_from_alice_when_he_is_back():
    relay, alice, bob = room()
    says(relay, alice, "seen")
    while_away(relay, bob, alice, "missed one", "missed two")
    comes_back(relay, bob, alice)
    assert shown(relay, bob) == ["seen", "missed one", "missed two"]


def test_what_alice_no_longer_holds_shows_as_a_gap_with_its_count():
    relay, alice, bob = room()
    says(relay, alice, "seen")
    while_away(relay, bob, alice, "gone one", "gone two")
    alice.sent.history.clear()  # as if she had sent 200 more since
    says(relay, alice, "after")  # Bob asks; Alice resends "after", all she holds, and is done
    events = relay.events_of(bob)
    missed = [e for e in events if isinstance(e, MessagesMissed)]
    assert [(m.sender.ed_pk, m.count) for m in missed] == [(alice.member.ed_pk, 2)]
    assert shown(relay, bob) == ["seen", "after"]
    assert events.index(missed[0]) < max(
        i for i, e in enumerate(events) if isinstance(e, MessageReceived)
    )


def test_a_gap_whose_sender_never_answers_shows_after_a_minute():
    relay, alice, bob = room()
    says(relay, alice, "seen")
    while_away(relay, bob, alice, "missed")
    relay.dropped.add(id(alice))  # Bob's SYNC never reaches Alice
    says(relay, alice, "after")
    assert shown(relay, bob) == ["seen"]
    bob.clock = lambda: alice.clock() + ABSENT_WAIT_MS
    events, _ = bob.tick()
    assert [(type(e).__name__, getattr(e, "count", getattr(e, "text", None))) for e in events] == [
        ("MessagesMissed", 1),
        ("MessageReceived", "after"),
    ]


def test_a_refused_message_takes_no_number():
    """Too long for the room: refused before it is numbered, so the next one follows on."""
    relay, alice, bob = room()
    with pytest.raises(ValueError, match="bytes of UTF-8"):
        alice.text("x" * (max_text_bytes(alice.mode) + 1))
    relay.send(alice, [alice.text("fits")])
    relay.run()
    assert shown(relay, bob) == ["fits"]
    assert alice.sent.last_number == 1


def test_mallory_asking_again_and_again_gets_at_most_the_answer_budget():
    relay, alice, bob = room()
    for n in range(50):
        relay.send(alice, [alice.text(f"m{n}")])
    relay.run()
    ask_everything = encode_sync([SyncEntry(alice.member.ed_pk, 0, 0)])
    resent = 0
    for _ in range(10):  # Bob's key, Mallory's intent: any member can ask
        _, frames = alice.receive(bob._seal(InnerKind.SYNC, ask_everything))
        resent += len(frames)
    assert resent == ANSWER_MESSAGES


def test_an_answer_to_someone_else_is_not_taken_as_bobs():
    """Bob came back in the middle of Alice's answer to Carol: he saw only its end, so it
    tells him nothing; an answer naming him tells him what is gone."""
    relay, alice, bob = room()
    says(relay, alice, "seen")
    seen_id = alice.sent.last_id
    while_away(relay, bob, alice, "missed")
    relay.dropped.add(id(alice))  # Bob's own SYNC does not reach Alice yet
    says(relay, alice, "after")
    carol = b"c" * 32
    last = (alice.sent.last_id, alice.sent.last_number)
    for_carol = Synced(seen_id, *last, (carol,)).encode()
    events, _ = bob.receive(alice._seal(InnerKind.SYNCED, for_carol))
    assert events == []
    for_bob = Synced(seen_id, *last, (carol, bob.member.ed_pk)).encode()
    events, _ = bob.receive(alice._seal(InnerKind.SYNCED, for_bob))
    assert [type(e).__name__ for e in events] == ["MessagesMissed", "MessageReceived"]


def test_a_forgery_a_minute_ahead_does_not_keep_alice_from_resending_what_bob_lacks():
    """Mallory seals a message in Alice's name whose id runs a minute ahead. Bob, missing one
    of Alice's messages, asks for what follows the last message before the gap, not for what
    follows the forgery, so Alice still sends it again."""
    relay, alice, bob = room()
    mallory = joined(alice, "Mallory")
    relay.enter(mallory)
    says(relay, alice, "one")
    while_away(relay, bob, alice, "two")
    now = mallory.clock()
    forged = ChatMessage(now + 59_000, 2, alice.sent.history[0].id, now, "forged").encode(
        mallory.mode
    )
    plaintext = Plaintext(
        InnerKind.TEXT, alice.member.ed_pk, now + 59_000, mallory.membership.head, now, forged
    )
    relay.inject(bob, seal(mallory.epoch, mallory.keys.room_id, plaintext, mallory.mode))
    relay.run()
    relay.send(alice, [alice.text("three")])
    relay.run()
    assert shown(relay, bob) == ["one", "forged", "two", "three"]
    assert not [e for e in relay.events_of(bob) if isinstance(e, MessagesMissed)]


def test_a_relay_that_acknowledges_and_withholds_a_message_cannot_make_it_vanish():
    """The relay ACKs Alice's message but keeps it from Bob: her next message names it as
    its predecessor, Bob asks her, and she sends it again from what she holds."""
    relay, alice, bob = room()
    says(relay, alice, "seen")
    while_away(relay, bob, alice, "acknowledged, withheld")
    assert alice.sent.pending == {}  # the relay's ACK: Alice has no reason to resend
    says(relay, alice, "next")
    assert shown(relay, bob) == ["seen", "acknowledged, withheld", "next"]
    assert not [e for e in relay.events_of(bob) if isinstance(e, MessagesMissed)]
