"""Two Python clients talk through a real daphne process and a real Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from atopos_client.connection import RoomClient, RoomUnavailable
from atopos_client.events import MemberJoined, MessageReceived, RoomClosed
from tests.support.live_site import live_site
from tests.support.processes import ROOT

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with live_site(tmp_path_factory.mktemp("clients")) as running:
        yield running


async def first(client: RoomClient, kind: type) -> object:
    while True:
        event = await client.next_event(timeout=10)
        if isinstance(event, kind):
            return event


def test_two_clients_create_join_and_talk(site):
    """Alice creates, Bob joins by link; messages flow both ways; ending closes both."""

    async def scenario() -> None:
        alice = await RoomClient.create(site.url("").rstrip("/"), "Alice")
        bob = await RoomClient.join(alice.link, "Bob")
        assert (await first(alice, MemberJoined)).member.name == "Bob"
        assert (await first(bob, MemberJoined)).member.name == "Alice"
        await alice.send_text("hello from alice")
        assert (await first(bob, MessageReceived)).text == "hello from alice"
        await bob.send_text("and from bob")
        assert (await first(alice, MessageReceived)).text == "and from bob"
        await alice.end_room()
        assert (await first(bob, RoomClosed)).code == 4000
        with pytest.raises(RoomUnavailable):
            await RoomClient.join(alice.link, "Late")

    asyncio.run(scenario())


def test_the_command_line_client_creates_and_joins(site):
    """`python -m atopos_client` prints a link; a second one given it on stdin gets the message."""
    creator = subprocess.Popen(
        [sys.executable, "-m", "atopos_client", "create", site.url("").rstrip("/"),
         "--name", "Alice", "--for", "6"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert creator.stdout is not None
    link = creator.stdout.readline().split(": ", 1)[1].strip()
    joiner = subprocess.run(
        [sys.executable, "-m", "atopos_client", "join", "--name", "Bob",
         "--say", "hi from the terminal", "--for", "1"],
        cwd=ROOT, input=link + "\n", capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    creator_output, _ = creator.communicate(timeout=30)
    assert "* Joined the room" in joiner.stdout
    assert "] Alice is here" in joiner.stdout
    assert "] Bob: hi from the terminal" in creator_output
