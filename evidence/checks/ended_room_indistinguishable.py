"""C20: joining an ended room looks exactly like joining a room that never existed.

A room is created and ended; then, alternating, clients with its old link
and clients with a fresh random link (a room that never existed) open a
socket and send a valid JOIN. Every attempt's answer (frames and close
code) must be identical between the two, and the median time to that
answer must not differ by more than a few milliseconds. Works against any
deployment (--base-url).

Known limit: whoever holds the old link can still learn the room ended by
trying to create it again, which a keyed tombstone refuses until the
room's original expiry; that refusal is what stops a replayed creation.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from evidence.check import Check, CheckResult, Kind, could_not_run, judged
from evidence.context import Context
from rooms.client.connection import RoomClient, socket_url
from rooms.client.session import RoomSession
from rooms.protocol.frames import ChallengeFrame, CloseCode
from rooms.protocol.link import Link, split_link_url

ROUNDS = 25
# A deployment we do not run keeps its own join limit (20 a minute by default):
# a few rounds stay under it, with the browser check's sockets.
REMOTE_ROUNDS = 6
TIMING_TOLERANCE_MS = 5.0


@dataclass(frozen=True)
class Answer:
    """What one JOIN attempt got back, and how long it took."""

    frames: tuple[tuple[int, int], ...]  # (kind, size) of each frame before the close
    close_code: int | None
    millis: float

    @property
    def shape(self) -> tuple[tuple[tuple[int, int], ...], int | None]:
        return self.frames, self.close_code


async def attempt(origin: str, link: Link) -> Answer:
    async with connect(socket_url(origin), origin=Origin(origin), max_size=2**16) as socket:
        try:
            first = await socket.recv()
        except ConnectionClosed as refused:  # e.g. the site's join rate limit
            return Answer((), refused.rcvd.code if refused.rcvd else None, 0.0)
        challenge = ChallengeFrame.decode(first.encode() if isinstance(first, str) else first)
        frame = RoomSession(origin, link, "probe").join_frame(challenge.challenge)
        started = time.perf_counter()
        await socket.send(frame)
        frames: list[tuple[int, int]] = []
        code = None
        try:
            while True:
                data = await asyncio.wait_for(socket.recv(), timeout=10)
                raw = data.encode() if isinstance(data, str) else bytes(data)
                frames.append((raw[1] if len(raw) > 1 else -1, len(raw)))
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        return Answer(tuple(frames), code, (time.perf_counter() - started) * 1000)


def never_existed() -> Link:
    return Link(os.urandom(32), os.urandom(16))


async def compare(
    origin: str, ended: Link, rounds: int = ROUNDS
) -> tuple[list[Answer], list[Answer]]:
    """Interleaved attempts, so drift in the machine's load hits both sides alike."""
    ended_answers, fresh_answers = [], []
    for _ in range(rounds):
        ended_answers.append(await attempt(origin, ended))
        fresh_answers.append(await attempt(origin, never_existed()))
    return ended_answers, fresh_answers


def judge(ended: list[Answer], fresh: list[Answer]) -> CheckResult:
    if any(answer.close_code == CloseCode.RATE_LIMITED for answer in (*ended, *fresh)):
        return could_not_run("the site's rate limit refused some probes; run again in a minute")
    violations = []
    ended_shapes, fresh_shapes = {a.shape for a in ended}, {a.shape for a in fresh}
    if ended_shapes != fresh_shapes:
        violations.append("an ended room answers differently from one that never existed")
    if not ended or not fresh:
        violations.append("no attempt was made")
        return judged(violations, {}, "", "nothing was compared")
    ended_ms = statistics.median(a.millis for a in ended)
    fresh_ms = statistics.median(a.millis for a in fresh)
    if abs(ended_ms - fresh_ms) > TIMING_TOLERANCE_MS:
        violations.append(
            f"median answer times differ by {abs(ended_ms - fresh_ms):.1f} ms "
            f"(tolerance {TIMING_TOLERANCE_MS} ms)"
        )
    return judged(
        violations, {"attempts_ended": len(ended), "attempts_never_existed": len(fresh)},
        "ended and never-existing rooms give the same answer in the same time",
        "an ended room can be told apart from one that never existed",
        {
            "answers_ended": sorted(str(shape) for shape in ended_shapes),
            "answers_never_existed": sorted(str(shape) for shape in fresh_shapes),
            "median_ms_ended": round(ended_ms, 2),
            "median_ms_never_existed": round(fresh_ms, 2),
        },
    )  # fmt: skip


async def _ended_room(origin: str) -> Link:
    client = await RoomClient.create(origin, "probe")
    link = client.link
    await client.end_room()
    await client.leave()
    return split_link_url(link)[1]


def run(ctx: Context) -> CheckResult:
    origin = ctx.origin()
    if ctx.remote:
        ended = asyncio.run(_ended_room(origin))
    else:
        ended = split_link_url(ctx.live().session.link)[1]
    rounds = REMOTE_ROUNDS if ctx.remote else ROUNDS
    return judge(*asyncio.run(compare(origin, ended, rounds)))


CHECK = Check(
    "ended_room_indistinguishable",
    "An ended room looks like one that never existed",
    Kind.RUNTIME,
    run,
    remote=True,
)
