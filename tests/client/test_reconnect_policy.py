"""When the terminal client tries again after its connection drops, and how long it waits."""

from __future__ import annotations

import pytest

from atopos_client.connection import MAX_BACKOFF_SECONDS, backoff_seconds, worth_retrying
from atopos_protocol.frames import CloseCode


def test_the_first_try_comes_within_a_second() -> None:
    assert backoff_seconds(1, lambda: 0.0) == 0.5
    assert backoff_seconds(1, lambda: 1.0) == 1.0


def test_waits_double_and_stop_growing_at_thirty_seconds() -> None:
    waits = [backoff_seconds(attempt, lambda: 1.0) for attempt in range(1, 9)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert max(waits) == MAX_BACKOFF_SECONDS


def test_jitter_spreads_clients_over_half_the_wait() -> None:
    assert backoff_seconds(5, lambda: 0.0) == 8.0
    assert backoff_seconds(5, lambda: 0.5) == 12.0


@pytest.mark.parametrize("code", [1006, 1001, 1011, 1012, CloseCode.RATE_LIMITED])
def test_a_dropped_network_or_a_restarting_relay_is_worth_retrying(code: int) -> None:
    assert worth_retrying(code)


@pytest.mark.parametrize(
    "code",
    [CloseCode.ROOM_ENDED, CloseCode.ROOM_EXPIRED, CloseCode.ROOM_UNAVAILABLE, CloseCode.KICKED,
     CloseCode.ADMISSION_REFUSED, CloseCode.ROOM_FULL, 4100, 4199],
)  # fmt: skip
def test_an_ended_room_a_removal_or_a_refusal_is_final(code: int) -> None:
    assert not worth_retrying(code)
