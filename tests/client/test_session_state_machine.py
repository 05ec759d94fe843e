"""Three members talking through a relay double, in any order hypothesis picks.

Alice (owner), Bob and Carol send texts and governance changes; the relay
delivers one frame at a time to whoever hypothesis chooses, replays old
envelopes, and any member's connection drops: what was on its way to that
member is lost, a message it was sending may never reach the relay, and it
comes back on a new socket (a second WELCOME) mid-talk. Whatever the
interleaving: nobody is shown a message twice, each sender's messages appear
in the order sent, and once everyone is back and the relay has delivered
everything, every member has seen every message of the others exactly once
(resent by their senders, never stored by the relay) and all hold the same log
head and safety phrase.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from atopos_client.delivery import Chain, SentMessages
from atopos_client.events import MessageReceived
from atopos_client.replay import ReplayGuard
from atopos_client.session import RoomSession, SendingPaused
from tests.client.double import RelayDouble, founded, governance_frame, joined, welcome_into

NAMES = ("Alice", "Bob", "Carol")


class Conversation(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        alice = founded("Alice")
        self.relay = RelayDouble(alice)
        self.relay.enter(alice)
        bob = joined(alice, "Bob")
        self.relay.enter(bob)
        carol = joined(alice, "Carol")
        self.relay.enter(carol)
        self.members: dict[str, RoomSession] = {"Alice": alice, "Bob": bob, "Carol": carol}
        self.sent: dict[str, list[str]] = {name: [] for name in NAMES}
        self.counter = 0

    def shown(self, name: str) -> list[tuple[str, str]]:
        """(sender, text) of every message ``name`` was shown, in order."""
        return [
            (event.sender.name, event.text)
            for event in self.relay.events_of(self.members[name])
            if isinstance(event, MessageReceived)
        ]

    @rule(speaker=st.sampled_from(NAMES))
    def say(self, speaker: str) -> None:
        self.counter += 1
        text = f"{speaker} #{self.counter}"
        try:
            frame = self.members[speaker].text(text)
        except SendingPaused:
            return
        self.sent[speaker].append(text)
        self.relay.send(self.members[speaker], [frame])

    @rule(name=st.sampled_from(NAMES))
    def deliver_one(self, name: str) -> None:
        session = self.members[name]
        inbox = self.relay.inbox[id(session)]
        if inbox:
            events, replies = session.receive(inbox.popleft())
            self.relay.seen[id(session)] += events
            self.relay.send(session, replies)

    @precondition(lambda self: self.relay.wiretap)
    @rule(name=st.sampled_from(NAMES), pick=st.integers(min_value=0))
    def replay(self, name: str, pick: int) -> None:
        """The relay sends someone an envelope it already relayed (or the sender's own)."""
        self.relay.inject(self.members[name], self.relay.wiretap[pick % len(self.relay.wiretap)])

    @rule(promote=st.booleans())
    def alice_changes_bobs_role(self, promote: bool) -> None:
        alice, bob = self.members["Alice"], self.members["Bob"]
        is_admin = bob.member.ed_pk in alice.state.admins
        if promote != is_admin:
            change = alice.promote if promote else alice.demote
            self.relay.send(alice, change(bob.member.ed_pk))
            self.relay.publish()

    @rule(speaker=st.sampled_from(NAMES))
    def say_as_the_connection_dies(self, speaker: str) -> None:
        """The message leaves the client but never reaches the relay: no ACK comes back."""
        self.counter += 1
        text = f"{speaker} #{self.counter}"
        try:
            self.members[speaker].text(text)
        except SendingPaused:
            return
        self.sent[speaker].append(text)
        self.comes_back_on_a_new_socket(speaker)

    @rule(name=st.sampled_from(NAMES))
    def comes_back_on_a_new_socket(self, name: str) -> None:
        """The connection drops (whatever was on its way to ``name`` is lost), then a second
        WELCOME, the whole log again (events it holds among them), its hello, its resends
        and its SYNC."""
        session, alice = self.members[name], self.members["Alice"]
        self.relay.inbox[id(session)].clear()
        again, log_length = session.admission.accept_welcome(welcome_into(alice))
        assert again is session
        log = [governance_frame(raw) for raw in alice.membership.resolution.events]
        assert len(log) == log_length
        events, replies = session.catch_up(log)
        refusals, frames = session.entered()
        self.relay.seen[id(session)] += [*events, *refusals]
        self.relay.send(session, [*replies, *frames])

    @rule()
    def relay_delivers_everything(self) -> None:
        self.relay.publish()
        self.relay.run()
        for name in NAMES:  # everyone comes back: what the relay lost is sent again
            self.comes_back_on_a_new_socket(name)
            self.relay.publish()
            self.relay.run()
        for name in NAMES:
            others = [(sender, text) for sender in NAMES if sender != name
                      for text in self.sent[sender]]  # fmt: skip
            assert sorted(self.shown(name)) == sorted(others)
        heads = {session.membership.head for session in self.members.values()}
        phrases = {session.phrase for session in self.members.values()}
        assert len(heads) == 1
        assert len(phrases) == 1

    @invariant()
    def nobody_is_shown_a_message_twice(self) -> None:
        for name in NAMES:
            shown = self.shown(name)
            assert len(shown) == len(set(shown))

    @invariant()
    def each_senders_messages_appear_in_the_order_sent(self) -> None:
        for name in NAMES:
            shown = self.shown(name)
            for sender in NAMES:
                seen = [text for who, text in shown if who == sender]
                assert seen == [text for text in self.sent[sender] if text in seen]


Conversation.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_a_conversation_in_any_order = Conversation.TestCase


def test_without_the_replay_guard_and_message_ids_a_message_is_shown_twice(monkeypatch) -> None:
    """The machine can fail: with replays let through and message ids ignored, hypothesis
    finds a duplicate."""
    monkeypatch.setattr(ReplayGuard, "accept", lambda self, epoch_id, plaintext, now_ms: None)
    monkeypatch.setattr(Chain, "copy", lambda self, message: False)

    with pytest.raises(AssertionError):
        run_state_machine_as_test(
            Conversation,
            settings=settings(Conversation.TestCase.settings, report_multiple_bugs=False),
        )


def test_without_resends_and_answers_a_message_lost_on_its_way_is_never_shown(
    monkeypatch,
) -> None:
    """The machine can fail: a client that neither sends its unacknowledged messages again
    nor answers SYNCs loses what never reached the relay (either one alone recovers it)."""
    monkeypatch.setattr(SentMessages, "unsent", lambda self: [])
    monkeypatch.setattr(SentMessages, "owed", lambda self, now_ms, at_once=False: ([], None))

    with pytest.raises(AssertionError):
        run_state_machine_as_test(
            Conversation,
            settings=settings(Conversation.TestCase.settings, report_multiple_bugs=False),
        )
