"""C18: fuzzed input never crashes the server, leaks anything, or loses what others sent.

A bounded, seeded fuzz on a tenant of its own. Alice and Bob, honest members
of one room, exchange numbered messages the whole time, while fuzzer sockets
(several at once) send about 300 frames built by ``random.Random(seed)``:
random bytes, truncated, bit-flipped and oversized (some past the 64 KiB
transport maximum) copies of real frames captured from the honest clients
(CREATE, JOIN, ENVELOPE, EVENT), exact replays of them, text frames, frames
of server-only kinds, and envelope-shaped garbage of valid bucket sizes that
the relay passes on. Half the fuzzer sockets send before any handshake, half
after joining the room with a valid proof (a member gone bad).

PASS only if every honest message reached the other member exactly once and
both stayed connected, every closed fuzzer socket gave its place in the room
back, the server accepts a new room afterwards, every
fuzzer connection ended with a documented close code (or stayed open), and
what the server printed during the check has no Traceback, Exception or
ERROR line and no honest message's plaintext. The seed is in the details:
``ATOPOS_FUZZ_SEED=<seed>`` replays the same plan.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import pytest
from websockets.exceptions import ConnectionClosed

from atopos_client.admission import Admission
from atopos_client.connection import RoomClient
from atopos_client.events import Event, MemberJoined, MessageReceived
from atopos_client.session import RoomSession
from atopos_protocol import VERSION
from atopos_protocol.frames import (
    TRANSPORT_MAX_FRAME,
    CloseCode,
    DeclineFrame,
    envelope_frame_sizes,
)
from atopos_protocol.frames import Kind as FrameKind
from atopos_protocol.routing_modes import RoutingMode
from evidence.check import CheckResult, could_not_run, judged
from evidence.publish_safe import encodings
from tests.claims.live.recording import ROOMY_TENANTS as ROOMY
from tests.claims.live.wire import recording_python_clients
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.sockets import (
    add_tenant,
    challenged,
    listen,
    members_holding,
    shut,
    wire_of,
)
from tests.support.live_clients import gather_events, leave_all, settled, wait_until

if TYPE_CHECKING:
    from tests.claims.live.recording import LiveEvidence

FRAMES = 300
TIME_BOUND_S = 30.0
WORKERS = 3
LINGER_S = 0.4  # how long a fuzzer socket listens for its close after its last frame
HONEST_INTERVAL_S = 0.2
HONEST_MIN, HONEST_MAX = 20, 100  # messages each honest member sends
DELIVERY_S = 10.0
RELEASE_S = 3.0
SEED_VARIABLE = "ATOPOS_FUZZ_SEED"
# PROTOCOL §5.5, plus 1006: a frame over 64 KiB drops the connection without a close frame.
DOCUMENTED_CLOSES = frozenset(int(code) for code in CloseCode) | {1006}
BAD_LINE = re.compile(r"Traceback|Exception|ERROR")
EXCEPTION_NAME = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Disconnected|Exit))\b")
LOGGER_NAME = re.compile(r"\bERROR ([\w.]+):")
CATEGORIES = (
    "random-bytes", "truncated", "bit-flipped", "oversized", "replayed", "text",
    "server-kind", "envelope-garbage",
)  # fmt: skip


@dataclass(frozen=True)
class FuzzRun:
    """What the fuzz sent, how its sockets ended, and what became of the honest traffic."""

    seed: int
    planned: int
    sent: dict[str, int]  # category -> frames sent
    close_codes: dict[str, int]  # how fuzzer connections ended: a code, or "open"
    honest_sent: int
    honest_received: int
    lost: list[str] = field(default_factory=list)  # "alice #3 to bob"
    duplicated: list[str] = field(default_factory=list)
    honest_closed: list[int] = field(default_factory=list)  # codes of honest sockets closed
    new_room_after: bool = True
    ghost_places: int = 0  # places in the room still held once every fuzzer socket closed
    log_problems: list[str] = field(default_factory=list)  # what the bad lines are about
    log_problem_lines: int = 0
    plaintexts_in_log: int = 0
    elapsed_s: float = 0.0


def judge(run: FuzzRun) -> CheckResult:
    """PASS only if nothing honest was lost, the server lives on, and its log stayed clean."""
    violations: list[str] = []
    if run.lost:
        violations.append(
            f"{len(run.lost)} honest message(s) never arrived: {', '.join(run.lost[:10])}"
        )
    if run.duplicated:
        violations.append(
            f"{len(run.duplicated)} honest message(s) were shown more than once: "
            + ", ".join(run.duplicated[:10])
        )
    for code in sorted(set(run.honest_closed)):
        violations.append(f"an honest member's connection was closed with {code} during the fuzz")
    if not run.new_room_after:
        violations.append("the server did not accept a new room after the fuzz")
    if run.ghost_places:
        violations.append(
            f"{run.ghost_places} closed fuzzer connection(s) still hold a place in the room"
        )
    if run.log_problem_lines:
        about = ", ".join(run.log_problems[:10]) or "unrecognised"
        violations.append(
            f"the server printed {run.log_problem_lines} Traceback/Exception/ERROR line(s) "
            f"during the fuzz ({about})"
        )
    if run.plaintexts_in_log:
        violations.append(
            f"the server's output holds the plaintext of {run.plaintexts_in_log} honest message(s)"
        )
    for ending, number in sorted(run.close_codes.items()):
        if ending != "open" and int(ending) not in DOCUMENTED_CLOSES:
            violations.append(
                f"{number} fuzzer connection(s) closed with {ending}, "
                "a code the protocol does not document"
            )
    counts = {
        "frames_planned": run.planned,
        "frames_sent": sum(run.sent.values()),
        **{f"sent_{category.replace('-', '_')}": n for category, n in run.sent.items()},
        **{f"closed_{code}": n for code, n in run.close_codes.items()},
        "honest_sent": run.honest_sent,
        "honest_received": run.honest_received,
        "log_problem_lines": run.log_problem_lines,
        "ghost_places": run.ghost_places,
    }
    if not violations and (not sum(run.sent.values()) or not run.honest_sent):
        return could_not_run("the fuzz sent nothing, or no honest message was exchanged", counts)
    return judged(
        violations, counts,
        f"{sum(run.sent.values())} fuzzed frames (seed {run.seed}): nothing honest lost, "
        "the server carried on and logged nothing alarming",
        "fuzzed input disturbed the relay",
        asdict(run),
    )  # fmt: skip


# The plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Episode:
    """One fuzzer socket: whether it joins the room first, then its frames."""

    joins: bool
    frames: list[tuple[str, bytes | str]]


def _flip(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame or b"\0")
    for _ in range(rng.randint(1, 8)):
        index = rng.randrange(len(data))
        data[index] ^= 1 << rng.randrange(8)
    return bytes(data)


def _frame(rng: random.Random, category: str, samples: list[bytes]) -> bytes | str:
    real = rng.choice(samples)
    if category == "random-bytes":
        size = rng.choice([0, 1, 2, rng.randint(3, 64), rng.randint(64, 2048)])
        return rng.randbytes(size)
    if category == "truncated":
        return real[: rng.randrange(len(real))]
    if category == "bit-flipped":
        return _flip(rng, real)
    if category == "oversized":
        target = rng.choice([len(real) + 1, len(real) + rng.randint(2, 4096),
                             TRANSPORT_MAX_FRAME + 1, 70 * 1024])  # fmt: skip
        return real + rng.randbytes(max(1, target - len(real)))
    if category == "replayed":
        return real
    if category == "text":
        alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789{}[]":, é€'
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
    if category == "server-kind":
        kind = rng.choice([k for k in FrameKind if k >= FrameKind.CHALLENGE])
        return bytes([1, kind]) + rng.randbytes(rng.randint(0, 100))
    size = rng.choice(sorted(envelope_frame_sizes(RoutingMode.DIRECT)))
    header = bytes([1, FrameKind.ENVELOPE])
    if rng.random() < 0.5:  # a real epoch id: the receivers get as far as the AEAD
        header = real[: 2 + 12] if real[1:2] == bytes([FrameKind.ENVELOPE]) else header
    return header + rng.randbytes(size - len(header))


def plan(seed: int, samples: list[bytes], frames: int = FRAMES) -> list[Episode]:
    """The episodes ``seed`` makes from the captured ``samples`` (deterministic)."""
    rng = random.Random(seed)
    episodes: list[Episode] = []
    total = 0
    while total < frames:
        joins = rng.random() < 0.5
        categories = CATEGORIES if joins else CATEGORIES[:-1]
        burst = min(rng.randint(1, 4), frames - total)
        chosen = [rng.choice(categories) for _ in range(burst)]
        episodes.append(Episode(joins, [(c, _frame(rng, c, samples)) for c in chosen]))
        total += burst
    return episodes


# Gathering ------------------------------------------------------------------------------


@dataclass
class Tally:
    sent: Counter[str] = field(default_factory=Counter)
    closes: Counter[str] = field(default_factory=Counter)


async def _episode(episode: Episode, room: RoomSession, tally: Tally) -> None:
    origin = room.origin
    opened = await challenged(origin)
    if isinstance(opened, int):
        tally.closes[str(opened)] += 1
        return
    socket, challenge = opened
    try:
        if episode.joins:
            fuzzer = Admission(origin, room.link, "")
            await socket.send(fuzzer.join_frame(challenge))
            until = (FrameKind.WELCOME, FrameKind.REFUSED)
            heard = await listen(socket, 5.0, until=lambda f: len(f) > 1 and f[1] in until)
            if FrameKind.WELCOME not in heard.kinds():
                tally.closes[str(heard.code) if heard.code is not None else "open"] += 1
                return
        for category, frame in episode.frames:
            try:
                await socket.send(frame)
            except ConnectionClosed:
                break
            tally.sent[category] += 1
        ending = await listen(socket, LINGER_S, until=lambda f: False)
        tally.closes[str(ending.code) if ending.code is not None else "open"] += 1
    finally:
        await shut(socket)


async def _fuzz(episodes: list[Episode], room: RoomSession, tally: Tally) -> None:
    queue: Iterator[Episode] = iter(episodes)
    deadline = time.monotonic() + TIME_BOUND_S

    async def worker() -> None:
        for episode in queue:
            if time.monotonic() > deadline:
                return
            await _episode(episode, room, tally)

    await asyncio.gather(*(worker() for _ in range(WORKERS)))


async def _talk(
    alice: RoomClient, bob: RoomClient, done: asyncio.Event
) -> tuple[dict[str, list[str]], list[int]]:
    """Both send numbered messages until the fuzz is done; what they sent, sockets closed."""
    sent: dict[str, list[str]] = {"alice": [], "bob": []}
    closed: list[int] = []
    number = 0
    while number < HONEST_MIN or (not done.is_set() and number < HONEST_MAX):
        for who, client in (("alice", alice), ("bob", bob)):
            text = f"honest-{who}-{number}-{secrets.token_hex(8)}"
            try:
                await client.send_text(text)
            except ConnectionClosed:
                closed.append(wire_of(client).close_code or 1006)
                return sent, closed
            sent[who].append(text)
        number += 1
        await asyncio.sleep(HONEST_INTERVAL_S)
    return sent, closed


def _texts(events: list[Event]) -> Counter[str]:
    return Counter(event.text for event in events if isinstance(event, MessageReceived))


def log_findings(text: str) -> tuple[int, list[str]]:
    """How many lines are alarming, and what they are about (logger and exception names only)."""
    lines = [line for line in text.splitlines() if BAD_LINE.search(line)]
    about: set[str] = set()
    for line in text.splitlines():
        for pattern in (EXCEPTION_NAME, LOGGER_NAME):
            found = pattern.search(line)
            if found:
                about.add(found.group(1))
    return len(lines), sorted(about)


async def gather(live: LiveEvidence, seed: int) -> FuzzRun:
    """Run the fuzz on a fresh tenant of the live site and record what happened."""
    tenant = add_tenant(live, "fuzz", *ROOMY)
    log_start = len(live.log_text())
    started = time.monotonic()
    alice = await RoomClient.create(tenant.origin, "alice")
    bob = await RoomClient.join(alice.link, "bob")
    clients = [alice, bob]
    try:
        await alice.next_event_of(MemberJoined)
        await bob.next_event_of(MemberJoined)
        await alice.invite(uses=1)  # an EVENT frame to fuzz with
        await settled(alice)
        await alice.send_text(f"warm-up-{secrets.token_hex(8)}")
        samples = [f for wire in (wire_of(alice), wire_of(bob)) for f in wire.sent if len(f) > 1]
        samples += [
            bytes([VERSION, 0x03]) + os.urandom(32),  # protocol v1's END, retired
            DeclineFrame(os.urandom(32)).encode(),
        ]
        episodes = plan(seed, samples)
        tally, done = Tally(), asyncio.Event()
        talking = asyncio.create_task(_talk(alice, bob, done))
        try:
            await _fuzz(episodes, alice.session, tally)
        finally:
            done.set()
            sent, closed = await talking
        heard = {
            "alice": _texts(await gather_events(alice, DELIVERY_S,
                                                lambda ev: set(_texts(ev)) >= set(sent["bob"]))),
            "bob": _texts(await gather_events(bob, DELIVERY_S,
                                              lambda ev: set(_texts(ev)) >= set(sent["alice"]))),
        }  # fmt: skip
        closed += [c for c in (wire_of(alice).close_code, wire_of(bob).close_code) if c is not None]
        # Every fuzzer socket is closed: their places go back (the server may lag a little).
        room_id = alice.session.keys.room_id
        await wait_until(
            lambda: members_holding(live, tenant, room_id) <= len(clients), RELEASE_S, step=0.1
        )
        ghosts = members_holding(live, tenant, room_id) - len(clients)
    finally:
        await leave_all(clients)
    lost, duplicated, received = [], [], 0
    for sender, receiver in (("alice", "bob"), ("bob", "alice")):
        for number, text in enumerate(sent[sender]):
            times = heard[receiver][text]
            received += times > 0
            if not times:
                lost.append(f"{sender} #{number} to {receiver}")
            elif times > 1:
                duplicated.append(f"{sender} #{number} to {receiver} ({times} times)")
    new_room = await _new_room(tenant.origin)
    log = live.log_text()[log_start:].encode()
    problem_lines, about = log_findings(log.decode(errors="replace"))
    plaintexts = sum(
        any(form in log for form in encodings(text.encode()))
        for texts in sent.values()
        for text in texts
    )
    return FuzzRun(
        seed, sum(len(e.frames) for e in episodes), dict(tally.sent), dict(tally.closes),
        sum(len(texts) for texts in sent.values()), received, lost, duplicated, closed,
        new_room, max(0, ghosts), about, problem_lines, plaintexts,
        round(time.monotonic() - started, 1),
    )  # fmt: skip


async def _new_room(origin: str) -> bool:
    try:
        client = await asyncio.wait_for(RoomClient.create(origin, "after"), 10)
    except Exception:  # any failure means the server no longer serves rooms
        return False
    await leave_all([client])
    return True


def seed_from_environment() -> int:
    """The seed to use: ATOPOS_FUZZ_SEED if set, else a fresh random one (recorded)."""
    configured = os.environ.get(SEED_VARIABLE, "").strip()
    return int(configured) if configured.isdigit() else secrets.randbits(32)


def run(ctx: Context) -> CheckResult:
    live = ctx.live()
    seed = seed_from_environment()
    try:
        with recording_python_clients():
            fuzzed = asyncio.run(gather(live, seed))
    except Exception as error:  # reported: the check could not run
        return could_not_run(f"the fuzz could not run (seed {seed}): {type(error).__name__}")
    return judge(fuzzed)


pytestmark = pytest.mark.check(
    "Fuzzed frames neither crash the relay, leak, nor lose honest messages", "runtime"
)


def test_relay_fuzz(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
