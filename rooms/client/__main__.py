"""`python -m rooms.client`: create or join a room from a terminal.

    python -m rooms.client create http://127.0.0.1:8000 --name Alice
    python -m rooms.client join 'http://127.0.0.1:8000/r/#v1.…' --name Bob

Type a line to send it; "/end" ends the room (its creator only), "/quit" or
end-of-input leaves; "/admit", "/decline", "/invite [USES]", "/lock" and
"/phrase" govern it (admins). ``--say TEXT`` sends a message at once (repeatable) and
``--for SECONDS`` leaves after that long, for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from governance.join_rules import INITIAL_JOIN_RULES, JoinRule
from rooms.client.connection import (
    DEFAULT_LIFETIME_SECONDS,
    AdmissionRefused,
    HandshakeRefused,
    RoomClient,
    RoomUnavailable,
)
from rooms.client.events import (
    ActionRefused,
    Event,
    GovernanceChanged,
    KnockReceived,
    KnockWithdrawn,
    MemberBehind,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    RoomClosed,
)
from rooms.client.session import SendingPaused
from rooms.protocol.errors import ProtocolError
from rooms.protocol.frames import CloseCode


def describe(event: Event) -> str:
    """One line of terminal output for an event."""
    if isinstance(event, MessageReceived):
        name = f"{event.sender.name or 'unknown'}#{event.sender.short_id}"
        return f"<{name}> {event.text}"
    if isinstance(event, MemberJoined):
        return f"* {event.member.name or 'someone'}#{event.member.short_id} is here"
    if isinstance(event, MemberLeft):
        return f"* {event.member.name or 'someone'}#{event.member.short_id} left"
    if isinstance(event, GovernanceChanged):
        if event.ended:
            return "* The owner ended this room (signed)"
        warning = " (warning: the relay showed members different logs)" if event.forked else ""
        lagging = " (warning: others use newer keys; asking members for what we missed)"
        paused = " (sending paused until the new keys arrive)" if event.paused else ""
        return f"* Safety phrase: {event.phrase}{warning}{lagging if event.lagging else ''}{paused}"
    if isinstance(event, MemberBehind):
        who = f"{event.member.name or 'someone'}#{event.member.short_id}"
        if event.old_epoch:
            return f"* Warning: {who} still uses old keys (the server may be hiding a removal)"
        return f"* Warning: {who} has not seen the room's latest changes"
    if isinstance(event, KnockReceived):
        return f"* Someone (#{event.ed_pk[:3].hex()}) asks to come in: /admit or /decline"
    if isinstance(event, KnockWithdrawn):
        return f"* #{event.ed_pk[:3].hex()} is no longer waiting"
    if isinstance(event, ActionRefused):
        return f"* Not done: {event.reason}"
    if event.code == CloseCode.KICKED:
        return "* You were removed from this room"
    return "* This room has ended" if event.ended else f"* Disconnected (code {event.code})"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def print_events(client: RoomClient) -> None:
    while True:
        event = await client.events.get()
        say(describe(event))
        if isinstance(event, RoomClosed):
            return


async def read_lines(client: RoomClient) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == "/quit":
            return
        text = line.rstrip("\n")
        if text.startswith("/"):
            await command(client, text)
        elif text:
            try:
                await client.send_text(text)
            except SendingPaused:
                say("* Not sent: waiting for the room's new keys after a removal")


async def command(client: RoomClient, text: str) -> None:
    """The slash commands: /end, /admit, /decline, /invite [USES], /lock, /phrase."""
    verb, _, argument = text.partition(" ")
    session = client.session
    waiting = list(session.knocks)
    if verb == "/end":
        await client.end_room()
    elif verb in ("/admit", "/decline") and waiting:
        for key in waiting:
            await (client.admit(key) if verb == "/admit" else client.decline(key))
    elif verb == "/invite":
        uses = int(argument) if argument.strip().isdigit() else 1
        say(f"* Invite link ({uses} use(s)): {await client.invite(uses)}")
    elif verb == "/lock":
        await client.send_frames(session.lock())
    elif verb == "/phrase":
        say(f"* Safety phrase: {session.phrase}")
    else:
        say("* Commands: /admit /decline /invite [USES] /lock /phrase /end /quit")


async def run(arguments: argparse.Namespace) -> int:
    try:
        if arguments.command == "create":
            client = await RoomClient.create(
                arguments.target, arguments.name, arguments.lifetime, join_rule=arguments.rule
            )
            say(f"Room link (share it privately): {client.link}")
        else:
            client = await RoomClient.join(
                arguments.target,
                arguments.name,
                on_waiting=lambda: say("* Waiting for an admin to let you in..."),
            )
            say("* Joined the room")
    except RoomUnavailable:
        say("This room has ended.")
        return 1
    except AdmissionRefused as refused:
        say(f"Not admitted ({refused.reason}).")
        return 1
    except (HandshakeRefused, ProtocolError, OSError) as error:
        say(f"Could not enter the room: {error}")
        return 1
    for text in arguments.say:
        await client.send_text(text)
    printer = asyncio.create_task(print_events(client))
    stopper = (
        asyncio.create_task(asyncio.sleep(arguments.duration))
        if arguments.duration is not None
        else asyncio.create_task(read_lines(client))
    )
    await asyncio.wait({printer, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if not printer.done():
        await client.leave()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(printer, 2)
    stopper.cancel()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chat until it ends."""
    parser = argparse.ArgumentParser(
        prog="python -m rooms.client", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a room on a site and print its link")
    create.add_argument(
        "target", metavar="SITE", help="the site's address, e.g. http://127.0.0.1:8000"
    )
    create.add_argument("--lifetime", type=int, default=DEFAULT_LIFETIME_SECONDS, help="seconds")
    create.add_argument(
        "--rule",
        type=JoinRule,
        choices=list(INITIAL_JOIN_RULES),
        default=JoinRule.OPEN,
        help="who gets in: open (the link suffices), approval (an admin admits), invite",
    )
    join = commands.add_parser("join", help="join a room by its full link")
    join.add_argument("target", metavar="LINK")
    for command in (create, join):
        command.add_argument("--name", default="", help="display name, shown to the room only")
        command.add_argument("--say", action="append", default=[], help="send this at once")
        command.add_argument(
            "--for", dest="duration", type=float, help="leave after this many seconds"
        )
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
