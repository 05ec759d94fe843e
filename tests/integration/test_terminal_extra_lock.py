"""Extra Lock from the terminal: the passphrase comes from a private file, the environment or
a prompt, never from the arguments, and a room that wants one says so."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from atopos_client.connection import RoomClient
from atopos_client.events import MemberJoined, MessageReceived
from atopos_client.extra_lock import DEFAULT_LOCK_PARAMS
from tests.support.live_site import live_site
from tests.support.processes import ROOT, base_env
from tests.support.terminal import Terminal

pytestmark = pytest.mark.integration

PASSPHRASE = "lanterns over the harbour"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with live_site(tmp_path_factory.mktemp("terminal-lock")) as running:
        yield running


def private_file(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


def test_alice_creates_a_locked_room_and_bob_needs_the_passphrase(site, tmp_path):
    async def scenario() -> None:
        link_path = tmp_path / "room.link"
        alice = await Terminal.start(
            "create", site.url("").rstrip("/"), "--name", "Alice", "--extra-lock",
            "--passphrase-file", str(private_file(tmp_path, "pass", PASSPHRASE)),
            "--link-file", str(link_path),
        )  # fmt: skip
        try:
            await alice.wait_for_text("* Room link written to")
            link = link_path.read_text().strip()
            with pytest.raises(Exception, match="passphrase-required"):
                await RoomClient.join(link, "Mallory")
            bob = await RoomClient.join(link, "Bob", passphrase=PASSPHRASE)
            await alice.type("only with the passphrase")
            heard = await bob.next_event_of(MessageReceived, timeout=20)
            assert heard.text == "only with the passphrase"
            command_line = Path(f"/proc/{alice.pid}/cmdline").read_bytes()
            assert PASSPHRASE.encode() not in command_line
            await bob.leave()
            output, errors = await alice.quit()
            assert PASSPHRASE.encode() not in output + errors
        finally:
            alice.kill()

    asyncio.run(scenario())


def test_bob_joins_with_the_passphrase_in_his_environment(site):
    async def scenario() -> None:
        origin = site.url("").rstrip("/")
        alice = await RoomClient.create(origin, "Alice", lock=(PASSPHRASE, DEFAULT_LOCK_PARAMS))
        bob = await Terminal.start(
            "join", "--name", "Bob", ATOPOS_LINK=alice.link, ATOPOS_PASSPHRASE=PASSPHRASE
        )
        try:
            await bob.wait_for_text("* This room is under Extra Lock")
            await bob.wait_for_text("* Joined the room")
            assert (await alice.next_event_of(MemberJoined, timeout=20)).member.name == "Bob"
            output, errors = await bob.quit()
            assert PASSPHRASE.encode() not in output + errors
        finally:
            bob.kill()
            await alice.leave()

    asyncio.run(scenario())


def test_a_locked_room_without_a_passphrase_to_read_says_where_to_put_it(site):
    async def scenario() -> None:
        origin = site.url("").rstrip("/")
        alice = await RoomClient.create(origin, "Alice", lock=(PASSPHRASE, DEFAULT_LOCK_PARAMS))
        refused = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "atopos_client", "join", "--name", "Bob"],
            cwd=ROOT, env=base_env(ATOPOS_LINK=alice.link, ATOPOS_PASSPHRASE=""), input="",
            capture_output=True, timeout=60,
        )  # fmt: skip
        assert refused.returncode == 2
        message = refused.stderr.decode()
        assert "--passphrase-file" in message
        assert "ATOPOS_PASSPHRASE" in message
        await alice.leave()

    asyncio.run(scenario())
