"""The relay's first look at a client frame: version, kind and size, before anything else."""

from __future__ import annotations

import pytest

from atopos_protocol import VERSION
from atopos_protocol.frames import (
    DECLINE_SIZE,
    JOIN_SIZE,
    MAX_CREATE_SIZE,
    MAX_EVENT_FRAME,
    TRANSPORT_MAX_FRAME,
    CloseCode,
    FrameRejected,
    Kind,
    RefusedFrame,
    classify_client_frame,
    envelope_frame_sizes,
)
from atopos_protocol.routing_modes import RoutingMode


def frame(kind: int, size: int, version: int = VERSION) -> bytes:
    return bytes([version, kind]) + bytes(size - 2)


@pytest.mark.parametrize(
    ("raw", "mode", "kind"),
    [
        (frame(0x02, JOIN_SIZE), None, Kind.JOIN),
        (frame(0x01, 300), None, Kind.CREATE),
        (frame(0x05, DECLINE_SIZE), RoutingMode.DIRECT, Kind.DECLINE),
        (frame(0x04, MAX_EVENT_FRAME), RoutingMode.DIRECT, Kind.EVENT),
        (frame(0x10, 310), RoutingMode.DIRECT, Kind.ENVELOPE),
        (frame(0x10, 16438), RoutingMode.TOR, Kind.ENVELOPE),
        (frame(0x10, 1078), RoutingMode.MIX, Kind.ENVELOPE),
    ],
)
def test_well_formed_frames_are_classified(raw, mode, kind):
    """Every client kind at an allowed size passes."""
    assert classify_client_frame(raw, mode) is kind


@pytest.mark.parametrize(
    ("raw", "mode", "code"),
    [
        (b"", None, CloseCode.MALFORMED),
        (b"\x01", None, CloseCode.MALFORMED),
        (frame(0x02, JOIN_SIZE, version=1), None, CloseCode.BAD_VERSION),
        (frame(0x03, 34), None, CloseCode.BAD_KIND),  # protocol v1's END: rooms end by an event
        (frame(0x42, 100), None, CloseCode.BAD_KIND),
        (frame(0x81, 42), None, CloseCode.BAD_KIND),  # a server kind sent by a client
        (frame(0x02, JOIN_SIZE + 1), None, CloseCode.BAD_SIZE),
        (frame(0x05, DECLINE_SIZE - 1), None, CloseCode.BAD_SIZE),
        (frame(0x04, MAX_EVENT_FRAME + 1), None, CloseCode.BAD_SIZE),
        (frame(0x01, MAX_CREATE_SIZE + 1), None, CloseCode.BAD_SIZE),
        (frame(0x10, 311), RoutingMode.DIRECT, CloseCode.BAD_SIZE),
        (frame(0x10, 310), RoutingMode.MIX, CloseCode.BAD_SIZE),
        (frame(0x10, TRANSPORT_MAX_FRAME + 1), RoutingMode.DIRECT, CloseCode.BAD_SIZE),
    ],
)
def test_bad_frames_are_refused_with_their_close_code(raw, mode, code):
    """Each kind of bad frame maps to its documented close code."""
    with pytest.raises(FrameRejected) as refusal:
        classify_client_frame(raw, mode)
    assert refusal.value.close_code is code


def test_envelope_sizes_are_bucket_plus_overhead():
    """The wire sizes listed in PROTOCOL §4.3."""
    assert envelope_frame_sizes(RoutingMode.DIRECT) == {310, 1078, 4150, 16438}
    assert envelope_frame_sizes(RoutingMode.MIX) == {1078}


@pytest.mark.parametrize(
    "reason",
    [b"re-verify your link at https://evil.example", b"\x1b]52;c;aGk=\x07", b"", b"x" * 41],
    ids=["phishing-line", "terminal-escape", "empty", "too-long"],
)
def test_a_refusal_reason_that_is_not_an_error_code_reads_as_unknown(reason):
    """What a relay writes in REFUSED goes no further than the decoder (issue 9, item 16)."""
    frame = bytes([VERSION, Kind.REFUSED]) + bytes(32) + reason
    assert RefusedFrame.decode(frame).reason == "unknown"


def test_a_plain_error_code_is_kept():
    frame = bytes([VERSION, Kind.REFUSED]) + bytes(32) + b"ticket-used"
    assert RefusedFrame.decode(frame).reason == "ticket-used"
