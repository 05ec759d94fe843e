"""`python -m atopos_client`: create or join a room from a terminal.

    python -m atopos_client create http://127.0.0.1:8000 --name Alice
    python -m atopos_client join --name Bob            (asks for the link, not shown)
    python -m atopos_client join --link-file room.link --name Bob
    ATOPOS_LINK=... python -m atopos_client join --name Bob

The room link is the room's key, so ``join`` never takes it as an argument
(arguments show in process lists and shell history): it reads it from
``--link-file PATH`` (a file only its owner can read), else from the
ATOPOS_LINK environment variable, else from standard input (a prompt that
does not echo on a terminal; otherwise the first line). ``create`` prints
the new link on standard output, or writes it to a new owner-only file with
``--link-file PATH`` and prints nothing of it.

Extra Lock: ``create --extra-lock`` asks for a passphrase (twice, not
shown), and ``join`` asks for one when the room wants it. Either reads it
from ``--passphrase-file PATH`` (owner-only) or the ATOPOS_PASSPHRASE
environment variable instead when given; never from the arguments.

Type a line to send it; "/end" ends the room (its creator only), "/quit" or
end-of-input leaves; "/admit CODE", "/decline CODE", "/invite [USES]",
"/lock" and "/phrase" govern it (admins), "/members" lists who is here.
``--say TEXT`` sends a message at once (repeatable) and ``--for SECONDS``
leaves after that long, for scripts.

What other members write (messages, names) is printed inert (see
``atopos_client.inert``): a message line starts with the sender's code in
brackets, every line after its first is indented, and only this program's
own lines start with ``* ``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import io
import os
import re
import shutil
import stat
import sys
from collections.abc import Sequence

from websockets.exceptions import ConnectionClosed

from atopos_client.codes import CodeNotFound, member_code, resolve
from atopos_client.connection import (
    DEFAULT_LIFETIME_SECONDS,
    AdmissionRefused,
    HandshakeRefused,
    PassphraseRequired,
    RoomClient,
    RoomUnavailable,
)
from atopos_client.events import (
    ActionRefused,
    BackOnline,
    Event,
    GovernanceChanged,
    KnockReceived,
    KnockWithdrawn,
    Member,
    MemberBehind,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    MessagesMissed,
    Reconnecting,
    RoomClosed,
)
from atopos_client.extra_lock import DEFAULT_LOCK_PARAMS, check_new_passphrase
from atopos_client.inert import fold, inert, inert_lines
from atopos_client.keys import MemberKeys
from atopos_client.names import look_alike
from atopos_client.session import SendingPaused
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import CloseCode
from atopos_protocol.join_rules import INITIAL_JOIN_RULES, JoinRule

LINK_ENV = "ATOPOS_LINK"
PASSPHRASE_ENV = "ATOPOS_PASSPHRASE"  # noqa: S105 -- a variable name  # nosec B105
# A room link's fragment (v2.<L>.<g>[.<T>]) wherever it appears in an argument.
LINK_SHAPE = re.compile(r"v\d+\.[A-Za-z0-9_-]{22,}\.[A-Za-z0-9_-]{16,}|/r/#")
CONTINUATION = "    | "
ARGV_REFUSAL = (
    "python -m atopos_client: refusing a room link given as an argument: arguments show "
    "in process lists and shell history, and the link is the room's key. Pass it on "
    "standard input (run `join` and paste it at the prompt), with --link-file PATH (a "
    f"file only you can read), or in the {LINK_ENV} environment variable. Others on "
    "this machine may already have seen this one; if that matters, make a new room."
)


class LinkUnavailable(Exception):
    """No usable room link was given; the message says how to give one."""


# What a member sees ------------------------------------------------------------


def label(ed_pk: bytes, name: str, me: bytes | None) -> str:
    """``[code] name``, with ``you`` inside the brackets for the local member.

    The brackets hold only hex digits and our own ``you``, so a name (which
    comes after them) can never make another member look like the local one.
    """
    mark = " you" if ed_pk == me else ""
    return f"[{member_code(ed_pk)}{mark}] {inert(name)}"


def member_label(member: Member, me: bytes | None) -> str:
    return label(member.ed_pk, member.display_name, me)


def describe(event: Event, me: bytes | None = None) -> str:
    """Terminal output for an event: one line, or a message's indented lines."""
    if isinstance(event, MessageReceived):
        first, *rest = inert_lines(event.text)
        late = " (late: it arrived after the gap above)" if event.late else ""
        lines = [f"{member_label(event.sender, me)}{late}: {first}"]
        lines += [CONTINUATION + line for line in rest]
        return "\n".join(lines)
    if isinstance(event, MemberJoined):
        return f"* {member_label(event.member, me)} is here"
    if isinstance(event, MemberLeft):
        return f"* {member_label(event.member, me)} left"
    if isinstance(event, GovernanceChanged):
        if event.ended:
            return "* The owner ended this room (signed)"
        warning = " (warning: the relay showed members different logs)" if event.forked else ""
        lagging = " (warning: others use newer keys; asking members for what we missed)"
        paused = " (sending paused until the new keys arrive)" if event.paused else ""
        return f"* Safety phrase: {event.phrase}{warning}{lagging if event.lagging else ''}{paused}"
    if isinstance(event, MemberBehind):
        who = member_label(event.member, me)
        if event.old_epoch:
            return f"* Warning: {who} still uses old keys (the server may be hiding a removal)"
        return f"* Warning: {who} has not seen the room's latest changes"
    if isinstance(event, KnockReceived):
        code = member_code(event.ed_pk)
        return (
            f"* Someone with code [{code}] asks to come in: have them read you their code, "
            f"then /admit {code} or /decline {code}"
        )
    if isinstance(event, KnockWithdrawn):
        return f"* [{member_code(event.ed_pk)}] is no longer waiting"
    if isinstance(event, ActionRefused):
        return f"* Not done: {event.words}"
    if isinstance(event, Reconnecting):
        return f"* Connection lost: reconnecting in {event.seconds:.0f} s (try {event.attempt})"
    if isinstance(event, BackOnline):
        return "* Back online"
    if isinstance(event, MessagesMissed):
        count = "1 message" if event.count == 1 else f"{event.count} messages"
        return f"* Missed {count} from {member_label(event.sender, me)} (nobody could resend them)"
    if event.code == CloseCode.KICKED:
        return "* You were removed from this room"
    return "* This room has ended" if event.ended else f"* Disconnected (code {event.code})"


class LookalikeWatch:
    """Warns when two members' names look alike or their codes are equal."""

    def __init__(self, me: Member) -> None:
        self.me = me.ed_pk
        self.seen: dict[bytes, Member] = {me.ed_pk: me}

    def see(self, member: Member) -> str | None:
        """A warning line if ``member``'s (new) name looks like someone else's."""
        known = self.seen.get(member.ed_pk)
        if known is not None and known.name == member.name:
            return None
        self.seen[member.ed_pk] = member
        twins = [
            other
            for other in self.seen.values()
            if other.ed_pk != member.ed_pk
            and (look_alike(other.name, member.name) or other.code == member.code)
        ]
        if not twins:
            return None
        listed = " and ".join(member_label(m, self.me) for m in [*twins, member])
        return f"* Warning: {listed} look alike; tell them apart by their codes"

    def gone(self, member: Member) -> None:
        if member.ed_pk != self.me:
            self.seen.pop(member.ed_pk, None)


def say(line: str, folded: bool = False) -> None:
    """Print a line; ``folded`` (for lines holding member content) breaks a long one on
    a terminal into indented rows (``fold``). Our own lines, links included, stay whole."""
    if folded and sys.stdout.isatty():
        # One column spare: some terminals wrap as soon as the last column is written.
        width = shutil.get_terminal_size().columns - 1
        rows = (row for part in line.split("\n") for row in fold(part, width, CONTINUATION))
        line = "\n".join(rows)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def print_events(client: RoomClient) -> None:
    me = client.session.me
    watch = LookalikeWatch(me)
    while True:
        event = await client.events.get()
        say(describe(event, me.ed_pk), folded=True)
        if isinstance(event, (MemberJoined, MessageReceived)):
            member = event.member if isinstance(event, MemberJoined) else event.sender
            if member.ed_pk in client.session.members:
                warning = watch.see(client.session.members[member.ed_pk])
                if warning:
                    say(warning, folded=True)
        elif isinstance(event, MemberLeft):
            watch.gone(event.member)
        elif isinstance(event, RoomClosed):
            return


# Typing --------------------------------------------------------------------------


async def read_lines(client: RoomClient) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == "/quit":
            return
        text = line.rstrip("\n")
        try:
            if text.startswith("/"):
                await command(client, text)
            elif text:
                await client.send_text(text)
        except SendingPaused:
            say("* Not sent: waiting for the room's new keys after a removal")
        except ConnectionClosed:
            # The relay's close reason is its own text: never printed.
            # Only commands get here: a message typed while down waits and goes out once back.
            say("* Not done: the connection is down (the client is reconnecting)")


async def command(client: RoomClient, text: str) -> None:
    """The slash commands: /end, /admit, /decline, /invite [USES], /lock, /phrase, /members."""
    verb, _, argument = text.partition(" ")
    session = client.session
    if verb == "/end":
        await client.end_room()
    elif verb in ("/admit", "/decline"):
        await answer_knock(client, verb, argument)
    elif verb == "/invite":
        uses = int(argument) if argument.strip().isdigit() else 1
        say(f"* Invite link ({uses} use(s)): {await client.invite(uses)}")
    elif verb == "/lock":
        await client.send_frames(session.lock())
    elif verb == "/phrase":
        say(f"* Safety phrase: {session.phrase}")
    elif verb == "/members":
        me = session.me.ed_pk
        for member in session.members.values():
            say(f"* {member_label(member, me)} ({session.role_of(member.ed_pk)})", folded=True)
    else:
        say(
            "* Commands: /admit CODE /decline CODE /invite [USES] /lock /phrase /members /end /quit"
        )


async def answer_knock(client: RoomClient, verb: str, typed: str) -> None:
    """Admit or decline the one waiting newcomer whose code starts with ``typed``."""
    waiting = list(client.session.knocks)
    if not waiting:
        say("* Not done: no one is waiting")
        return
    if not typed.strip():
        codes = ", ".join(f"[{member_code(key)}]" for key in waiting)
        say(f"* Waiting: {codes}; type {verb} and the code the newcomer reads you")
        return
    try:
        key = resolve(typed, waiting)
    except CodeNotFound as unknown:
        say(f"* Not done: {unknown}")
        return
    await (client.admit(key) if verb == "/admit" else client.decline(key))
    say(f"* {'Letting in' if verb == '/admit' else 'Declined'} [{member_code(key)}]")


# The link --------------------------------------------------------------------------


def link_in(argv: Sequence[str]) -> bool:
    """Whether any argument carries a room link (or its fragment)."""
    return any(LINK_SHAPE.search(argument) for argument in argv)


def read_private_file(path: str) -> str:
    """The first line of ``path``, refused when other users may read or change it."""
    try:
        with open(path, encoding="utf-8") as file:
            mode = os.fstat(file.fileno()).st_mode
            if stat.S_ISREG(mode) and mode & 0o077:
                raise LinkUnavailable(
                    f"{path} can be read or changed by other users "
                    f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
                )
            return file.readline().strip()
    except OSError as error:
        raise LinkUnavailable(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise LinkUnavailable(f"{path} is not UTF-8 text") from None


def read_link(link_file: str | None) -> str:
    """The link from --link-file, else ATOPOS_LINK, else standard input; never argv."""
    if link_file is not None:
        link = read_private_file(link_file)
    elif os.environ.get(LINK_ENV):
        link = os.environ[LINK_ENV].strip()
    elif sys.stdin.isatty():
        link = getpass.getpass("Room link (not shown as you type or paste): ").strip()
    else:
        link = sys.stdin.readline().strip()
    if not link:
        raise LinkUnavailable(
            f"no room link: paste it at the prompt, pipe it on standard input, "
            f"or use --link-file PATH or {LINK_ENV}"
        )
    return link


def read_passphrase(passphrase_file: str | None, confirm: bool = False) -> str:
    """Extra Lock's passphrase from --passphrase-file, else ATOPOS_PASSPHRASE, else a prompt
    that does not echo (asked twice for a new room); never argv, never standard input's
    link line."""
    if passphrase_file is not None:
        return read_private_file(passphrase_file)
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    if not sys.stdin.isatty():
        raise LinkUnavailable(
            f"the room needs its passphrase: use --passphrase-file PATH or {PASSPHRASE_ENV}"
        )
    passphrase = getpass.getpass("Passphrase (not shown): ")
    if confirm and getpass.getpass("The passphrase again: ") != passphrase:
        raise LinkUnavailable("the two passphrases differ")
    return passphrase


def new_link_file(path: str) -> int:
    """A new file only its owner can read; never an existing file or a planted symlink."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)


# Running -------------------------------------------------------------------------


async def enter(arguments: argparse.Namespace) -> RoomClient:
    if arguments.command == "create":
        return await create(arguments)
    keys = MemberKeys.generate()
    code = member_code(keys.ed_pk)
    link = read_link(arguments.link_file)
    passphrase = None
    while True:
        try:
            client = await RoomClient.join(
                link,
                arguments.name,
                on_waiting=lambda: say(
                    f"* Waiting for an admin to let you in; read them your code: {code}"
                ),
                member=keys,
                passphrase=passphrase,
            )
        except PassphraseRequired:
            if passphrase is not None:
                raise
            say("* This room is under Extra Lock")
            passphrase = read_passphrase(arguments.passphrase_file)
            say("* Stretching the passphrase (a few seconds)")
            continue
        say("* Joined the room")
        return client


async def create(arguments: argparse.Namespace) -> RoomClient:
    """Create the room; its link goes to stdout, or to a new file (opened first, so a
    path that cannot be written stops us before a room exists)."""
    lock = None
    if arguments.extra_lock:
        passphrase = read_passphrase(arguments.passphrase_file, confirm=True)
        try:
            check_new_passphrase(passphrase)
        except ValueError as short:
            raise LinkUnavailable(str(short)) from None
        lock = (passphrase, DEFAULT_LOCK_PARAMS)
    if arguments.link_file is None:
        client = await RoomClient.create(
            arguments.target, arguments.name, arguments.lifetime, join_rule=arguments.rule,
            lock=lock,
        )  # fmt: skip
        say(f"Room link (share it privately): {client.link}")
        return client
    descriptor = new_link_file(arguments.link_file)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        try:
            client = await RoomClient.create(
                arguments.target, arguments.name, arguments.lifetime, join_rule=arguments.rule,
                lock=lock,
            )  # fmt: skip
        except BaseException:
            os.unlink(arguments.link_file)
            raise
        file.write(client.link + "\n")
    say(f"* Room link written to {arguments.link_file} (readable by you only)")
    return client


async def run(arguments: argparse.Namespace) -> int:
    try:
        client = await enter(arguments)
    except LinkUnavailable as missing:
        sys.stderr.write(f"python -m atopos_client: {missing}\n")
        return 2
    except RoomUnavailable:
        say("This room has ended.")
        return 1
    except AdmissionRefused as refused:
        say(f"Not admitted: {refused.words}.", folded=True)
        return 1
    except (HandshakeRefused, ProtocolError, OSError) as error:
        say(f"Could not enter the room: {inert(str(error))}", folded=True)
        return 1
    say(f"* You are {member_label(client.session.me, client.session.me.ed_pk)}")
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


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m atopos_client", description=__doc__.split("\n")[0]
    )
    commands = top.add_subparsers(dest="command", required=True)
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
    create.add_argument(
        "--link-file", metavar="PATH", help="write the link to this new file (mode 600)"
    )
    create.add_argument(
        "--extra-lock",
        action="store_true",
        help="ask for a passphrase too, shared apart from the link (PROTOCOL §2.1)",
    )
    join = commands.add_parser(
        "join",
        help="join a room; the link comes from --link-file, ATOPOS_LINK or standard input",
    )
    join.add_argument("--link-file", metavar="PATH", help="read the link from this file (mode 600)")
    for command in (create, join):
        command.add_argument(
            "--passphrase-file", metavar="PATH", help="Extra Lock: the passphrase (mode 600)"
        )
        command.add_argument("--name", default="", help="display name, shown to the room only")
        command.add_argument("--say", action="append", default=[], help="send this at once")
        command.add_argument(
            "--for", dest="duration", type=float, help="leave after this many seconds"
        )
    return top


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chat until it ends."""
    arguments = sys.argv[1:] if argv is None else argv
    # A name or message this terminal's encoding cannot show must not stop the printer.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    if link_in(arguments):
        # Before argparse, whose errors would echo the argument back.
        sys.stderr.write(ARGV_REFUSAL + "\n")
        return 2
    return asyncio.run(run(parser().parse_args(arguments)))


if __name__ == "__main__":
    sys.exit(main())
