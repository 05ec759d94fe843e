"""A bench run: every variant measured in turn, round after round, on the same machine."""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.loadgen import Phase, Swarm, connect_swarm, offer
from bench.servers import Lab, Variant

YARDSTICK = "bare-redis"


@dataclass(frozen=True)
class Profile:
    """How big and how long a run is."""

    name: str
    rounds: int
    rooms: int
    room_size: int
    fixed_rates: tuple[int, ...]
    fixed_seconds: float
    ladder: tuple[int, ...]
    ladder_seconds: float
    idle_sockets: int
    variants: tuple[str, ...] = ("bare", "bare-redis", "atopos", "tutorial")


PROFILES = {
    "smoke": Profile(
        name="smoke", rounds=1, rooms=4, room_size=3, fixed_rates=(250, 1000), fixed_seconds=1.0,
        ladder=(500, 2000), ladder_seconds=1.0, idle_sockets=60,
    ),
    "quick": Profile(
        name="quick", rounds=1, rooms=50, room_size=5, fixed_rates=(250, 1000), fixed_seconds=4.0,
        ladder=(1000, 2000, 4000, 8000, 16000, 32000, 64000), ladder_seconds=3.0,
        idle_sockets=2000,
    ),
    "full": Profile(
        name="full", rounds=3, rooms=50, room_size=5, fixed_rates=(250, 1000), fixed_seconds=6.0,
        ladder=(1000, 2000, 4000, 8000, 16000, 32000, 64000), ladder_seconds=4.0,
        idle_sockets=2000,
    ),
}  # fmt: skip


@dataclass
class RoundResult:
    """One variant's measurements in one round."""

    fixed: dict[int, Phase] = field(default_factory=dict)
    ladder: list[Phase] = field(default_factory=list)
    kib_per_idle_socket: float | None = None

    @property
    def saturated(self) -> float:
        return max(phase.delivered_per_s for phase in self.ladder)


async def measure_round(lab: Lab, variant: Variant, profile: Profile) -> RoundResult:
    """Fixed loads, the load ladder, then memory per idle socket, for one variant."""
    result = RoundResult()
    redis_cpu = lab.redis.cpu_seconds
    swarm = await connect_swarm(variant, profile.rooms, profile.room_size)
    try:
        await offer(
            swarm, variant, redis_cpu, profile.fixed_rates[0], min(1.0, profile.fixed_seconds)
        )
        for rate in profile.fixed_rates:
            result.fixed[rate] = await offer(swarm, variant, redis_cpu, rate, profile.fixed_seconds)
        for rate in profile.ladder:
            phase = await offer(swarm, variant, redis_cpu, rate, profile.ladder_seconds)
            result.ladder.append(phase)
            if phase.delivered_per_s < 0.7 * rate or phase.loss > 0.05:
                break  # saturated: more offered load only queues up
    finally:
        await swarm.close()
    result.kib_per_idle_socket = await idle_memory(variant, profile)
    return result


async def idle_memory(variant: Variant, profile: Profile) -> float:
    """Growth of a fresh server's resident memory per connected, idle, joined socket.

    The server is restarted first: memory freed by the load phases stays with the
    process and would hide what new sockets cost. A few sockets come and go
    before the baseline so one-off imports and pools are not counted.
    """
    variant.server.restart()
    warm = await connect_swarm(variant, 2, 5)
    await warm.close()
    await asyncio.sleep(1.0)
    before = variant.server.rss_kib()
    rooms = max(1, profile.idle_sockets // 5)
    swarm: Swarm = await connect_swarm(variant, rooms, 5)
    try:
        await asyncio.sleep(2.0)
        after = variant.server.rss_kib()
    finally:
        await swarm.close()
    return (after - before) / (rooms * 5)


def summarise(rounds: list[RoundResult], profile: Profile) -> dict[str, Any]:
    """Medians over rounds, plus every round's raw figures."""

    def median(values: list[float | None]) -> float | None:
        present = [value for value in values if value is not None]
        return round(statistics.median(present), 3) if present else None

    fixed = {}
    for rate in profile.fixed_rates:
        phases = [result.fixed[rate] for result in rounds]
        fixed[str(rate)] = {
            "p50_ms": median([phase.percentile(50) for phase in phases]),
            "p99_ms": median([phase.percentile(99) for phase in phases]),
            "loss": median([phase.loss for phase in phases]),
            "server_cpu_us_per_delivery": median(
                [1e6 * phase.server_cpu_s / max(1, phase.received) for phase in phases]
            ),
            "redis_cpu_us_per_delivery": median(
                [1e6 * phase.redis_cpu_s / max(1, phase.received) for phase in phases]
            ),
        }
    top = [max(result.ladder, key=lambda phase: phase.delivered_per_s) for result in rounds]
    return {
        "saturated_deliveries_per_s": median([result.saturated for result in rounds]),
        "at_saturation": {
            "server_cpu_us_per_delivery": median(
                [1e6 * phase.server_cpu_s / max(1, phase.received) for phase in top]
            ),
            "redis_cpu_us_per_delivery": median(
                [1e6 * phase.redis_cpu_s / max(1, phase.received) for phase in top]
            ),
        },
        "fixed_load": fixed,
        "kib_per_idle_socket": median([result.kib_per_idle_socket for result in rounds]),
        "rounds": [
            {
                "saturated_deliveries_per_s": round(result.saturated, 1),
                "ladder": [
                    {
                        "offered_per_s": phase.offered_per_s,
                        "delivered_per_s": round(phase.delivered_per_s, 1),
                        "loss": round(phase.loss, 5),
                    }
                    for phase in result.ladder
                ],
                "kib_per_idle_socket": result.kib_per_idle_socket,
            }
            for result in rounds
        ],
    }


def machine() -> dict[str, Any]:
    """The machine the figures came from."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": model,
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "packages": {
            name: version(name)
            for name in ("django", "channels", "channels-redis", "daphne", "websockets", "redis")
        },
    }


async def run(lab: Lab, profile: Profile) -> tuple[dict[str, list[RoundResult]], float]:
    """Every variant, round by round (interleaved), on a flushed Redis each time."""
    results: dict[str, list[RoundResult]] = {variant.name: [] for variant in lab.variants}
    started = time.monotonic()
    for _ in range(profile.rounds):
        for variant in lab.variants:
            lab.flush_redis()
            gc.collect()
            results[variant.name].append(await measure_round(lab, variant, profile))
    return results, time.monotonic() - started
