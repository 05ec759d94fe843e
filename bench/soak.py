"""The soak: many rooms talking steadily for a bounded time, every process's memory sampled.

Rooms of Python clients talk through nginx in front of two daphne processes
and one Redis (bench/cluster.py) at a steady rate. Every few seconds the run
reads each relay's and Redis's resident memory from /proc and the latency of
every message (its sender's clock to each receiver's, one machine's clock).
It reports memory per connection, how memory moves over the run (a leak
shows as a slope that does not flatten), latency percentiles per minute, and
every error: a client that gave up, a gap shown, a message lost.

    python -m bench.soak --profile full   # 20 rooms x 5 members, 10 minutes (make soak)
    python -m bench.soak --profile ci     # 4 rooms x 3 members, 60 s
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from atopos_client.connection import RoomClient
from atopos_client.events import MessageReceived, MessagesMissed, RoomClosed
from atopos_client.session import SendingPaused
from bench.cluster import Cluster, start_cluster, wind_down

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Profile:
    rooms: int
    members: int
    seconds: float
    send_every: float
    sample_every: float = 5.0
    relays: int = 2


PROFILES = {
    "full": Profile(rooms=20, members=5, seconds=600, send_every=2.0),
    "ci": Profile(rooms=4, members=3, seconds=60, send_every=1.0),
}


@dataclass
class Member:
    client: RoomClient
    sent: int = 0
    received: int = 0
    latencies_ms: list[tuple[float, float]] = field(default_factory=list)  # (run second, ms)
    gaps: int = 0
    closed_with: int | None = None


async def listen(member: Member, started: float) -> None:
    while True:
        event = await member.client.events.get()
        if isinstance(event, MessageReceived):
            member.received += 1
            sent_at = float(event.text.split("|", 1)[0])
            now = time.time() * 1000
            member.latencies_ms.append((time.monotonic() - started, now - sent_at))
        elif isinstance(event, MessagesMissed):
            member.gaps += event.count
        elif isinstance(event, RoomClosed):
            member.closed_with = event.code
            return


async def talk(member: Member, every: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(SendingPaused):
            await member.client.send_text(f"{time.time() * 1000:.1f}|soak")
            member.sent += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def sample(cluster: Cluster) -> dict[str, int]:
    processes = {relay.name: relay.process.pid for relay in cluster.relays}
    processes["redis"] = cluster.redis.process.pid
    return {name: rss_kib(pid) for name, pid in processes.items()}


def slope_kib_per_minute(points: list[tuple[float, int]]) -> float:
    """Least-squares slope of memory over time."""
    if len(points) < 2:
        return 0.0
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return 60 * sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def summarise(members: list[Member], samples: list[dict[str, Any]], baseline: dict[str, int],
              profile: Profile, seconds: float) -> dict[str, Any]:  # fmt: skip
    connections = len(members)
    names = [name for name in baseline if name != "redis"]
    final = samples[-1]["rss_kib"]
    per_connection = sum(final[name] - baseline[name] for name in names) / connections
    half = seconds / 2
    slopes = {
        name: round(slope_kib_per_minute(
            [(s["t"], s["rss_kib"][name]) for s in samples if s["t"] >= half]
        ), 1)
        for name in baseline
    }  # fmt: skip
    latencies = [(t, ms) for m in members for t, ms in m.latencies_ms]
    minutes: dict[int, list[float]] = {}
    for t, ms in latencies:
        minutes.setdefault(int(t // 60), []).append(ms)
    per_minute = [
        {"minute": minute, "messages": len(values), "p50_ms": percentile(values, 0.5),
         "p99_ms": percentile(values, 0.99)}
        for minute, values in sorted(minutes.items())
    ]  # fmt: skip
    sent = sum(m.sent for m in members)
    expected = sent * (profile.members - 1)
    received = sum(m.received for m in members)
    p99s = [entry["p99_ms"] for entry in per_minute if entry["p99_ms"] is not None]
    return {
        "profile": asdict(profile),
        "seconds": round(seconds, 1),
        "connections": connections,
        "rss_baseline_kib": baseline,
        "rss_final_kib": final,
        "relay_kib_per_connection": round(per_connection, 1),
        "second_half_slope_kib_per_minute": slopes,
        "latency": {"p50_ms": percentile([ms for _, ms in latencies], 0.5),
                    "p99_ms": percentile([ms for _, ms in latencies], 0.99),
                    "per_minute": per_minute,
                    "p99_spread_ms": round(max(p99s) - min(p99s), 1) if p99s else None},
        "sent": sent,
        "deliveries_expected": expected,
        "delivered": received,
        "gaps_shown": sum(m.gaps for m in members),
        "clients_closed": [m.closed_with for m in members if m.closed_with is not None],
        "samples": samples,
    }  # fmt: skip


async def run(profile: Profile) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    cluster = await loop.run_in_executor(None, start_cluster, profile.relays)
    try:
        await asyncio.sleep(2)
        baseline = sample(cluster)
        members: list[Member] = []
        for _ in range(profile.rooms):
            owner = await RoomClient.create(cluster.origin, "m0", lifetime_seconds=3600)
            members.append(Member(owner))
            for index in range(1, profile.members):
                members.append(Member(await RoomClient.join(owner.link, f"m{index}")))
        await asyncio.sleep(2)
        started = time.monotonic()
        listeners = [asyncio.create_task(listen(m, started)) for m in members]
        stop = asyncio.Event()
        talkers = [asyncio.create_task(talk(m, profile.send_every, stop)) for m in members]
        samples = []
        while (elapsed := time.monotonic() - started) < profile.seconds:
            samples.append({"t": round(elapsed, 1), "rss_kib": sample(cluster)})
            await asyncio.sleep(profile.sample_every)
        stop.set()
        await asyncio.gather(*talkers)
        await asyncio.sleep(3)  # the last messages arrive
        result = summarise(members, samples, baseline, profile, time.monotonic() - started)
        await wind_down((member.client for member in members), listeners)
        return result
    finally:
        await loop.run_in_executor(None, cluster.stop)


def plot(result: dict[str, Any], path: Path) -> None:
    """Memory of each process over the run, and latency p50/p99 per minute."""
    figure, (memory, latency) = plt.subplots(2, 1, figsize=(8, 7))
    times = [s["t"] / 60 for s in result["samples"]]
    for name in result["rss_baseline_kib"]:
        memory.plot(times, [s["rss_kib"][name] / 1024 for s in result["samples"]], label=name)
    memory.set_xlabel("minutes")
    memory.set_ylabel("resident memory (MiB)")
    memory.set_title(f"{result['connections']} connections, {result['profile']['rooms']} rooms")
    memory.legend()
    minutes = result["latency"]["per_minute"]
    for key in ("p50_ms", "p99_ms"):
        latency.plot([m["minute"] for m in minutes], [m[key] for m in minutes], marker="o",
                     label=key.removesuffix("_ms"))  # fmt: skip
    latency.set_xlabel("minute")
    latency.set_ylabel("message latency (ms)")
    latency.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--seconds", type=float, help="override the profile's duration")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "soak.json")
    arguments = parser.parse_args(argv)
    profile = PROFILES[arguments.profile]
    if arguments.seconds:
        profile = Profile(**{**asdict(profile), "seconds": arguments.seconds})
    result = asyncio.run(run(profile))
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(result, indent=2) + "\n")
    plot(result, arguments.out.with_suffix(".png"))
    shown = {key: value for key, value in result.items() if key != "samples"}
    shown["latency"] = {k: v for k, v in result["latency"].items() if k != "per_minute"}
    print(json.dumps(shown, indent=2))
    ok = not result["clients_closed"] and result["gaps_shown"] == 0
    return 0 if ok and result["delivered"] == result["deliveries_expected"] else 1


if __name__ == "__main__":
    sys.exit(main())
