"""Real sockets on the live site, shared by the adversarial runtime checks.

Two kinds of client: the reference ``RoomClient`` (honest members, racers),
and bare sockets that send whatever a check hands them (replays, floods,
fuzz). Every connection records the messages it sent and received, so a check
can capture a real frame from an honest client and send it again.

Tenants a check adds live on ``<slug>.localhost``. Browsers map every such
name to loopback, Python's resolver does not: connections to them are sent to
127.0.0.1 while the Host header and Origin keep the tenant's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from atopos_client.admission import Admission
from atopos_client.connection import (
    AdmissionRefused,
    HandshakeRefused,
    RoomClient,
    RoomUnavailable,
    socket_url,
)
from atopos_client.link import split_link_url
from atopos_protocol.frames import ChallengeFrame, Kind, RefusedFrame
from atopos_site.tenancy.namespace import TenantNamespace
from tests.claims.live.wire import RecordingConnection, loopback_options

if TYPE_CHECKING:
    from tests.claims.live.recording import LiveEvidence

MAX_RECEIVED = 2**17  # a GOVERNANCE frame may carry a 64 KiB event
OPEN_TIMEOUT_S = 10.0
ADMITTED = "admitted"


def wire_of(client: RoomClient) -> RecordingConnection:
    """The recorded connection of a client made inside ``recording_python_clients()``."""
    socket = client.socket
    if not isinstance(socket, RecordingConnection):
        raise TypeError("the client was not opened inside recording_python_clients()")
    return socket


@dataclass(frozen=True)
class Tenant:
    """A tenant a check added to the live site: its slug (for key names) and origin."""

    slug: str
    origin: str

    def room_key(self, room_id: bytes, part: str) -> str:
        """A room's Redis key, as rooms.store names it (PROTOCOL §7)."""
        return TenantNamespace(self.slug).tagged_key("room", room_id.hex(), part)


def room_log(live: LiveEvidence, tenant: Tenant, room_id: bytes) -> list[bytes]:
    """The governance events the room's log in Redis holds, in order."""
    client = live.redis()
    try:
        raws = cast("list[bytes]", client.lrange(tenant.room_key(room_id, "log"), 0, -1))
    finally:
        client.close()
    return [raw.encode() if isinstance(raw, str) else bytes(raw) for raw in raws]


def members_holding(live: LiveEvidence, tenant: Tenant, room_id: bytes) -> int:
    """How many member keys hold a place in the room (its owner included)."""
    client = live.redis()
    try:
        return cast(int, client.zcard(tenant.room_key(room_id, "members")))
    finally:
        client.close()


def add_tenant(live: LiveEvidence, prefix: str, *options: str) -> Tenant:
    """A fresh tenant (its own rate counters and caps) on ``<prefix>-<random>.localhost``."""
    slug = f"{prefix}-{secrets.token_hex(3)}"
    return Tenant(slug, live.add_tenant(slug, f"{slug}.localhost", *options))


# Bare sockets ------------------------------------------------------------------


def close_code(closed: ConnectionClosed) -> int:
    """The code the server closed with; 1006 when the connection dropped without one."""
    return closed.rcvd.code if closed.rcvd is not None else 1006


def close_label(code: int) -> str:
    return f"close-{code}"


async def open_socket(origin: str, headers: dict[str, str] | None = None) -> RecordingConnection:
    """A WebSocket to the relay, as a page on ``origin`` opens it (with extra ``headers``)."""
    socket = await connect(
        socket_url(origin),
        origin=Origin(origin),
        additional_headers=headers,
        max_size=MAX_RECEIVED,
        open_timeout=OPEN_TIMEOUT_S,
        create_connection=RecordingConnection,
        **loopback_options(origin),
    )
    if not isinstance(socket, RecordingConnection):
        raise TypeError("websockets did not use the recording connection")
    return socket


async def next_frame(socket: ClientConnection, timeout: float) -> bytes | int | None:
    """The next message, or the close code once the socket closed, or None after ``timeout``."""
    try:
        message = await asyncio.wait_for(socket.recv(), timeout)
    except TimeoutError:
        return None
    except ConnectionClosed as closed:
        return close_code(closed)
    return message.encode() if isinstance(message, str) else bytes(message)


@dataclass
class Heard:
    """What a bare socket heard: the frames, and how it ended (None: still open)."""

    frames: list[bytes] = field(default_factory=list)
    code: int | None = None

    def kinds(self) -> list[int]:
        return [frame[1] for frame in self.frames if len(frame) > 1]

    def refusal(self) -> str | None:
        """The reason of the last REFUSED frame heard, if any."""
        for frame in reversed(self.frames):
            if len(frame) > 1 and frame[1] == Kind.REFUSED:
                try:
                    return RefusedFrame.decode(frame).reason
                except ValueError:
                    return "unreadable"
        return None


async def listen(
    socket: ClientConnection, seconds: float, until: Callable[[bytes], bool] | None = None
) -> Heard:
    """Read until the socket closes, ``until(frame)`` holds, or ``seconds`` pass."""
    heard = Heard()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        got = await next_frame(socket, left)
        if got is None:
            break
        if isinstance(got, int):
            heard.code = got
            break
        heard.frames.append(got)
        if until is not None and until(got):
            break
    return heard


async def challenged(
    origin: str, headers: dict[str, str] | None = None
) -> tuple[RecordingConnection, bytes] | int:
    """A socket and the challenge it got, or the close code it got instead."""
    socket = await open_socket(origin, headers)
    got = await next_frame(socket, OPEN_TIMEOUT_S)
    if isinstance(got, bytes) and len(got) > 1 and got[1] == Kind.CHALLENGE:
        return socket, ChallengeFrame.decode(got).challenge
    await shut(socket)
    return got if isinstance(got, int) else -1


async def shut(socket: ClientConnection) -> None:
    """Close our side, whatever state the socket is in."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(), 5)


def entered(frame: bytes) -> bool:
    """A frame that ends a handshake or an admission either way."""
    return len(frame) > 1 and frame[1] in (Kind.WELCOME, Kind.CREATED, Kind.REFUSED)


def outcome_of(heard: Heard) -> str:
    """One label for how a handshake ended: welcome, created, a refusal or a close code."""
    kinds = heard.kinds()
    if Kind.WELCOME in kinds:
        return "welcome"
    if Kind.CREATED in kinds:
        return "created"
    reason = heard.refusal()
    if reason is not None:
        return f"refused:{reason}"
    if heard.code is not None:
        return close_label(heard.code)
    return "no-answer"


async def try_join(link_url: str, headers: dict[str, str] | None = None) -> str:
    """One JOIN with a fresh member key on a fresh socket; how it ended (the socket is closed)."""
    origin, link = split_link_url(link_url)
    opened = await challenged(origin, headers)
    if isinstance(opened, int):
        return close_label(opened)
    socket, challenge = opened
    try:
        await socket.send(Admission(origin, link, "").join_frame(challenge))
        return outcome_of(await listen(socket, OPEN_TIMEOUT_S, until=entered))
    except ConnectionClosed as closed:
        return close_label(close_code(closed))
    finally:
        await shut(socket)


# Reference clients ---------------------------------------------------------------


def client_outcome(result: RoomClient | BaseException) -> str:
    """How a RoomClient.join ended: admitted, the refusal's reason, or a close code."""
    if isinstance(result, RoomClient):
        return ADMITTED
    if isinstance(result, AdmissionRefused):
        return result.reason
    if isinstance(result, RoomUnavailable):
        return close_label(4004)
    if isinstance(result, HandshakeRefused):
        return close_label(result.code)
    return type(result).__name__
