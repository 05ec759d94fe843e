"""Properties of sealing: any message round-trips, any single-bit change is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atopos_client.envelope import Plaintext, open_envelope, seal
from atopos_client.messages import ChatMessage, InnerKind, max_text_bytes
from atopos_client.replay import SEQ_LEAD_MS, ReplayGuard
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import BUCKETS, ENVELOPE_OVERHEAD
from atopos_protocol.routing_modes import RoutingMode
from tests.protocol.vectors import room_context

ROOM_ID, _, EPOCH = room_context("room/direct-open")
EPOCHS = {EPOCH.epoch_id: EPOCH}
SENDER = bytes(range(32))
HEAD = bytes(32)
modes = st.sampled_from(list(RoutingMode))


TIME = 1_700_000_000_000


def text_message(mode: RoutingMode) -> st.SearchStrategy[str]:
    """UTF-8 text of any length the mode carries (up to its maximum)."""
    limit = max_text_bytes(mode)
    return st.text(min_size=1, max_size=limit).filter(lambda t: len(t.encode("utf-8")) <= limit)


@st.composite
def chat_messages(draw: st.DrawFn, mode: RoutingMode) -> ChatMessage:
    """A first sending or a resend: any number, a predecessor before it, sent before now."""
    sent_ms = draw(st.integers(TIME - 7 * 86_400_000, TIME))
    message_id = draw(st.integers(sent_ms, min(sent_ms + 60_000, TIME + 60_000)))
    number = draw(st.integers(1, 2**32 - 1))
    prev = 0 if number == 1 else draw(st.integers(1, message_id - 1))
    return ChatMessage(message_id, number, prev, sent_ms, draw(text_message(mode)))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), mode=modes, ahead=st.integers(0, 60_000))
def test_any_text_of_any_size_round_trips(data, mode, ahead):
    """Whatever the message and mode, opening the sealed frame gives the same plaintext."""
    message = data.draw(chat_messages(mode))
    seq = max(message.id, TIME + ahead)
    body = message.encode(mode)
    plaintext = Plaintext(InnerKind.TEXT, SENDER, seq, HEAD, TIME, body)
    frame = seal(EPOCH, ROOM_ID, plaintext, mode)
    assert len(frame) - ENVELOPE_OVERHEAD in BUCKETS[mode]
    _, opened = open_envelope(frame, ROOM_ID, mode, EPOCHS)
    assert opened == plaintext
    assert ChatMessage.decode(opened.body, mode) == message


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=300), bit=st.integers(min_value=0))
def test_any_single_bit_change_is_refused(body, bit):
    """Flipping any one bit anywhere in a frame makes it fail to open."""
    text = body.decode("utf-8", errors="replace").encode("utf-8")[:300] or b"x"
    plaintext = Plaintext(InnerKind.TEXT, SENDER, 1, HEAD, 1_700_000_000_000, text)
    frame = bytearray(seal(EPOCH, ROOM_ID, plaintext, RoutingMode.DIRECT))
    position = bit % (len(frame) * 8)
    frame[position // 8] ^= 1 << (position % 8)
    with pytest.raises(ProtocolError) as failure:
        open_envelope(bytes(frame), ROOM_ID, RoutingMode.DIRECT, EPOCHS)
    assert failure.value.code in {"bad-version", "bad-kind", "unknown-epoch", "bad-tag"}


NOW = 1_000_000_000


@given(st.permutations(list(range(8))))
def test_each_frame_is_accepted_exactly_once_in_any_order(order):
    """However the relay reorders or repeats frames, each (sender, seq) is accepted once:
    a frame that arrives late is not a replay, only a second copy is."""
    guard = ReplayGuard(admitted_at_ms=NOW)
    accepted = []
    refusals = set()
    for index in [*order, *order]:
        plaintext = Plaintext(InnerKind.TEXT, SENDER, NOW + index, HEAD, NOW, b"x")
        try:
            guard.accept(EPOCH.epoch_id, plaintext, now_ms=NOW)
        except ProtocolError as failure:
            refusals.add(failure.code)
        else:
            accepted.append(index)
    assert refusals == {"replay"}
    assert sorted(accepted) == list(range(8))


@given(forged=st.integers(0, 2**53 - 1), later=st.lists(st.integers(0, 59_000), max_size=20))
def test_a_forged_sequence_number_never_mutes_its_sender(forged, later):
    """Mallory seals one frame in Bob's name with any seq she likes; every honest frame Bob
    sends afterwards, with its own seq, is still accepted (the attack of issue 9, item 5)."""
    guard = ReplayGuard(admitted_at_ms=NOW)
    forgery = Plaintext(InnerKind.TEXT, SENDER, forged, HEAD, NOW, b"mute")
    if NOW <= forged <= NOW + SEQ_LEAD_MS:
        guard.accept(EPOCH.epoch_id, forgery, now_ms=NOW)  # within the lead: one slot burnt
    else:
        with pytest.raises(ProtocolError, match="bad-seq"):
            guard.accept(EPOCH.epoch_id, forgery, now_ms=NOW)
    for offset in sorted(set(later) - {forged - NOW}):
        honest = Plaintext(InnerKind.TEXT, SENDER, NOW + 1 + offset, HEAD, NOW + 1, b"hi")
        guard.accept(EPOCH.epoch_id, honest, now_ms=NOW + 1)


def test_a_replay_after_the_guard_forgot_the_frame_is_stale():
    """Frames leave the guard's memory only once their age alone refuses them."""
    guard = ReplayGuard(admitted_at_ms=NOW)
    frame = Plaintext(InnerKind.TEXT, SENDER, NOW, HEAD, NOW, b"x")
    guard.accept(EPOCH.epoch_id, frame, now_ms=NOW)
    with pytest.raises(ProtocolError) as failure:
        guard.accept(EPOCH.epoch_id, frame, now_ms=NOW + 200_000)
    assert failure.value.code == "stale"


def test_a_replay_after_the_clock_steps_back_is_still_stale():
    """The receiver's clock runs ahead, the guard forgets an old frame, then the clock is set
    back: the relay's replay of that frame is refused stale, never taken as new."""
    guard = ReplayGuard(admitted_at_ms=NOW)
    frame = Plaintext(InnerKind.TEXT, SENDER, NOW, HEAD, NOW, b"x")
    guard.accept(EPOCH.epoch_id, frame, now_ms=NOW)
    later = Plaintext(InnerKind.TEXT, SENDER, NOW + 200_000, HEAD, NOW + 200_000, b"y")
    guard.accept(EPOCH.epoch_id, later, now_ms=NOW + 200_000)
    with pytest.raises(ProtocolError) as failure:
        guard.accept(EPOCH.epoch_id, frame, now_ms=NOW + 1_000)
    assert failure.value.code == "stale"
