"""Properties of sealing: any message round-trips, any single-bit change is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.protocol.envelope import Plaintext, open_envelope, seal
from rooms.protocol.errors import ProtocolError
from rooms.protocol.frames import BUCKETS, ENVELOPE_OVERHEAD
from rooms.protocol.messages import InnerKind, max_text_bytes
from rooms.protocol.replay import ReplayGuard
from rooms.routing_modes import RoutingMode
from tests.protocol.vectors import room_context

ROOM_ID, _, EPOCH = room_context("room/direct-open")
EPOCHS = {EPOCH.epoch_id: EPOCH}
SENDER = bytes(range(32))
HEAD = bytes(32)
modes = st.sampled_from(list(RoutingMode))


def text_message(mode: RoutingMode) -> st.SearchStrategy[bytes]:
    """UTF-8 text of any length the mode carries (up to its maximum)."""
    limit = max_text_bytes(mode)
    return (
        st.text(min_size=1, max_size=limit)
        .map(lambda text: text.encode("utf-8"))
        .filter(lambda body: len(body) <= limit)
    )


@settings(max_examples=150, deadline=None)
@given(data=st.data(), mode=modes, seq=st.integers(1, 2**53 - 1))
def test_any_text_of_any_size_round_trips(data, mode, seq):
    """Whatever the text and mode, opening the sealed frame gives the same plaintext."""
    body = data.draw(text_message(mode))
    plaintext = Plaintext(InnerKind.TEXT, SENDER, seq, HEAD, 1_700_000_000_000, body)
    frame = seal(EPOCH, ROOM_ID, plaintext, mode)
    assert len(frame) - ENVELOPE_OVERHEAD in BUCKETS[mode]
    _, opened = open_envelope(frame, ROOM_ID, mode, EPOCHS)
    assert opened == plaintext


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


@given(st.permutations(list(range(1, 9))))
def test_each_sequence_number_is_accepted_at_most_once(order):
    """However the relay reorders or repeats frames, no (sender, seq) is accepted twice."""
    guard = ReplayGuard(admitted_at_ms=1_000_000)
    accepted = []
    refusals = set()
    for seq in [*order, *order]:
        plaintext = Plaintext(InnerKind.TEXT, SENDER, seq, HEAD, 1_000_000, b"x")
        try:
            guard.accept(EPOCH.epoch_id, plaintext, now_ms=1_000_000)
        except ProtocolError as failure:
            refusals.add(failure.code)
        else:
            accepted.append(seq)
    assert refusals <= {"replay"}
    assert len(accepted) == len(set(accepted))
    assert accepted == sorted(accepted)
