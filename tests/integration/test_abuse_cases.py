"""Each abuse case leaves a victim room working: every message its members send is shown.

A short run of bench/abuse.py (make abuse runs 20 s per phase and writes the
figures docs/PERFORMANCE.md quotes): Mallory floods from her own room, opens
hundreds of idle sockets, churns joins, and reads nothing in the victim room
while its members send their largest messages.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from atopos_site.testing.nginx import nginx_available
from bench.abuse import IDLE_SOCKETS, run

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not nginx_available(), reason="needs Debian's nginx: apt-get install nginx"),
]


@pytest.fixture(scope="module")
def phases() -> dict[str, Any]:
    return asyncio.run(run(seconds=5))["phases"]


@pytest.mark.parametrize(
    "phase", ["baseline", "flood", "idle sockets", "reconnect churn", "slow reader"]
)
def test_the_victim_room_shows_every_message_during(phases, phase):
    result = phases[phase]
    assert result["victim_deliveries_expected"] > 0
    assert result["victim_deliveries_shown"] == result["victim_deliveries_expected"]


def test_the_flood_is_cut_off_again_and_again(phases):
    """The relay closes the flooder (4029; her side mostly sees the TCP connection drop,
    1006, since she goes on writing after the close)."""
    assert sum(phases["flood"]["mallory"]["closed_with"].values()) >= 1


def test_the_idle_sockets_were_really_open(phases):
    assert phases["idle sockets"]["mallory"]["opened"] == IDLE_SOCKETS


def test_the_churn_really_joined_again_and_again(phases):
    assert phases["reconnect churn"]["mallory"].get("joined", 0) >= 5
