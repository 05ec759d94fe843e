"""`python -m bench.governance`: append and join latency against the length of a room's log.

Issue 9 found that every JOIN, append and redemption re-read and re-verified a
room's whole governance log on the event loop (89 ms at 500 events, 705 ms at
4,000). The relay now keeps each room's resolved log per process and applies
only new events. This bench measures, on a real daphne and Redis on loopback,
for logs of 10, 100 and 1,000 events:

- **append**: an owner's EVENT until its GOVERNANCE echo (the relay decodes,
  checks against the cached state, compare-and-sets, fans out);
- **join**: a newcomer's JOIN until the WELCOME (the relay verifies the
  proof and the binding, reads the cached log, decides);
- **join to ready**: until the last of the log's GOVERNANCE frames has arrived;
- **cold join**: the first JOIN after the relay restarted (nothing cached: the
  log is read and verified once, in a worker thread).

Every loop is bounded; everything stays on loopback. JSON and a PNG go to
``var/bench/governance/``; docs/PERFORMANCE.md quotes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from atopos_client.admission import Admission
from atopos_client.session import RoomSession
from atopos_protocol.frames import ChallengeFrame, EventFrame, Kind
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.payloads import SetJoinRule
from atopos_protocol.join_rules import JoinRule
from atopos_site.embedded_redis import start_embedded_redis
from atopos_site.testing.live_site import LiveSite, live_site
from bench.run import machine

OUT = Path(__file__).resolve().parent.parent / "var" / "bench" / "governance"
LENGTHS = (10, 100, 1000)
TARGET_RATIO = 2.0  # the 1,000-event figure within 2x of the 10-event one
TIMEOUT = 30.0


@dataclass(frozen=True)
class Profile:
    appends: int
    joins: int


PROFILES = {
    "smoke": Profile(appends=10, joins=4),
    "quick": Profile(20, 10),
    "full": Profile(100, 30),
}


async def _open(origin: str) -> tuple[ClientConnection, bytes]:
    socket = await connect(
        origin.replace("http", "ws") + "/ws/v1", origin=Origin(origin), max_size=2**16
    )
    challenge = ChallengeFrame.decode(await asyncio.wait_for(socket.recv(), TIMEOUT))  # type: ignore[arg-type]
    return socket, challenge.challenge


async def _until(socket: ClientConnection, kind: int) -> bytes:
    while True:
        frame = await asyncio.wait_for(socket.recv(), TIMEOUT)
        if isinstance(frame, bytes) and frame[1] == kind:
            return frame


class Room:
    """An owner's room whose log the bench grows with cheap, valid events."""

    def __init__(self, socket: ClientConnection, session: RoomSession) -> None:
        self.socket, self.session = socket, session
        self.head = session.genesis.event_id
        self.length = 0
        self.toggle = 0

    @classmethod
    async def create(cls, origin: str) -> Room:
        socket, challenge = await _open(origin)
        admission = Admission.new_room(origin, "bench", 3600, int(time.time() * 1000))
        await socket.send(admission.create_frame(challenge))
        await _until(socket, Kind.CREATED)
        return cls(socket, admission.accept_created())

    async def append(self) -> float:
        """One SET_JOIN_RULE (open <-> approval) appended; seconds until its echo."""
        self.toggle ^= 1
        rule = JoinRule.APPROVAL if self.toggle else JoinRule.OPEN
        event = Event.create(
            EventKind.SET_JOIN_RULE,
            self.session.keys.room_id,
            self.head,
            self.session.member.signing_key,
            SetJoinRule(rule, 0).encode(),
        )
        started = time.perf_counter()
        await self.socket.send(EventFrame(event.raw).encode())
        await _until(self.socket, Kind.GOVERNANCE)
        elapsed = time.perf_counter() - started
        self.head, self.length = event.id, self.length + 1
        return elapsed

    async def grow_to(self, length: int) -> None:
        while self.length < length:
            await self.append()
        if self.toggle:  # leave the room open, so newcomers are welcomed at once
            await self.append()

    async def join(self) -> tuple[float, float]:
        """A newcomer's JOIN: seconds to the WELCOME, and to the log's last frame."""
        socket, challenge = await _open(self.session.origin)
        newcomer = Admission(self.session.origin, self.session.link, "newcomer")
        started = time.perf_counter()
        await socket.send(newcomer.join_frame(challenge))
        welcome = await _until(socket, Kind.WELCOME)
        welcomed = time.perf_counter() - started
        _, log_length = newcomer.accept_welcome(welcome)
        for _ in range(log_length):
            await _until(socket, Kind.GOVERNANCE)
        ready = time.perf_counter() - started
        await socket.close()
        return welcomed, ready


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "samples": len(ordered),
    }


async def measure(site: LiveSite, profile: Profile) -> dict[str, Any]:
    """Rooms of every length grown first, then sampled in turns (one append or join per
    room per turn), so drift in the machine's load falls on every length alike."""
    origin = site.url("").rstrip("/")
    rooms: dict[int, Room] = {}
    for length in LENGTHS:
        rooms[length] = await Room.create(origin)
        await rooms[length].grow_to(length)
    appends: dict[int, list[float]] = {length: [] for length in LENGTHS}
    joins: dict[int, list[tuple[float, float]]] = {length: [] for length in LENGTHS}
    for _ in range(profile.appends):
        for length, room in rooms.items():
            appends[length].append(await room.append())
    for room in rooms.values():
        await room.grow_to(room.length)  # leave each room open for the newcomers
    for _ in range(profile.joins):
        for length, room in rooms.items():
            joins[length].append(await room.join())
    results: dict[str, Any] = {}
    for length, room in rooms.items():
        results[str(length)] = {
            "log_events": {"first_sample": length, "last_sample": room.length},
            "append": _ms(appends[length]),
            "join": _ms([welcomed for welcomed, _ in joins[length]]),
            "join_to_ready": _ms([ready for _, ready in joins[length]]),
        }
        await room.socket.close()
    return results


async def measure_cold(site: LiveSite) -> dict[str, Any]:
    """Rooms grown as above; then the relay restarts and each gets its first JOIN."""
    origin = site.url("").rstrip("/")
    rooms = {}
    for length in LENGTHS:
        rooms[length] = await Room.create(origin)
        await rooms[length].grow_to(length)
    for room in rooms.values():
        await room.socket.close()
    site.restart()
    return {str(length): _ms([(await room.join())[0]]) for length, room in rooms.items()}


def verdict(results: dict[str, Any]) -> dict[str, Any]:
    """The target: each 1,000-event p50 within TARGET_RATIO of the 10-event one."""
    out = {}
    for measure_name in ("append", "join"):
        small = results[str(LENGTHS[0])][measure_name]["p50_ms"]
        large = results[str(LENGTHS[-1])][measure_name]["p50_ms"]
        ratio = round(large / small, 2) if small else None
        out[measure_name] = {
            "ratio_1000_to_10": ratio,
            "met": ratio is not None and ratio <= TARGET_RATIO,
        }
    return out


def plot(results: dict[str, Any], path: Path) -> None:
    figure, axis = plt.subplots(figsize=(6, 4))
    for name in ("append", "join", "join_to_ready"):
        axis.plot(
            LENGTHS,
            [results[str(n)][name]["p50_ms"] for n in LENGTHS],
            marker="o",
            label=f"{name.replace('_', ' ')} (p50)",
        )
    axis.set_xscale("log")
    axis.set_xlabel("events in the room's log")
    axis.set_ylabel("milliseconds")
    axis.set_title("Governance latency against log length")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.governance", description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--out", type=Path, default=OUT)
    arguments = parser.parse_args(argv)
    profile = PROFILES[arguments.profile]
    redis_server = start_embedded_redis()
    try:
        with tempfile.TemporaryDirectory(prefix="atopos-bench-gov-") as scratch:
            options = ["--messages-per-minute", "6000", "--joins-per-minute", "600",
                       "--max-members", "256"]  # fmt: skip
            env = {"REDIS_URL": redis_server.url, "ATOPOS_LOG_LEVEL": "WARNING"}
            with live_site(Path(scratch), env=env, tenant_options=options) as site:
                warm = asyncio.run(measure(site, profile))
                cold = asyncio.run(measure_cold(site))
    finally:
        redis_server.stop()
    report = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "profile": arguments.profile,
        "machine": machine(),
        "lengths": list(LENGTHS),
        "warm": warm,
        "cold_first_join": cold,
        "target": {"ratio_max": TARGET_RATIO, **verdict(warm)},
    }
    arguments.out.mkdir(parents=True, exist_ok=True)
    path = arguments.out / f"report-{arguments.profile}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    plot(warm, arguments.out / f"latency-{arguments.profile}.png")
    sys.stdout.write(f"{path}\n{json.dumps(report['target'])}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
