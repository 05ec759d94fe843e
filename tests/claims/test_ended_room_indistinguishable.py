"""C20: an ended room answers JOIN and a stranger's CREATE exactly as one that never existed.

A room is created and ended. Then, alternating, clients open a socket and
send, for the ended room and for a room that never existed:

- a valid JOIN: with the ended room's old link, and with a fresh random link;
- a CREATE by someone without the link: the strongest one a stranger can
  make for a given room id, a well-formed genesis naming that id, signed by
  keys of its own (tests/attacks/test_create_oracle.py makes the same), for
  the ended room's id and for an id nobody ever used.

For each kind, every attempt's answer (frames and close code) must be the
same for both rooms, and the median time to that answer must not differ by
more than a few milliseconds. Works against any deployment (--base-url).

Known limit: whoever holds the old link can still learn the room ended by
creating it again, which a keyed tombstone refuses until the room's original
expiry; that refusal is what stops a replayed creation.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from atopos_client.admission import Admission
from atopos_client.connection import RoomClient, socket_url
from atopos_client.keys import MemberKeys, derive_link_keys
from atopos_client.link import Link, split_link_url
from atopos_protocol.frames import ChallengeFrame, CloseCode, CreateFrame
from atopos_protocol.genesis import Genesis
from atopos_protocol.joinproof import sign_join
from atopos_protocol.signatures import SigningKey
from evidence.check import CheckResult, could_not_run, judged
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence

ROUNDS = 25
# A deployment we do not run keeps its own join limit (20 sockets a minute by
# default): a few rounds of each kind stay under it, with the browser check's sockets.
REMOTE_ROUNDS = 4
RATE_WINDOW_S = 61  # the join limit's window, and a second to spare
TIMING_TOLERANCE_MS = 5.0
ANSWER_WAIT_S = 10.0
QUIET_S = 1.0


@dataclass(frozen=True)
class Answer:
    """What one attempt got back, and how long it took."""

    frames: tuple[tuple[int, int], ...]  # (kind, size) of each frame before the close
    close_code: int | None
    millis: float

    @property
    def shape(self) -> tuple[tuple[tuple[int, int], ...], int | None]:
        return self.frames, self.close_code


# What a probe sends once it holds the socket's challenge.
Probe = Callable[[str, bytes], bytes]


def join_with(link: Link) -> Probe:
    """A valid JOIN with ``link``."""
    return lambda origin, challenge: Admission(origin, link, "probe").join_frame(challenge)


def create_without_link(room_id: bytes) -> Probe:
    """The best CREATE for ``room_id`` a stranger can make: a genesis naming it, signed by
    keys of its own (the id is the hash of the real auth key, which only the link gives)."""

    def frame(origin: str, challenge: bytes) -> bytes:
        template = Admission.new_room(origin, "probe", 3600, int(time.time() * 1000))
        genesis, shard = template._pending  # type: ignore[misc]  # the creator's own genesis
        auth, owner = SigningKey(os.urandom(32)), MemberKeys.generate()
        body = replace(
            genesis.body, room_id=room_id, auth_pk=auth.public_key,
            owner_ed_pk=owner.ed_pk, owner_x_pk=owner.x_pk,
        )  # fmt: skip
        forged = Genesis.sign(body, owner.signing_key, auth)
        signature = sign_join(auth, origin, room_id, challenge, owner.ed_pk, owner.x_pk)
        return CreateFrame(forged.raw, shard, signature).encode()

    return frame


async def attempt(origin: str, probe: Probe) -> Answer:
    async with connect(socket_url(origin), origin=Origin(origin), max_size=2**16) as socket:
        try:
            first = await socket.recv()
        except ConnectionClosed as refused:  # e.g. the site's join rate limit
            return Answer((), refused.rcvd.code if refused.rcvd else None, 0.0)
        challenge = ChallengeFrame.decode(first.encode() if isinstance(first, str) else first)
        frame = probe(origin, challenge.challenge)
        started = time.perf_counter()
        await socket.send(frame)
        frames: list[tuple[int, int]] = []
        code = None
        try:
            while True:
                # A refusal closes at once; an accepted probe (CREATED, WELCOME) stays
                # open, and its answer is complete once the frames stop coming.
                wait = ANSWER_WAIT_S if not frames else QUIET_S
                data = await asyncio.wait_for(socket.recv(), timeout=wait)
                raw = data.encode() if isinstance(data, str) else bytes(data)
                frames.append((raw[1] if len(raw) > 1 else -1, len(raw)))
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            code = None  # left open: an answer of its own, unlike any refusal
        return Answer(tuple(frames), code, (time.perf_counter() - started) * 1000)


def never_existed() -> Link:
    return Link(os.urandom(32), os.urandom(16))


Pair = tuple[list[Answer], list[Answer]]  # (the ended room's answers, the never-existing one's)


async def compare(
    origin: str, ended: Probe, fresh: Callable[[], Probe], rounds: int = ROUNDS
) -> Pair:
    """Interleaved attempts, so drift in the machine's load hits both sides alike."""
    ended_answers, fresh_answers = [], []
    for _ in range(rounds):
        ended_answers.append(await attempt(origin, ended))
        fresh_answers.append(await attempt(origin, fresh()))
    return ended_answers, fresh_answers


def judge(join: Pair, create: Pair) -> CheckResult:
    """JOIN and CREATE each: the same answers, and median times within the tolerance."""
    if limited(join) or limited(create):
        return could_not_run("the site's rate limit refused some probes; run again in a minute")
    violations: list[str] = []
    counts: dict[str, int] = {}
    details: dict[str, object] = {}
    for kind, (ended, fresh) in (("join", join), ("create", create)):
        counts |= {
            f"{kind}_attempts_ended": len(ended),
            f"{kind}_attempts_never_existed": len(fresh),
        }
        if not ended or not fresh:
            violations.append(f"{kind}: no attempt was made")
            continue
        ended_shapes, fresh_shapes = {a.shape for a in ended}, {a.shape for a in fresh}
        if ended_shapes != fresh_shapes:
            violations.append(
                f"{kind}: an ended room answers differently from one that never existed"
            )
        ended_ms = statistics.median(a.millis for a in ended)
        fresh_ms = statistics.median(a.millis for a in fresh)
        if abs(ended_ms - fresh_ms) > TIMING_TOLERANCE_MS:
            violations.append(
                f"{kind}: median answer times differ by {abs(ended_ms - fresh_ms):.1f} ms "
                f"(tolerance {TIMING_TOLERANCE_MS} ms)"
            )
        details[kind] = {
            "answers_ended": sorted(str(shape) for shape in ended_shapes),
            "answers_never_existed": sorted(str(shape) for shape in fresh_shapes),
            "median_ms_ended": round(ended_ms, 2),
            "median_ms_never_existed": round(fresh_ms, 2),
        }
    return judged(
        violations, counts,
        "an ended room and one that never existed answer JOIN and CREATE alike, as fast",
        "an ended room can be told apart from one that never existed",
        details,
    )  # fmt: skip


async def _ended_room(origin: str) -> Link:
    client = await RoomClient.create(origin, "probe")
    link = client.link
    await client.end_room()
    await client.leave()
    return split_link_url(link)[1]


def limited(pair: Pair) -> bool:
    return any(answer.close_code == CloseCode.RATE_LIMITED for side in pair for answer in side)


def run(ctx: Context) -> CheckResult:
    origin = ctx.origin()
    if ctx.remote:
        ended = asyncio.run(_ended_room(origin))
    else:
        ended = split_link_url(ctx.live().session.link)[1]
    rounds = REMOTE_ROUNDS if ctx.remote else ROUNDS
    ended_id = derive_link_keys(ended.link_shard).room_id

    def fresh_create() -> Probe:
        return create_without_link(derive_link_keys(os.urandom(32)).room_id)

    def probe() -> tuple[Pair, Pair]:
        join = asyncio.run(
            compare(origin, join_with(ended), lambda: join_with(never_existed()), rounds)
        )
        return join, asyncio.run(
            compare(origin, create_without_link(ended_id), fresh_create, rounds)
        )

    join, create = probe()
    if ctx.remote and (limited(join) or limited(create)):
        # The browser checks' sockets spent this minute's joins: probe again in a fresh one.
        time.sleep(RATE_WINDOW_S)
        join, create = probe()
    return judge(join, create)


pytestmark = pytest.mark.check(
    "An ended room answers JOIN and a stranger's CREATE like one that never existed",
    "runtime",
    remote=True,
)


def test_ended_room_indistinguishable(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
