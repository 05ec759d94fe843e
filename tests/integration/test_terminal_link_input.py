"""The terminal client never takes the room link from its arguments (issue 9, item 11).

Arguments are world-readable in /proc/<pid>/cmdline (`ps`) and land in shell
history; the link's fragment is the room's key. Each test runs the real
client against a real relay and looks where a local attacker would.
"""

from __future__ import annotations

import asyncio
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from atopos_client.connection import RoomClient
from atopos_client.events import MemberJoined
from tests.support.live_site import live_site
from tests.support.processes import ROOT, base_env
from tests.support.terminal import Terminal, read_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with live_site(tmp_path_factory.mktemp("terminal-link")) as running:
        yield running


def fragment_of(link: str) -> bytes:
    return link.split("#", 1)[1].encode()


async def joined_name(alice: RoomClient) -> str:
    event = await alice.next_event_of(MemberJoined, timeout=20)
    return event.member.name


def private_link_file(directory: Path, link: str) -> Path:
    path = directory / "room.link"
    path.write_text(link + "\n")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("way", ["stdin", "environment", "link-file"])
def test_mallory_reading_the_process_list_never_sees_bobs_link(site, tmp_path, way):
    """Bob joins with the link on stdin, in ATOPOS_LINK or in a file; /proc/<pid>/cmdline and
    his output never hold the fragment, and he really is in the room."""

    async def scenario() -> None:
        alice = await RoomClient.create(site.url("").rstrip("/"), "Alice")
        arguments = ["join", "--name", "Bob"]
        env: dict[str, str] = {}
        if way == "environment":
            env["ATOPOS_LINK"] = alice.link
        if way == "link-file":
            arguments += ["--link-file", str(private_link_file(tmp_path, alice.link))]
        bob = await Terminal.start(*arguments, **env)
        try:
            if way == "stdin":
                await bob.type(alice.link)
            await bob.wait_for_text("* Joined the room")
            command_line = Path(f"/proc/{bob.pid}/cmdline").read_bytes()
            assert b"atopos_client" in command_line
            assert fragment_of(alice.link) not in command_line
            assert b"#" not in command_line
            if way == "environment":
                # The environment is the owner's alone (mode 400), unlike the command line.
                assert os.stat(f"/proc/{bob.pid}/environ").st_mode & 0o077 == 0
            assert await joined_name(alice) == "Bob"
            output, errors = await bob.quit()
            assert fragment_of(alice.link) not in output + errors
        finally:
            bob.kill()
            await alice.leave()

    asyncio.run(scenario())


@pytest.mark.parametrize("shape", ["whole link", "fragment only", "link inside --say"])
def test_a_link_given_as_an_argument_is_refused_without_echoing_it(site, shape):
    """`join <link>` exits with status 2, says how to pass the link, never prints it, and
    never connects (Alice sees no one join)."""

    async def scenario() -> None:
        alice = await RoomClient.create(site.url("").rstrip("/"), "Alice")
        argument = {
            "whole link": ["join", alice.link],
            "fragment only": ["join", alice.link.split("#", 1)[1]],
            "link inside --say": ["join", "--say", f"here: {alice.link}"],
        }[shape]
        refused = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "atopos_client", *argument, "--name", "Bob"],
            cwd=ROOT, env=base_env(ATOPOS_LINK=""), input="", capture_output=True, timeout=30,
        )  # fmt: skip
        assert refused.returncode == 2
        assert fragment_of(alice.link) not in refused.stdout + refused.stderr
        message = refused.stderr.decode()
        assert "--link-file" in message
        assert "ATOPOS_LINK" in message
        assert "standard input" in message
        with pytest.raises(TimeoutError):
            await alice.next_event_of(MemberJoined, timeout=1)
        await alice.leave()

    asyncio.run(scenario())


def test_a_link_file_other_users_can_read_is_refused(site, tmp_path):
    """A link file with mode 644 is refused before any connection, naming the fix."""

    async def scenario() -> None:
        alice = await RoomClient.create(site.url("").rstrip("/"), "Alice")
        path = private_link_file(tmp_path, alice.link)
        path.chmod(0o644)
        bob = await Terminal.start("join", "--link-file", str(path), "--name", "Bob")
        output, errors = await asyncio.wait_for(bob.process.communicate(), 30)
        assert bob.process.returncode == 2
        assert f"chmod 600 {path}".encode() in errors
        assert fragment_of(alice.link) not in output + errors
        await alice.leave()

    asyncio.run(scenario())


def test_create_can_write_the_link_to_an_owner_only_file(site, tmp_path):
    """`create --link-file PATH` writes a mode-600 file and prints no part of the link;
    Bob joins from that file."""

    async def scenario() -> None:
        path = tmp_path / "new-room.link"
        alice = await Terminal.start(
            "create", site.url("").rstrip("/"), "--name", "Alice", "--link-file", str(path)
        )
        try:
            await alice.wait_for_text("* Room link written to")
            assert path.stat().st_mode & 0o777 == 0o600
            link = path.read_text().strip()
            bob = await RoomClient.join(link, "Bob")
            await alice.wait_for_text("] Bob is here")
            await bob.leave()
            output, _ = await alice.quit()
            assert fragment_of(link) not in output
        finally:
            alice.kill()

    asyncio.run(scenario())


def test_create_never_overwrites_an_existing_link_file(site, tmp_path):
    """A file (or a symlink planted by Mallory) already at PATH is left alone: create fails."""
    planted = tmp_path / "planted"
    planted.write_text("mallory's\n")
    path = tmp_path / "room.link"
    path.symlink_to(planted)
    refused = subprocess.run(
        [sys.executable, "-m", "atopos_client", "create", site.url("").rstrip("/"),
         "--link-file", str(path), "--for", "0"],
        cwd=ROOT, env=base_env(), capture_output=True, timeout=30,
    )  # fmt: skip
    assert refused.returncode == 1
    assert planted.read_text() == "mallory's\n"


def test_the_link_typed_at_the_prompt_is_not_echoed(site):
    """On a terminal, `join` prompts and reads the link without echo: the pseudo-terminal
    shows the prompt, never the link, and the join succeeds."""

    async def scenario() -> None:
        alice = await RoomClient.create(site.url("").rstrip("/"), "Alice")
        pid, terminal = pty.fork()
        if pid == 0:  # the child: the client, with the pty as its controlling terminal
            os.chdir(ROOT)
            os.execve(  # noqa: S606 - the test's own fixed command, no shell involved
                sys.executable,
                [sys.executable, "-m", "atopos_client", "join", "--name", "Bob", "--for", "1"],
                base_env(ATOPOS_LINK=""),
            )
        try:
            shown = await asyncio.to_thread(read_until, terminal, b"Room link", 20)
            os.write(terminal, alice.link.encode() + b"\n")
            shown += await asyncio.to_thread(read_until, terminal, b"* Joined the room", 20)
            assert await joined_name(alice) == "Bob"
            assert fragment_of(alice.link) not in shown
            assert b"not shown as you type" in shown
        finally:
            os.close(terminal)
            os.waitpid(pid, 0)
            await alice.leave()

    asyncio.run(scenario())
