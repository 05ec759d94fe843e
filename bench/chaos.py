"""The chaos run: rooms keep their messages while relays die, Redis restarts and networks drop.

Rooms of Python clients (the reference client, with its reconnects, resends
and gap repair) talk at a steady rate through nginx in front of two or more
daphne processes, while the run SIGKILLs a relay every few seconds and starts
it again, SIGKILLs Redis once and starts it again, and cuts random client
connections. Then it lets everything settle and counts, per message and
receiver: shown, shown twice, shown out of its sender's order, or lost.
Targets: no acknowledged message lost, none shown twice, none reordered.

    python -m bench.chaos --profile full   # 20 rooms x 5 members, 120 s (make chaos)
    python -m bench.chaos --profile ci     # a small, bounded profile (in make test)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from atopos_client.connection import HandshakeRefused, RoomClient
from atopos_client.events import (
    BackOnline,
    MessageReceived,
    MessagesMissed,
    Reconnecting,
    RoomClosed,
)
from atopos_client.session import SendingPaused
from bench.cluster import Cluster, start_cluster, wind_down

ROOT = Path(__file__).resolve().parent.parent
REJOIN_FAILURES: Counter[str] = Counter()  # why reconnect tries failed, over the whole run


def count_rejoin_failures() -> None:
    """Record why each failed reconnect try failed (the client only says it tries again)."""
    rejoin = RoomClient._rejoin

    async def counted(self: RoomClient) -> Any:
        try:
            return await rejoin(self)
        except HandshakeRefused as refused:
            REJOIN_FAILURES[f"closed {refused.code}"] += 1
            raise
        except BaseException as error:
            REJOIN_FAILURES[type(error).__name__] += 1
            raise

    RoomClient._rejoin = counted  # type: ignore[method-assign]


@dataclass(frozen=True)
class Profile:
    rooms: int
    members: int
    seconds: float
    send_every: float  # seconds between one member's messages
    kill_every: float  # seconds between relay kills (each relay starts again 2 s later)
    drop_every: float  # seconds between cuts of a random client's connection
    redis_restart_at: float  # seconds into the run
    relays: int = 2


PROFILES = {
    "full": Profile(rooms=20, members=5, seconds=120, send_every=2.0, kill_every=10,
                    drop_every=2, redis_restart_at=60),
    "ci": Profile(rooms=3, members=3, seconds=24, send_every=1.0, kill_every=8,
                  drop_every=3, redis_restart_at=12),
}  # fmt: skip


@dataclass
class Member:
    """One client and everything it showed."""

    room: int
    index: int
    client: RoomClient
    shown: list[tuple[int, int]] = field(default_factory=list)  # (sender index, number)
    missed: int = 0
    reconnects: int = 0
    online: bool = True
    closed_with: int | None = None
    sent: list[int] = field(default_factory=list)  # numbers of our messages
    message_ids: dict[int, int] = field(default_factory=dict)  # our number -> message id

    def pending_numbers(self) -> set[int]:
        pending = set(self.client.session.sent.pending)
        return {number for number, message_id in self.message_ids.items() if message_id in pending}


def parse(text: str) -> tuple[int, int, int]:
    room, sender, number = text.split("|")
    return int(room), int(sender), int(number)


async def collect(member: Member) -> None:
    while True:
        event = await member.client.events.get()
        if isinstance(event, MessageReceived):
            _, sender, number = parse(event.text)
            member.shown.append((sender, number))
        elif isinstance(event, MessagesMissed):
            member.missed += event.count
        elif isinstance(event, Reconnecting):
            member.online = False
            member.reconnects += 1
        elif isinstance(event, BackOnline):
            member.online = True
        elif isinstance(event, RoomClosed):
            member.closed_with = event.code
            return


async def talk(member: Member, every: float, stop: asyncio.Event, rng: random.Random) -> None:
    number = 0
    await asyncio.sleep(rng.uniform(0, every))
    while not stop.is_set():
        if member.closed_with is None:
            number += 1
            try:
                await member.client.send_text(f"{member.room}|{member.index}|{number}")
            except SendingPaused:
                number -= 1
            else:
                member.sent.append(number)
                member.message_ids[number] = member.client.session.sent.last_id
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every * rng.uniform(0.8, 1.2))


async def open_rooms(cluster: Cluster, profile: Profile) -> list[list[Member]]:
    rooms: list[list[Member]] = []
    for room in range(profile.rooms):
        owner = await RoomClient.create(cluster.origin, "m0", lifetime_seconds=3600)
        members = [Member(room, 0, owner)]
        for index in range(1, profile.members):
            members.append(Member(room, index, await RoomClient.join(owner.link, f"m{index}")))
        rooms.append(members)
    await asyncio.sleep(2)  # hellos answered: every member knows every other
    return rooms


async def chaos(cluster: Cluster, profile: Profile, everyone: list[Member], stop: asyncio.Event,
                log: list[dict[str, Any]], rng: random.Random) -> None:  # fmt: skip
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    next_kill, next_drop, redis_done, victim = profile.kill_every, profile.drop_every, False, 0
    while not stop.is_set():
        await asyncio.sleep(0.25)
        elapsed = time.monotonic() - started
        if elapsed >= next_kill:
            index = victim % len(cluster.relays)
            victim += 1
            await loop.run_in_executor(None, cluster.kill_relay, index)
            log.append({"t": round(elapsed, 1), "action": "kill-relay", "relay": index})
            await asyncio.sleep(2)
            await loop.run_in_executor(None, cluster.start_relay, index)
            next_kill += profile.kill_every
        if not redis_done and elapsed >= profile.redis_restart_at:
            redis_done = True
            await loop.run_in_executor(None, cluster.kill_redis)
            log.append({"t": round(elapsed, 1), "action": "kill-redis"})
            await asyncio.sleep(2)
            await loop.run_in_executor(None, cluster.start_redis)
        if elapsed >= next_drop:
            member = rng.choice(everyone)
            transport = member.client.socket.transport
            if transport is not None:
                transport.abort()
                log.append({"t": round(elapsed, 1), "action": "drop", "room": member.room,
                            "member": member.index})  # fmt: skip
            next_drop += profile.drop_every


def report(rooms: list[list[Member]], profile: Profile, log: list[dict[str, Any]],
           seconds: float) -> dict[str, Any]:  # fmt: skip
    """Per message and receiver: shown once, twice, out of order, or not at all."""
    sent = acknowledged = expected = delivered = duplicates = reordered = 0
    lost_pairs: list[dict[str, int]] = []
    for members in rooms:
        present = [m for m in members if m.closed_with is None]
        for sender in members:
            pending = sender.pending_numbers()
            sent += len(sender.sent)
            acked = [n for n in sender.sent if n not in pending]
            acknowledged += len(acked)
            for receiver in present:
                if receiver is sender:
                    continue
                counts = Counter(n for who, n in receiver.shown if who == sender.index)
                duplicates += sum(count - 1 for count in counts.values() if count > 1)
                delivered += sum(1 for n in sender.sent if counts[n])
                expected += len(acked)
                for n in acked:
                    if not counts[n]:
                        lost_pairs.append({"room": sender.room, "sender": sender.index,
                                           "number": n, "receiver": receiver.index})  # fmt: skip
                order = [n for who, n in receiver.shown if who == sender.index]
                highest = 0
                for n in order:
                    if n < highest:
                        reordered += 1
                    highest = max(highest, n)
    everyone = [m for members in rooms for m in members]
    result = {
        "profile": asdict(profile),
        "seconds": round(seconds, 1),
        "sent": sent,
        "acknowledged": acknowledged,
        "deliveries_of_acknowledged_expected": expected,
        "delivered": delivered,
        "lost": len(lost_pairs),
        "lost_examples": lost_pairs[:20],
        "duplicates_shown": duplicates,
        "reordered_per_sender": reordered,
        "gap_markers": sum(m.missed for m in everyone),
        "reconnects": sum(m.reconnects for m in everyone),
        "clients_closed": sorted(m.closed_with for m in everyone if m.closed_with is not None),
        "reconnect_failures": dict(REJOIN_FAILURES),
        "actions": Counter(entry["action"] for entry in log),
        "log": log,
    }
    result["targets_met"] = (
        result["lost"] == 0 and duplicates == 0 and reordered == 0 and not result["clients_closed"]
    )
    return result


def waiting(member: Member) -> bool:
    """Still waiting for a missing message (its sender may yet answer)."""
    chains = member.client.session.inbox.chains.values()
    return any(chain.waiting_since is not None for chain in chains)


async def settle(everyone: list[Member], timeout: float) -> None:
    """Until every client is back online with nothing unacknowledged and nothing missing
    that its sender may still send, then a little longer for the last answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = [m for m in everyone if m.closed_with is None]
        if all(m.online and not m.pending_numbers() and not waiting(m) for m in live):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)


async def run(profile: Profile, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)  # noqa: S311 -- which client to cut, not a secret
    loop = asyncio.get_running_loop()
    cluster = await loop.run_in_executor(None, start_cluster, profile.relays)
    try:
        rooms = await open_rooms(cluster, profile)
        everyone = [m for members in rooms for m in members]
        collectors = [asyncio.create_task(collect(m)) for m in everyone]
        stop, log = asyncio.Event(), list[dict[str, Any]]()
        started = time.monotonic()
        talkers = [asyncio.create_task(talk(m, profile.send_every, stop, rng)) for m in everyone]
        chaos_task = asyncio.create_task(chaos(cluster, profile, everyone, stop, log, rng))
        await asyncio.sleep(profile.seconds)
        stop.set()
        await asyncio.gather(chaos_task, *talkers)
        for index in range(len(cluster.relays)):
            await loop.run_in_executor(None, cluster.start_relay, index)
        await loop.run_in_executor(None, cluster.start_redis)
        await settle(everyone, timeout=120)
        result = report(rooms, profile, log, time.monotonic() - started)
        await wind_down((member.client for member in everyone), collectors)
        return result
    finally:
        await loop.run_in_executor(None, cluster.stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "chaos.json")
    arguments = parser.parse_args(argv)
    count_rejoin_failures()
    result = asyncio.run(run(PROFILES[arguments.profile], arguments.seed))
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(result, indent=2) + "\n")
    summary = {key: result[key] for key in ("sent", "acknowledged", "delivered", "lost",
               "duplicates_shown", "reordered_per_sender", "gap_markers", "reconnects",
               "reconnect_failures", "clients_closed", "targets_met")}  # fmt: skip
    print(json.dumps(summary, indent=2))
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
