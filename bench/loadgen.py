"""One asyncio load generator for every variant, speaking real protocol envelopes.

On the Atopos relay, rooms are created and joined through the Python client's
Admission (genesis, join proofs, welcome checks). Every variant then carries
the same sealed 1 KiB envelopes. A delivery's latency is matched by the
envelope's nonce, so receivers need not decrypt. Every loop is bounded in
time and count, and everything stays on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from atopos_client.admission import Admission
from atopos_protocol.frames import ChallengeFrame, Kind
from bench.servers import Variant

BODY = "x" * 900  # 985 bytes of plaintext: the 1024 bucket, a 1078-byte frame
FRAMES_PER_MEMBER = 32
NONCE = slice(14, 38)
HANDSHAKE_TIMEOUT = 20.0
# Spread clients over loopback addresses so per-client join limits see many clients.
LOCAL_ADDRESSES = tuple(f"127.0.0.{n}" for n in range(2, 34))


@dataclass
class Member:
    """One connected socket and the envelopes it sends in turn."""

    socket: ClientConnection
    frames: list[bytes]
    cursor: int = 0

    def next_frame(self) -> bytes:
        frame = self.frames[self.cursor]
        self.cursor = (self.cursor + 1) % len(self.frames)
        return frame


@dataclass
class Stats:
    """Send times by nonce, and what arrived."""

    sent_at: dict[bytes, float] = field(default_factory=dict)
    received: int = 0
    latencies: list[float] = field(default_factory=list)

    def reset(self) -> None:
        self.received = 0
        self.latencies = []

    def on_frame(self, frame: bytes) -> None:
        if len(frame) > NONCE.stop and frame[1] == Kind.ENVELOPE:
            self.received += 1
            sent = self.sent_at.get(frame[NONCE])
            if sent is not None:
                self.latencies.append((time.perf_counter() - sent) * 1000)


@dataclass
class Swarm:
    """Rooms of connected members on one variant, each socket read by its own task."""

    rooms: list[list[Member]]
    stats: Stats
    readers: list[asyncio.Task[None]]

    @property
    def members(self) -> list[Member]:
        return [member for room in self.rooms for member in room]

    @property
    def room_size(self) -> int:
        return len(self.rooms[0])

    async def close(self) -> None:
        await asyncio.gather(
            *(member.socket.close() for member in self.members), return_exceptions=True
        )
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


async def _open(variant: Variant, room: str, index: int) -> ClientConnection:
    return await connect(
        variant.socket_url(room),
        origin=Origin(variant.origin),
        local_addr=(LOCAL_ADDRESSES[index % len(LOCAL_ADDRESSES)], 0),
        max_size=2**16,
        compression=None,
        ping_interval=None,
        open_timeout=HANDSHAKE_TIMEOUT,
    )


async def _challenge(socket: ClientConnection) -> ChallengeFrame:
    return ChallengeFrame.decode(bytes(await socket.recv()))


async def _atopos_room(variant: Variant, room: int, size: int) -> list[Member]:
    socket = await _open(variant, "", room * size)
    challenge = await _challenge(socket)
    admission = Admission.new_room(variant.origin, f"r{room}", 3600, challenge.server_time_ms)
    await socket.send(admission.create_frame(challenge.challenge))
    if bytes(await socket.recv())[1] != Kind.CREATED:
        raise RuntimeError("room creation refused")
    creator = admission.accept_created()
    sessions, sockets = [creator], [socket]
    for index in range(1, size):
        joiner_socket = await _open(variant, "", room * size + index)
        joiner_challenge = await _challenge(joiner_socket)
        joiner = Admission(variant.origin, creator.link, f"m{index}")
        await joiner_socket.send(joiner.join_frame(joiner_challenge.challenge))
        joined, _ = joiner.accept_welcome(bytes(await joiner_socket.recv()))
        sessions.append(joined)
        sockets.append(joiner_socket)
    return [
        Member(sock, [session.text(BODY) for _ in range(FRAMES_PER_MEMBER)])
        for sock, session in zip(sockets, sessions, strict=True)
    ]


async def _bare_room(variant: Variant, room: int, size: int, frames: list[bytes]) -> list[Member]:
    sockets = [await _open(variant, f"r{room}", room * size + index) for index in range(size)]
    return [Member(sock, frames) for sock in sockets]


async def connect_swarm(variant: Variant, rooms: int, size: int, concurrency: int = 32) -> Swarm:
    """``rooms`` rooms of ``size`` members each, handshakes done, readers running."""
    gate = asyncio.Semaphore(concurrency)
    template = [] if variant.atopos else _sealed_envelopes()

    async def one(room: int) -> list[Member]:
        async with gate:
            if variant.atopos:
                return await _atopos_room(variant, room, size)
            return await _bare_room(variant, room, size, template)

    built = await asyncio.wait_for(asyncio.gather(*(one(r) for r in range(rooms))), 600)
    stats = Stats()
    readers = [
        asyncio.create_task(_read(member.socket, stats)) for room in built for member in room
    ]
    return Swarm(list(built), stats, readers)


def _sealed_envelopes() -> list[bytes]:
    """Real envelopes for relays that do not speak the handshake (sealed offline)."""
    admission = Admission.new_room("http://localhost", "bench", 3600, int(time.time() * 1000))
    session = admission.accept_created()
    return [session.text(BODY) for _ in range(FRAMES_PER_MEMBER * 8)]


async def _read(socket: ClientConnection, stats: Stats) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for frame in socket:
            if isinstance(frame, bytes):
                stats.on_frame(frame)


@dataclass
class Phase:
    """What one stretch of offered load produced."""

    offered_per_s: float
    seconds: float
    sent: int
    expected: int
    received: int
    delivered_per_s: float
    latencies_ms: list[float]
    server_cpu_s: float
    redis_cpu_s: float

    @property
    def loss(self) -> float:
        return 1 - self.received / self.expected if self.expected else 0.0

    def percentile(self, q: float) -> float | None:
        if len(self.latencies_ms) < 2:
            return None
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q) - 1]


async def offer(
    swarm: Swarm,
    variant: Variant,
    redis_cpu: Callable[[], float],
    deliveries_per_s: float,
    seconds: float,
) -> Phase:
    """Send at a fixed rate for ``seconds`` (open loop), then wait for stragglers."""
    members = swarm.members
    sends_per_s = deliveries_per_s / (swarm.room_size - 1)
    stats = swarm.stats
    stats.reset()
    cpu_before, redis_before = variant.server.cpu_seconds(), redis_cpu()
    start = time.perf_counter()
    sent = index = 0
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(int(elapsed * sends_per_s) - sent):
            member = members[index % len(members)]
            index += 1
            frame = member.next_frame()
            stats.sent_at[frame[NONCE]] = time.perf_counter()
            try:
                await member.socket.send(frame)
            except ConnectionClosed:
                continue
            sent += 1
        await asyncio.sleep(0.002)
    window = time.perf_counter() - start
    in_window = stats.received
    expected = sent * (swarm.room_size - 1)
    deadline = time.perf_counter() + 3.0
    while stats.received < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
    return Phase(
        offered_per_s=deliveries_per_s,
        seconds=window,
        sent=sent,
        expected=expected,
        received=stats.received,
        delivered_per_s=in_window / window,
        latencies_ms=list(stats.latencies),
        server_cpu_s=variant.server.cpu_seconds() - cpu_before,
        redis_cpu_s=redis_cpu() - redis_before,
    )
