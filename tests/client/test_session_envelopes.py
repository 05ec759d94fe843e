"""What a member does with envelopes the relay hands it, honest or not."""

from __future__ import annotations

from atopos_client.events import MemberLeft, MessageReceived
from tests.client.double import founded, joined


def test_an_own_message_echoed_back_by_the_relay_is_dropped():
    """The relay never returns a member's own frames: an echo shows nothing."""
    alice = founded("Alice")
    assert alice.receive(alice.text("said once")) == ([], [])


def test_an_own_goodbye_echoed_back_leaves_the_member_list_alone():
    """An echoed BYE must not take the member out of its own list."""
    alice = founded("Alice")
    alice.receive(alice.bye())
    assert alice.member.ed_pk in alice.members
    assert not any(isinstance(event, MemberLeft) for event in alice.receive(alice.bye())[0])


def test_others_messages_still_arrive():
    alice = founded("Alice")
    bob = joined(alice, "Bob")
    events, _ = bob.receive(alice.text("hello"))
    assert [event.text for event in events if isinstance(event, MessageReceived)] == ["hello"]
