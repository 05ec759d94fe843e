"""The chaos run's small profile: relays SIGKILLed, Redis SIGKILLed, client networks cut,
through Debian's nginx in front of two daphne processes; nothing acknowledged is lost,
nothing is shown twice, nothing out of its sender's order (make chaos runs the full one)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from atopos_site.testing.nginx import nginx_available
from bench.chaos import PROFILES, run

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not nginx_available(), reason="needs Debian's nginx: apt-get install nginx"),
]


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    return asyncio.run(run(PROFILES["ci"], seed=12))


def test_the_chaos_happened(result):
    actions = result["actions"]
    assert actions["kill-relay"] >= 2
    assert actions["kill-redis"] == 1
    assert actions["drop"] >= 5
    assert result["reconnects"] >= actions["drop"]


def test_every_member_kept_talking(result):
    assert result["sent"] >= 100
    assert result["clients_closed"] == []
    assert result["acknowledged"] == result["sent"]


def test_no_acknowledged_message_is_lost(result):
    assert result["lost"] == 0, result["lost_examples"]
    assert result["deliveries_of_acknowledged_expected"] > 0


def test_no_message_is_shown_twice(result):
    assert result["duplicates_shown"] == 0


def test_no_message_is_shown_out_of_its_senders_order(result):
    assert result["reordered_per_sender"] == 0
