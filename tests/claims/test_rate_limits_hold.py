"""C17: rate limits cannot be bypassed by parallel sockets or reconnect churn.

Each scenario runs on a tenant of its own, added to the live site with tight
limits, so its counters start at zero:

- parallel joins (``--joins-per-minute 5``): the owner's socket spends one
  attempt, then 20 sockets try to join at once, each claiming another address
  in X-Forwarded-For and X-Real-IP (the relay must count the socket's own
  address); at most 4 may pass, the rest are closed with 4029;
- reconnect churn (``--joins-per-minute 5``): 12 connect, join, close cycles,
  one after the other: again at most 4 pass;
- room creation (``--rooms-per-hour 3``): 6 creations at once, then 2 more one
  after the other: at most 3 rooms, the rest closed with 4029;
- frames per connection (``--messages-per-minute 20``): one member floods the
  room with messages, one with DECLINE frames (a non-admin's: each answered
  REFUSED), and a newcomer redeeming a ticket floods REDEEMs on a wrong head
  (each answered INVITE_REQUIRED). The relay may act on at most 20 frames of
  one connection in a minute and must then close it with 4029, while the
  other members keep receiving what is sent after the flood.

Counts per scenario: attempts, allowed, refused. A scenario that ran past a
window boundary is allowed the limit once per window it touched.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import pytest
from websockets.exceptions import ConnectionClosed

from atopos_client.admission import Admission
from atopos_client.connection import RoomClient
from atopos_client.events import Event, MemberJoined, MessageReceived
from atopos_client.link import split_link_url
from atopos_protocol.frames import CloseCode, DeclineFrame
from atopos_protocol.frames import Kind as FrameKind
from atopos_protocol.join_rules import JoinRule
from evidence.check import CheckResult, could_not_run, judged
from tests.claims.live.recording import ROOMY_TENANTS as ROOMY
from tests.claims.live.wire import RecordingConnection, recording_python_clients
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.sockets import (
    Tenant,
    add_tenant,
    challenged,
    client_outcome,
    close_label,
    listen,
    shut,
    try_join,
    wire_of,
)
from tests.support.live_clients import gather_events, leave_all, settled, wait_until

if TYPE_CHECKING:
    from tests.claims.live.recording import LiveEvidence

JOINS_PER_MINUTE = 5
ROOMS_PER_HOUR = 3
FRAMES_PER_MINUTE = 20
PARALLEL_JOINS = 20
CHURN_CYCLES = 12
PARALLEL_CREATES = 6
SEQUENTIAL_CREATES = 2
FLOOD = 2 * FRAMES_PER_MINUTE
AFTER_FLOOD = 3
RATE_LIMITED = close_label(CloseCode.RATE_LIMITED)
SETTLE_S = 5.0
CREATED = "created"


@dataclass(frozen=True)
class LimitRun:
    """Attempts against a per-client limit (joins a minute, rooms an hour)."""

    name: str
    limit: int
    spent_before: int  # attempts of the same client the limit already counted
    attempts: int
    outcomes: dict[str, int]  # how each attempt ended
    success: str  # the outcome of an attempt the limit let through
    windows: int = 1  # limit windows the scenario touched

    @property
    def allowed(self) -> int:
        return self.outcomes.get(self.success, 0)


@dataclass(frozen=True)
class Flood:
    """One connection sending more frames than its per-minute budget."""

    name: str
    limit: int
    spent_before: int  # frames the connection had sent before the flood
    sent: int  # frames of the flood that left the client
    acted_on: int  # flood frames the relay acted on (relayed or answered)
    close_code: int | None  # how the flooding connection ended (None: still open)
    after_sent: int = 0  # messages other members sent after the flood
    after_received: int = 0  # ... and how many of them every other member received
    windows: int = 1


def judge(runs: list[LimitRun], floods: list[Flood]) -> CheckResult:
    """PASS only if no limit let more through than it allows and refusals were as documented."""
    violations: list[str] = []
    counts: dict[str, int] = {}
    idle: list[str] = []
    for run in runs:
        key = run.name.replace(" ", "_")
        allowed_at_most = run.limit * run.windows - run.spent_before
        if run.allowed > allowed_at_most:
            violations.append(
                f"{run.name}: {run.allowed} of {run.attempts} attempts got through a limit of "
                f"{run.limit} ({run.spent_before} already spent)"
            )
        for outcome, number in sorted(run.outcomes.items()):
            if outcome not in (run.success, RATE_LIMITED):
                violations.append(
                    f"{run.name}: {number} attempt(s) ended with {outcome}, "
                    f"neither {run.success} nor the documented {RATE_LIMITED}"
                )
        if not run.allowed:
            idle.append(f"{run.name}: no attempt got through")
        counts[f"{key}_attempts"] = run.attempts
        counts[f"{key}_allowed"] = run.allowed
        counts[f"{key}_refused"] = run.outcomes.get(RATE_LIMITED, 0)
    for flood in floods:
        key = flood.name.replace(" ", "_")
        budget = flood.limit * flood.windows
        if flood.spent_before + flood.acted_on > budget:
            violations.append(
                f"{flood.name}: the relay acted on {flood.spent_before + flood.acted_on} frames "
                f"of one connection, over its limit of {flood.limit} a minute"
            )
        if flood.spent_before + flood.sent > budget and flood.close_code != CloseCode.RATE_LIMITED:
            ending = "left open" if flood.close_code is None else f"closed {flood.close_code}"
            violations.append(
                f"{flood.name}: after {flood.spent_before + flood.sent} frames the connection "
                f"was {ending}, not closed with {int(CloseCode.RATE_LIMITED)}"
            )
        if flood.after_received < flood.after_sent:
            violations.append(
                f"{flood.name}: the other members received {flood.after_received} of "
                f"{flood.after_sent} messages sent after the flood"
            )
        if flood.spent_before + flood.sent <= budget:
            idle.append(f"{flood.name}: the flood never exceeded the limit")
        counts[f"{key}_attempts"] = flood.spent_before + flood.sent
        counts[f"{key}_allowed"] = flood.spent_before + flood.acted_on
        counts[f"{key}_refused"] = max(0, flood.sent - flood.acted_on)
    details = {"limits": [asdict(run) for run in runs], "floods": [asdict(f) for f in floods]}
    if not violations and (idle or not (runs or floods)):
        return could_not_run(
            "a scenario proved nothing: " + "; ".join(idle or ["none ran"]), counts
        )
    return judged(
        violations, counts,
        f"{len(runs) + len(floods)} scenarios: no limit let more through than it allows",
        "a rate limit was exceeded or refused otherwise than documented",
        details,
    )  # fmt: skip


# Gathering ---------------------------------------------------------------------------


def _windows(started: float, window_s: float) -> int:
    return 1 + int((time.monotonic() - started) // window_s)


def _spoofed(number: int) -> dict[str, str]:
    """Headers a client might hope the relay takes for its address (documentation range)."""
    address = f"198.51.100.{number % 250 + 1}"
    return {"X-Forwarded-For": address, "X-Real-IP": address}


async def _parallel_joins(tenant: Tenant) -> LimitRun:
    started = time.monotonic()
    owner = await RoomClient.create(tenant.origin, "owner")
    try:
        outcomes = await asyncio.gather(
            *(try_join(owner.link, _spoofed(n)) for n in range(PARALLEL_JOINS))
        )
    finally:
        await leave_all([owner])
    return LimitRun("parallel joins", JOINS_PER_MINUTE, 1, PARALLEL_JOINS,
                    dict(Counter(outcomes)), "welcome", _windows(started, 60))  # fmt: skip


async def _churn(tenant: Tenant) -> LimitRun:
    started = time.monotonic()
    owner = await RoomClient.create(tenant.origin, "owner")
    try:
        outcomes = [await try_join(owner.link) for _ in range(CHURN_CYCLES)]
    finally:
        await leave_all([owner])
    return LimitRun("reconnect churn", JOINS_PER_MINUTE, 1, CHURN_CYCLES,
                    dict(Counter(outcomes)), "welcome", _windows(started, 60))  # fmt: skip


async def _creations(tenant: Tenant) -> LimitRun:
    started = time.monotonic()
    made: list[RoomClient] = []

    async def create() -> str:
        try:
            client = await RoomClient.create(tenant.origin, "creator")
        except Exception as error:  # every ending is an outcome to count
            return client_outcome(error)
        made.append(client)
        return CREATED

    try:
        outcomes = list(await asyncio.gather(*(create() for _ in range(PARALLEL_CREATES))))
        outcomes += [await create() for _ in range(SEQUENTIAL_CREATES)]
    finally:
        await leave_all(made)
    return LimitRun("room creation", ROOMS_PER_HOUR, 0, len(outcomes),
                    dict(Counter(outcomes)), CREATED, _windows(started, 3600))  # fmt: skip


async def _send_all(socket: RecordingConnection, frames: list[bytes]) -> int:
    """Send until the relay closes the socket; how many frames left the client."""
    sent = 0
    for frame in frames:
        try:
            await socket.send(frame)
        except ConnectionClosed:
            break
        sent += 1
    return sent


def _kinds(frames: list[bytes], kind: int) -> int:
    return sum(len(frame) > 1 and frame[1] == kind for frame in frames)


async def _message_flood(
    mallory: RoomClient, others: list[RoomClient], speaker: RoomClient
) -> Flood:
    started, wire = time.monotonic(), wire_of(mallory)
    spent = len(wire.sent) - 1  # everything after the JOIN passed the frame budget
    texts = [f"flood-{n}" for n in range(FLOOD)]
    sent = await _send_all(wire, [mallory.session.text(text) for text in texts])
    await wait_until(lambda: wire.close_code is not None, SETTLE_S)
    quiet = await asyncio.gather(*(gather_events(o, 1.0, lambda ev: False) for o in others))
    heard = [sum(isinstance(e, MessageReceived) and e.text in texts for e in ev) for ev in quiet]
    after = [f"after-flood-{n}" for n in range(AFTER_FLOOD)]
    for text in after:
        await speaker.send_text(text)

    def got_all(events: list[Event]) -> bool:
        return {e.text for e in events if isinstance(e, MessageReceived)} >= set(after)

    received = []
    for other in others:
        events = await gather_events(other, SETTLE_S, got_all)
        received.append(
            len({e.text for e in events if isinstance(e, MessageReceived)} & set(after))
        )
    return Flood("message flood", FRAMES_PER_MINUTE, spent, sent, max(heard), wire.close_code,
                 AFTER_FLOOD, min(received), _windows(started, 60))  # fmt: skip


async def _decline_flood(mallory: RoomClient) -> Flood:
    started, wire = time.monotonic(), wire_of(mallory)
    spent = len(wire.sent) - 1
    before = _kinds(wire.received, FrameKind.REFUSED)
    frames = [DeclineFrame(os.urandom(32)).encode() for _ in range(FLOOD)]
    sent = await _send_all(wire, frames)
    await wait_until(
        lambda: (
            wire.close_code is not None or _kinds(wire.received, FrameKind.REFUSED) - before >= sent
        ),
        SETTLE_S,
    )
    await asyncio.sleep(0.3)
    answered = _kinds(wire.received, FrameKind.REFUSED) - before
    return Flood("decline flood", FRAMES_PER_MINUTE, spent, sent, answered,
                 wire.close_code, windows=_windows(started, 60))  # fmt: skip


async def _redeem_flood(tenant: Tenant) -> Flood:
    owner = await RoomClient.create(tenant.origin, "owner", join_rule=JoinRule.INVITE)
    try:
        url = await owner.invite(uses=1)
        await settled(owner)
        origin, link = split_link_url(url)
        started = time.monotonic()
        opened = await challenged(origin)
        if isinstance(opened, int):
            raise RuntimeError(f"no challenge: close {opened}")
        socket, challenge = opened
        newcomer = Admission(origin, link, "newcomer")
        try:
            await socket.send(newcomer.join_frame(challenge))
            first = await listen(
                socket, SETTLE_S, until=lambda f: f[1] == FrameKind.INVITE_REQUIRED
            )
            if FrameKind.INVITE_REQUIRED not in first.kinds():
                raise RuntimeError("the invite room did not ask for a ticket")
            # REDEEMs on a head the relay does not have: each is answered INVITE_REQUIRED.
            frames = [newcomer.redeem_frame(os.urandom(32)) for _ in range(FLOOD)]
            sent = await _send_all(socket, frames)
            answers: list[bytes] = []

            def all_answered(frame: bytes) -> bool:
                answers.extend([frame] if frame[1:2] == bytes([FrameKind.INVITE_REQUIRED]) else [])
                return len(answers) >= sent

            heard = await listen(socket, SETTLE_S, until=all_answered)
            answered = len(answers)
            code = heard.code
        finally:
            await shut(socket)
    finally:
        await leave_all([owner])
    return Flood("redeem flood", FRAMES_PER_MINUTE, 0, sent, answered, code,
                 windows=_windows(started, 60))  # fmt: skip


async def _floods(tenant: Tenant) -> list[Flood]:
    alice = await RoomClient.create(tenant.origin, "alice")
    others = [await RoomClient.join(alice.link, name) for name in ("bob", "carol")]
    mallory = await RoomClient.join(alice.link, "mallory")
    eve = await RoomClient.join(alice.link, "eve")
    clients = [alice, *others, mallory, eve]
    try:
        for _ in range(4):
            await alice.next_event_of(MemberJoined)
        await asyncio.sleep(0.5)  # the hellos' answers
        floods = [await _message_flood(mallory, others, alice), await _decline_flood(eve)]
    finally:
        await leave_all(clients)
    floods.append(await _redeem_flood(tenant))
    return floods


async def _gather(live: LiveEvidence) -> tuple[list[LimitRun], list[Flood]]:
    joins = ("--joins-per-minute", str(JOINS_PER_MINUTE))
    parallel = add_tenant(live, "joins", *ROOMY, *joins)
    churn = add_tenant(live, "churn", *ROOMY, *joins)
    rooms = add_tenant(live, "rooms", *ROOMY, "--rooms-per-hour", str(ROOMS_PER_HOUR))
    frames = add_tenant(live, "frames", *ROOMY, "--messages-per-minute", str(FRAMES_PER_MINUTE))
    runs = [await _parallel_joins(parallel), await _churn(churn), await _creations(rooms)]
    return runs, await _floods(frames)


def run(ctx: Context) -> CheckResult:
    live = ctx.live()
    try:
        with recording_python_clients():
            runs, floods = asyncio.run(_gather(live))
    except Exception as error:  # reported: the check could not run
        return could_not_run(f"the limits could not be probed: {type(error).__name__}")
    return judge(runs, floods)


pytestmark = pytest.mark.check(
    "Rate limits hold against parallel sockets, reconnect churn and floods", "runtime"
)


def test_rate_limits_hold(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
