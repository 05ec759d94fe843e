"""Getting in: an admission becomes a session in the room only on what the link vouches for."""

from __future__ import annotations

import os
import time

import pytest

from atopos_client.admission import Admission
from atopos_client.events import Event, MessageReceived
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import WelcomeFrame
from tests.client.double import ORIGIN, founded, joined, welcome_into


def shown(events: list[Event]) -> list[str]:
    return [event.text for event in events if isinstance(event, MessageReceived)]


def test_bob_is_in_alices_room_once_a_welcome_with_its_genesis_arrives():
    """Bob's JOIN carries only the link; the WELCOME's genesis, checked against the link,
    gives him the room: the same genesis and the same safety phrase as Alice's."""
    alice = founded("Alice")
    bob = Admission(alice.origin, alice.link, "Bob")
    session, log_length = bob.accept_welcome(welcome_into(alice))
    assert log_length == len(alice.membership.resolution.events)
    assert session.genesis.raw == alice.genesis.raw
    assert session.admission is bob
    assert session.phrase == alice.phrase
    assert not session.is_owner


def test_mallory_cannot_welcome_bob_into_another_room():
    """Mallory, the relay, hands Bob the genesis of a room she made: it is not the one his
    link names, so he is let into nothing."""
    alice, mallorys = founded("Alice"), founded("Mallory")
    bob = Admission(alice.origin, alice.link, "Bob")
    with pytest.raises(ProtocolError, match="genesis-hash-mismatch"):
        bob.accept_welcome(welcome_into(mallorys))


def test_a_welcome_with_a_swapped_server_shard_lets_bob_into_nothing():
    """Mallory, the relay, swaps the server shard (whoever holds it with the link derives the
    room's first keys): the genesis's commitment refuses it, and Bob has no session until an
    honest WELCOME comes."""
    alice = founded("Alice")
    bob = Admission(alice.origin, alice.link, "Bob")
    honest = WelcomeFrame.decode(welcome_into(alice))
    swapped = WelcomeFrame(os.urandom(32), honest.genesis, honest.log_length).encode()
    with pytest.raises(ProtocolError, match="shard-mismatch"):
        bob.accept_welcome(swapped)
    session, _ = bob.accept_welcome(welcome_into(alice))
    assert session.server_shard == alice.server_shard


def test_a_welcome_for_a_link_opened_on_another_site_is_refused():
    """The genesis names the site it was made on: Bob's link opened elsewhere gets no room."""
    alice = founded("Alice")
    bob = Admission("https://elsewhere.example.org", alice.link, "Bob")
    with pytest.raises(ProtocolError, match="genesis-origin-mismatch"):
        bob.accept_welcome(welcome_into(alice))


def test_bob_coming_back_keeps_the_room_he_had():
    """Bob reconnects (a new WELCOME for the same genesis): he gets the very session he had,
    with its log, epochs and replay memory, so the relay cannot replay what he already saw."""
    alice = founded("Alice")
    bob = joined(alice, "Bob")
    sealed = alice.text("seen once")
    assert shown(bob.receive(sealed)[0]) == ["seen once"]
    again, _ = bob.admission.accept_welcome(welcome_into(alice))
    assert shown(again.receive(sealed)[0]) == []
    assert again is bob


def test_alice_coming_back_to_the_room_she_created_keeps_it():
    """The creator's WELCOME on a later connection names the genesis she made: same session."""
    admission = Admission.new_room(ORIGIN, "Alice", 3600, int(time.time() * 1000))
    alice = admission.accept_created()
    assert alice.is_owner
    again, _ = admission.accept_welcome(welcome_into(alice))
    assert again is alice


def test_a_room_is_created_once():
    """After CREATED the admission has no room left to create: no second CREATE, no second
    owner's session."""
    admission = Admission.new_room(ORIGIN, "Alice", 3600, 1_700_000_000_000)
    admission.accept_created()
    with pytest.raises(RuntimeError):
        admission.create_frame(bytes(32))
    with pytest.raises(RuntimeError):
        admission.accept_created()


def test_only_a_creators_admission_creates_a_room():
    alice = founded("Alice")
    with pytest.raises(RuntimeError):
        Admission(alice.origin, alice.link, "Bob").create_frame(bytes(32))


def test_bob_without_a_ticket_cannot_redeem():
    """An invite-only room asks for a ticket; a link without one has nothing to prove."""
    alice = founded("Alice")
    with pytest.raises(RuntimeError, match="invite link"):
        Admission(alice.origin, alice.link, "Bob").redeem_frame(alice.genesis.event_id)
