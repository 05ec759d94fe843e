"""Abuse cases against one relay, each measured by what a victim room still gets.

A victim room of three Python clients talks steadily (every member every
0.5 s) while, one phase after another, Mallory abuses the relay from her own
loopback address (so her rate limits are hers, as her own address would make
them on the Internet):

- **flood**: a member of her own room sends as fast as her socket allows,
  and joins again each time the relay closes her for it;
- **idle sockets**: she opens hundreds of sockets and never answers the
  challenge;
- **reconnect churn**: she opens sockets, joins her room and drops them, in a
  loop;
- **slow reader**: she joins the victim room and stops reading while its
  members send their largest messages.

For each phase: deliveries expected and shown in the victim room, their
latency p50/p99, and what became of Mallory. Every loop is bounded in time.

    python -m bench.abuse                 # 20 s per phase (JSON in var/bench/abuse.json)
    python -m bench.abuse --seconds 6     # a short run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from atopos_client.admission import Admission
from atopos_client.connection import RoomClient
from atopos_client.events import MessageReceived
from atopos_client.link import split_link_url
from atopos_client.session import SendingPaused
from atopos_protocol.frames import ChallengeFrame
from bench.cluster import Cluster, start_cluster
from bench.soak import percentile

ROOT = Path(__file__).resolve().parent.parent
# Mallory's address in each phase: rate limits are per address, and each abuse should meet
# its own (the churn alone uses up a minute's joins).
MALLORY = {"flood": "127.0.0.66", "idle sockets": "127.0.0.67", "reconnect churn": "127.0.0.68",
           "slow reader": "127.0.0.69"}  # fmt: skip
SEND_EVERY = 0.5
IDLE_SOCKETS = 400
BIG_TEXT = "v" * 8000


@dataclass
class Victim:
    client: RoomClient
    shown: list[tuple[str, float]] = field(default_factory=list)  # (phase, latency ms)
    sent: Counter[str] = field(default_factory=Counter)


async def mallory_socket(
    origin: str, port: int, address: str, receive_buffer: int = 0
) -> ClientConnection:
    """A socket from one of Mallory's own loopback addresses."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    raw.bind((address, 0))
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", port))
    return await connect(
        f"ws://localhost:{port}/ws/v1", sock=raw, origin=Origin(origin), max_queue=1,
        ping_interval=None, open_timeout=10,
    )  # fmt: skip


async def mallory_joins(origin: str, port: int, link: str, name: str, buffer: int = 0):
    """Mallory in a room (from her address for this phase, ``name``): socket and session."""
    sock = await mallory_socket(origin, port, MALLORY[name], buffer)
    challenge = ChallengeFrame.decode(await sock.recv())
    _, parsed = split_link_url(link)
    admission = Admission(origin, parsed, name)
    await sock.send(admission.join_frame(challenge.challenge))
    session, log_length = admission.accept_welcome(await sock.recv())
    for _ in range(log_length):
        await sock.recv()
    _, frames = session.entered()
    for frame in frames:
        await sock.send(frame)
    return sock, session


async def flood(origin: str, port: int, link: str, stop: asyncio.Event) -> dict[str, Any]:
    closes: Counter[str] = Counter()
    frames = 0
    while not stop.is_set():
        try:
            sock, session = await mallory_joins(origin, port, link, "flood")
        except (ConnectionClosed, InvalidStatus, OSError) as refused:
            closes[f"join refused: {type(refused).__name__}"] += 1
            await asyncio.sleep(0.5)
            continue
        try:
            while not stop.is_set():
                await sock.send(session.text("flood"))
                frames += 1
                await asyncio.sleep(0)
        except ConnectionClosed as closed:
            closes[str(closed.rcvd.code if closed.rcvd else 1006)] += 1
        with contextlib.suppress(Exception):
            await sock.close()
    return {"frames_sent": frames, "closed_with": dict(closes)}


async def idle_sockets(origin: str, port: int, stop: asyncio.Event) -> dict[str, Any]:
    opened, refused = [], Counter()
    for _ in range(IDLE_SOCKETS):
        if stop.is_set():
            break
        try:
            opened.append(await mallory_socket(origin, port, MALLORY["idle sockets"]))
        except (InvalidStatus, OSError, TimeoutError) as error:
            refused[type(error).__name__] += 1
    await stop.wait()
    codes = Counter(str(sock.close_code) for sock in opened)
    for sock in opened:
        with contextlib.suppress(Exception):
            await sock.close()
    return {"opened": len(opened), "refused": dict(refused), "close_codes_at_end": dict(codes)}


async def churn(origin: str, port: int, link: str, stop: asyncio.Event) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    while not stop.is_set():
        try:
            sock, _ = await mallory_joins(origin, port, link, "reconnect churn")
            outcomes["joined"] += 1
            sock.transport.abort()
        except ConnectionClosed as closed:
            outcomes[f"refused {closed.rcvd.code if closed.rcvd else 1006}"] += 1
            await asyncio.sleep(0.2)
        except (InvalidStatus, OSError, TimeoutError) as error:
            outcomes[type(error).__name__] += 1
            await asyncio.sleep(0.2)
    return dict(outcomes)


async def slow_reader(origin: str, port: int, victim_link: str, victims: list[Victim],
                      stop: asyncio.Event) -> dict[str, Any]:  # fmt: skip
    sock, _ = await mallory_joins(origin, port, victim_link, "slow reader", buffer=4096)
    big = 0
    while not stop.is_set():
        # One victim also sends its largest messages, as fast as its rate limit allows
        # beside its chat (300 frames a minute by default).
        with contextlib.suppress(SendingPaused):
            await victims[0].client.send_text(BIG_TEXT)
            big += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
    # Mallory reads at last, for a few seconds: what the relay kept for her, then its close.
    drained, code, deadline = 0, "still open", time.monotonic() + 5
    try:
        while time.monotonic() < deadline:
            await asyncio.wait_for(sock.recv(), timeout=max(0.01, deadline - time.monotonic()))
            drained += 1
    except TimeoutError:
        pass
    except ConnectionClosed as closed:
        code = str(closed.rcvd.code if closed.rcvd else 1006)
    with contextlib.suppress(Exception):
        await sock.close()
    return {"large_messages_sent": big, "sloth_read_afterwards": drained, "sloth_closed_with": code}


async def nothing(stop: asyncio.Event) -> dict[str, Any]:
    """The baseline: Mallory does nothing."""
    await stop.wait()
    return {}


async def listen(victim: Victim, phase: list[str]) -> None:
    while True:
        event = await victim.client.events.get()
        if isinstance(event, MessageReceived) and "|" in event.text:
            sent_at = float(event.text.split("|", 1)[0])
            victim.shown.append((phase[0], time.time() * 1000 - sent_at))


async def talk(victim: Victim, phase: list[str], stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(SendingPaused):
            await victim.client.send_text(f"{time.time() * 1000:.1f}|victim")
            victim.sent[phase[0]] += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SEND_EVERY)


async def run(seconds: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    cluster: Cluster = await loop.run_in_executor(None, start_cluster, 1)
    relay_port = cluster.relays[0].port
    origin = f"http://localhost:{relay_port}"
    try:
        owner = await RoomClient.create(origin, "v0")
        victims = [Victim(owner)]
        for index in (1, 2):
            victims.append(Victim(await RoomClient.join(owner.link, f"v{index}")))
        mallory_room = await RoomClient.create(origin, "m0")
        await asyncio.sleep(1)
        phase = ["baseline"]
        listeners = [asyncio.create_task(listen(v, phase)) for v in victims]
        stop_talking = asyncio.Event()
        talkers = [asyncio.create_task(talk(v, phase, stop_talking)) for v in victims]
        abuses: dict[str, Callable[[asyncio.Event], Awaitable[dict[str, Any]]]] = {
            "baseline": nothing,
            "flood": lambda stop: flood(origin, relay_port, mallory_room.link, stop),
            "idle sockets": lambda stop: idle_sockets(origin, relay_port, stop),
            "reconnect churn": lambda stop: churn(origin, relay_port, mallory_room.link, stop),
            "slow reader": lambda stop: slow_reader(origin, relay_port, owner.link, victims, stop),
        }
        mallory: dict[str, Any] = {}
        for name, abuse in abuses.items():
            phase[0] = name
            stop = asyncio.Event()
            task = asyncio.create_task(abuse(stop))
            await asyncio.sleep(seconds)
            stop.set()
            mallory[name] = (await asyncio.wait_for(task, 60)) or {}
            await asyncio.sleep(1)  # the phase's last messages arrive
        stop_talking.set()
        await asyncio.gather(*talkers)
        await asyncio.sleep(2)
        phases = {}
        for name in abuses:
            latencies = [ms for v in victims for p, ms in v.shown if p == name]
            sent = sum(v.sent[name] for v in victims)
            phases[name] = {
                "victim_deliveries_expected": sent * (len(victims) - 1),
                "victim_deliveries_shown": len(latencies),
                "p50_ms": percentile(latencies, 0.5),
                "p99_ms": percentile(latencies, 0.99),
                "mallory": mallory[name],
            }
        for client in [*(v.client for v in victims), mallory_room]:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.leave(), 5)
        for task in listeners:
            task.cancel()
        return {"seconds_per_phase": seconds, "victim_members": len(victims), "phases": phases}
    finally:
        await loop.run_in_executor(None, cluster.stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "abuse.json")
    arguments = parser.parse_args(argv)
    result = asyncio.run(run(arguments.seconds))
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    kept = all(
        p["victim_deliveries_shown"] >= p["victim_deliveries_expected"]
        for p in result["phases"].values()
    )
    return 0 if kept else 1


if __name__ == "__main__":
    sys.exit(main())
