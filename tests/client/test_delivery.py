"""Receivers show each message once, in its sender's order, and show what was lost as a gap.

Bob's messages reach Alice through a relay that may repeat, reorder and drop
them; Mallory (a member, so she can seal anything in Bob's name) forges
messages to hide Bob's. The inbox must never show a message twice, never show
Bob's messages out of his order except one that arrives after its gap was
shown, and never hide a real message because of a forgery.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atopos_client.delivery import (
    ABSENT_WAIT_MS,
    ANSWER_MESSAGES,
    ANSWER_WINDOW_MS,
    HELD_PER_SENDER,
    HISTORY_MESSAGES,
    Answered,
    Chain,
    Inbox,
    Missed,
    SentMessages,
    Shown,
)
from atopos_client.messages import ChatMessage, SyncEntry

ALICE = b"a" * 32
BOB = b"b" * 32
CAROL = b"c" * 32
NOW = 1_800_000_000_000


def bobs_messages(count: int, start: int = NOW) -> list[ChatMessage]:
    """Bob's messages 1..count as his client numbers them."""
    sent = SentMessages()
    return [sent.compose(f"bob {n}", start + 10 * n, start + 10 * n) for n in range(1, count + 1)]


def texts(deliveries: list[Shown | Missed]) -> list[str]:
    return [d.message.text if isinstance(d, Shown) else f"<missed {d.count}>" for d in deliveries]


def alice_receives(inbox: Inbox, messages: list[ChatMessage], now: int = NOW) -> list[str]:
    shown: list[Shown | Missed] = []
    for message in messages:
        shown += inbox.accept(BOB, message, now)
    return texts(shown)


def test_messages_in_order_are_shown_as_they_come():
    messages = bobs_messages(3)
    assert alice_receives(Inbox(NOW), messages) == ["bob 1", "bob 2", "bob 3"]


def test_a_copy_is_shown_once():
    one, two = bobs_messages(2)
    assert alice_receives(Inbox(NOW), [one, two, one, two, two]) == ["bob 1", "bob 2"]


def test_a_message_that_overtook_another_waits_for_it():
    one, two, three = bobs_messages(3)
    inbox = Inbox(NOW)
    assert alice_receives(inbox, [one, three]) == ["bob 1"]
    assert inbox.to_ask(NOW) == [BOB]
    assert alice_receives(inbox, [two]) == ["bob 2", "bob 3"]
    assert inbox.due(NOW + ABSENT_WAIT_MS) == []


def test_what_the_sender_no_longer_holds_is_shown_as_a_gap_with_its_count():
    one, _, _, four = bobs_messages(4)
    inbox = Inbox(NOW)
    assert alice_receives(inbox, [one, four]) == ["bob 1"]
    assert inbox.to_ask(NOW) == [BOB]
    # Bob has sent again all he still holds after 1 (neither 2 nor 3): SYNCED ends it.
    assert texts(inbox.synced(BOB, one.id)) == ["<missed 2>", "bob 4"]


def test_an_answer_from_after_what_alice_lacks_changes_nothing():
    """Bob answered Carol, who had more than Alice: Alice's own answer is still to come."""
    one, two, three, four = bobs_messages(4)
    inbox = Inbox(NOW)
    alice_receives(inbox, [one, four])
    assert inbox.synced(BOB, two.id) == []
    assert alice_receives(inbox, [two, three]) == ["bob 2", "bob 3", "bob 4"]


def test_a_sender_who_does_not_answer_is_waited_for_and_asked_again_when_back():
    """Bob does not answer (his connection dropped too: a relay that dies tells nobody):
    Alice waits for him, and asks again once his hello says he is back."""
    one, _, three = bobs_messages(3)
    inbox = Inbox(NOW)
    alice_receives(inbox, [one, three])
    assert inbox.to_ask(NOW) == [BOB]
    assert inbox.due(NOW + 20_000) == []
    inbox.hello(BOB, three.id, three.number, NOW + 20_000)
    assert inbox.to_ask(NOW + 20_000) == [BOB]
    assert texts(inbox.synced(BOB, one.id)) == ["<missed 1>", "bob 3"]


def test_a_sender_who_never_answers_leaves_a_gap_after_a_minute():
    one, _, three = bobs_messages(3)
    inbox = Inbox(NOW)
    alice_receives(inbox, [one, three])
    assert inbox.to_ask(NOW) == [BOB]
    assert inbox.due(NOW + ABSENT_WAIT_MS - 1) == []
    assert texts(inbox.due(NOW + ABSENT_WAIT_MS)) == ["<missed 1>", "bob 3"]


def test_a_message_arriving_after_its_gap_is_shown_late_never_twice():
    one, two, three = bobs_messages(3)
    inbox = Inbox(NOW)
    alice_receives(inbox, [one, three])
    inbox.due(NOW + ABSENT_WAIT_MS)
    late = inbox.accept(BOB, two, NOW + ABSENT_WAIT_MS + 1)
    assert [(d.message.text, d.late) for d in late if isinstance(d, Shown)] == [("bob 2", True)]
    assert inbox.accept(BOB, two, NOW + ABSENT_WAIT_MS + 2) == []


def test_a_hello_naming_a_later_message_starts_the_wait_for_it():
    """Alice was away: Bob's hello says he sent message 3; nobody resends 2 and 3."""
    one, _, three = bobs_messages(3)
    inbox = Inbox(NOW)
    alice_receives(inbox, [one])
    inbox.hello(BOB, three.id, three.number, NOW)
    assert inbox.entries(inbox.to_ask(NOW)) == [SyncEntry(BOB, one.id, 1)]
    assert texts(inbox.synced(BOB, one.id)) == ["<missed 2>"]


def test_the_answer_to_a_sync_fills_the_gap_a_hello_announced():
    one, two, three = bobs_messages(3)
    inbox = Inbox(NOW)
    alice_receives(inbox, [one])
    inbox.hello(BOB, three.id, three.number, NOW)
    assert alice_receives(inbox, [two, three]) == ["bob 2", "bob 3"]
    assert inbox.due(NOW + ABSENT_WAIT_MS) == []


def test_a_first_hello_is_a_baseline_not_a_gap():
    """Bob talked before Alice came in: nothing of that is owed to her."""
    earlier = bobs_messages(5, start=NOW - 60_000)
    inbox = Inbox(NOW)
    inbox.hello(BOB, earlier[-1].id, 5, NOW)
    later = SentMessages()
    later.last_id, later.last_number = earlier[-1].id, 5
    six = later.compose("bob 6", NOW + 5, NOW + 5)
    assert alice_receives(inbox, [six]) == ["bob 6"]
    assert inbox.due(NOW + ABSENT_WAIT_MS) == []


def test_a_resend_from_before_alice_was_let_in_is_never_shown():
    """Bob answers Carol's SYNC with messages Alice never had the right to read."""
    old = bobs_messages(2, start=NOW - 10 * 60_000)
    assert alice_receives(Inbox(NOW), old) == []


def test_a_forged_message_cannot_hide_bobs_next_ones():
    """Mallory seals a message in Bob's name with a huge number and an id a minute ahead."""
    one, two, three = bobs_messages(3)
    inbox = Inbox(NOW)
    alice_receives(inbox, [one])
    forged = ChatMessage(NOW + 60_000, 2**32 - 1, one.id, NOW, "forged")
    assert alice_receives(inbox, [forged, two, three]) == ["forged", "bob 2", "bob 3"]


def test_a_forged_hello_cannot_hide_bobs_next_ones():
    one, two = bobs_messages(2)
    inbox = Inbox(NOW)
    inbox.hello(BOB, NOW + 59_000, 2**32 - 1, NOW)  # before Bob's own hello
    assert alice_receives(inbox, [one, two]) == ["bob 1", "bob 2"]


def test_a_forgery_that_guesses_the_id_of_bobs_next_message_hides_that_one_only():
    """The documented limit: ids are the sender's clock in milliseconds, so a forger who
    hits the exact millisecond of Bob's next message burns it, and nothing after it."""
    one, two, three = bobs_messages(3)
    inbox = Inbox(NOW)
    alice_receives(inbox, [one])
    forged = ChatMessage(two.id, 2, one.id, two.sent_ms, "forged")
    assert alice_receives(inbox, [forged, two, three]) == ["forged", "bob 3"]


def test_too_many_waiting_messages_show_the_gap_at_once():
    messages = bobs_messages(HELD_PER_SENDER + 3)
    inbox = Inbox(NOW)
    shown = alice_receives(inbox, [messages[0], *messages[2:]])
    assert shown[:3] == ["bob 1", "<missed 1>", "bob 3"]
    assert len(shown) == len(messages)


def test_senders_are_ordered_independently():
    inbox = Inbox(NOW)
    bob_one = bobs_messages(1)[0]
    carol_one = SentMessages().compose("carol 1", NOW + 1, NOW + 1)
    assert inbox.accept(BOB, bob_one, NOW)
    assert inbox.accept(BOB, ChatMessage(NOW + 99, 3, NOW + 50, NOW + 99, "bob 3"), NOW) == []
    assert texts(inbox.accept(CAROL, carol_one, NOW)) == ["carol 1"]


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    count=st.integers(1, 12),
    copies=st.lists(st.integers(0, 11), max_size=12),
    dropped=st.sets(st.integers(0, 11)),
)
def test_any_delivery_shows_each_message_once_and_in_order(data, count, copies, dropped):
    """Whatever the relay repeats, reorders and drops, and whatever gaps time out: no message
    shows twice, every message that arrives shows, and everything not late is in order."""
    messages = bobs_messages(count)
    arriving = [m for i, m in enumerate(messages) if i not in dropped]
    arriving += [messages[i] for i in copies if i < count]
    order = data.draw(st.permutations(arriving))
    inbox = Inbox(NOW)
    deliveries: list[Shown | Missed] = []
    for step, message in enumerate(order):
        deliveries += inbox.accept(BOB, message, NOW + step)
        if data.draw(st.booleans()):
            deliveries += inbox.due(NOW + step + ABSENT_WAIT_MS)
    deliveries += inbox.due(NOW + len(order) + ABSENT_WAIT_MS)
    shown = [d for d in deliveries if isinstance(d, Shown)]
    numbers = [d.message.number for d in shown]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == {m.number for m in arriving}
    in_order = [d.message.number for d in shown if not d.late]
    assert in_order == sorted(in_order)


@settings(max_examples=200, deadline=None)
@given(
    forged=st.lists(
        st.tuples(st.integers(NOW, NOW + 60_000), st.integers(1, 2**32 - 1), st.integers(0, 99)),
        max_size=6,
    ),
    positions=st.lists(st.integers(0, 9), max_size=6),
)
def test_forgeries_never_hide_a_real_message(forged, positions):
    """Mallory slips forged messages in Bob's name anywhere into his stream: every real
    message of Bob's still shows, once. (A forgery that takes the exact id of a message Bob
    has yet to send, the millisecond he will send it, hides that one message: the test
    below.)"""
    messages = bobs_messages(8)
    real_ids = {message.id for message in messages}
    stream: list[ChatMessage] = list(messages)
    for (message_id, number, prev_pick), position in zip(forged, positions, strict=False):
        if message_id in real_ids:
            continue
        prev = 0 if number == 1 else min(message_id - 1, messages[prev_pick % 8].id)
        forgery = ChatMessage(message_id, number, prev, NOW, "forged")
        stream.insert(position % (len(stream) + 1), forgery)
    inbox = Inbox(NOW)
    deliveries: list[Shown | Missed] = []
    for step, message in enumerate(stream):
        deliveries += inbox.accept(BOB, message, NOW + step)
    deliveries += inbox.due(NOW + len(stream) + ABSENT_WAIT_MS)
    real = [d.message.text for d in deliveries if isinstance(d, Shown) and d.message in messages]
    assert sorted(real) == sorted(m.text for m in messages)


def test_a_message_stays_pending_until_its_envelope_is_acknowledged():
    sent = SentMessages()
    message = sent.compose("hi", NOW, NOW)
    sent.carried(b"n" * 24, message)
    assert sent.unsent() == []
    sent.acknowledged(b"x" * 24)
    assert list(sent.pending.values()) == [message]
    sent.acknowledged(b"n" * 24)
    assert sent.pending == {}


def test_after_a_lost_connection_unacknowledged_messages_go_again_in_order():
    sent = SentMessages()
    first, second = sent.compose("one", NOW, NOW), sent.compose("two", NOW + 1, NOW + 1)
    sent.carried(b"1" * 24, first)
    sent.carried(b"2" * 24, second)
    sent.acknowledged(b"1" * 24)
    sent.connection_lost()
    assert sent.unsent() == [second]
    assert (second.prev, second.number) == (first.id, 2)


def answer(sent: SentMessages, asker: bytes, entry: SyncEntry, now: int) -> list[ChatMessage]:
    """``asker``'s sync to Alice arrives and is answered at once, as a session does."""
    sent.asked(asker, entry)
    return sent.owed(now, at_once=True)[0]


def test_answers_resend_what_follows_the_askers_last_message_then_say_they_are_done():
    sent = SentMessages()
    messages = [sent.compose(f"m{n}", NOW + n, NOW + n) for n in range(5)]
    sent.asked(CAROL, SyncEntry(ALICE, messages[1].id, 2))
    assert sent.owed(NOW, at_once=True) == (messages[2:], Answered(messages[1].id, (CAROL,)))


def test_an_answer_with_nothing_left_to_resend_still_says_it_is_done():
    """Bob no longer holds anything after what Carol names: SYNCED tells her at once."""
    sent = SentMessages()
    messages = [sent.compose(f"m{n}", NOW + n, NOW + n) for n in range(3)]
    sent.asked(CAROL, SyncEntry(ALICE, messages[2].id, 3))
    assert sent.owed(NOW, at_once=True) == ([], Answered(messages[2].id, (CAROL,)))


def test_syncs_right_after_an_answer_are_answered_together_once_by_the_timer():
    """After a relay restart Bob and Carol both ask: Alice answers Bob at once and then both,
    from the earliest message either lacks, in one resend (it reaches the whole room)."""
    sent = SentMessages()
    messages = [sent.compose(f"m{n}", NOW + n, NOW + n) for n in range(6)]
    assert answer(sent, BOB, SyncEntry(ALICE, messages[3].id, 4), NOW) == messages[4:]
    assert answer(sent, CAROL, SyncEntry(ALICE, messages[1].id, 2), NOW + 10) == []
    assert answer(sent, BOB, SyncEntry(ALICE, messages[2].id, 3), NOW + 20) == []
    assert sent.owed(NOW + 1_000) == (messages[2:], Answered(messages[1].id, (CAROL, BOB)))
    assert sent.owed(NOW + 1_100) == ([], None)


def test_an_answer_cut_by_the_budget_goes_on_in_the_next_window_and_only_then_is_done():
    sent = SentMessages()
    messages = [sent.compose(f"m{n}", NOW + n, NOW + n) for n in range(ANSWER_MESSAGES + 8)]
    sent.asked(CAROL, SyncEntry(ALICE, 0, 0))
    assert sent.owed(NOW, at_once=True) == (messages[:ANSWER_MESSAGES], None)
    assert sent.owed(NOW + ANSWER_WINDOW_MS - 1) == ([], None)
    done_after = messages[ANSWER_MESSAGES - 1].id
    answered = Answered(done_after, (CAROL,))
    assert sent.owed(NOW + ANSWER_WINDOW_MS) == (messages[ANSWER_MESSAGES:], answered)


def test_answers_are_bounded_however_often_mallory_asks():
    sent = SentMessages()
    for n in range(HISTORY_MESSAGES + 50):
        sent.compose(f"m{n}", NOW + n, NOW + n)
    assert len(sent.history) == HISTORY_MESSAGES
    resent = sum(len(answer(sent, CAROL, SyncEntry(ALICE, 0, 0), NOW + i)) for i in range(20))
    resent += sum(len(sent.owed(NOW + 100 + i)[0]) for i in range(20))  # the timer, meanwhile
    assert resent == ANSWER_MESSAGES
    assert len(sent.owed(NOW + ANSWER_WINDOW_MS)[0]) == ANSWER_MESSAGES


def test_without_the_id_memory_hypothesis_finds_a_message_shown_twice(monkeypatch):
    """The property can fail: an inbox that forgets what it showed shows copies."""
    monkeypatch.setattr(Chain, "copy", lambda self, message: False)
    with pytest.raises(AssertionError):
        test_any_delivery_shows_each_message_once_and_in_order()


def test_with_a_high_water_mark_hypothesis_finds_a_forgery_that_hides_bob(monkeypatch):
    """The property can fail: taking every id below the highest shown as a copy (a
    high-water mark) lets one forged id a minute ahead hide Bob's next messages."""
    kept = Chain.copy

    def high_water_mark(self: Chain, message: ChatMessage) -> bool:
        return kept(self, message) or (bool(self.shown) and message.id <= max(self.shown))

    monkeypatch.setattr(Chain, "copy", high_water_mark)
    with pytest.raises(AssertionError):
        test_forgeries_never_hide_a_real_message()


def test_a_sync_names_the_last_message_before_the_gap_not_a_forgery_a_minute_ahead():
    one, _, three = bobs_messages(3)
    inbox = Inbox(NOW)
    forged = ChatMessage(NOW + 59_000, 2**32 - 1, one.id, NOW, "forged")
    assert alice_receives(inbox, [one, forged, three]) == ["bob 1", "forged"]
    assert inbox.entries(inbox.to_ask(NOW)) == [SyncEntry(BOB, one.id, 1)]
    assert inbox.synced(BOB, forged.id) == []  # an answer after the forgery covers nothing
