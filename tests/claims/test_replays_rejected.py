"""C16: replayed frames, join proofs and governance events are rejected.

Every replay here sends again, byte for byte, a frame a real client sent (or
received) on the live site, after the original took effect:

- a JOIN (join proof) on five new sockets: its challenge was the old
  socket's, so each gets 4004, like a wrong proof; and on its own socket
  after the WELCOME: 4105 (a second handshake);
- a governance EVENT (a PROMOTE) by its author on the same socket, by its
  author after reconnecting, and by another member: the relay refuses
  ``duplicate``, ``duplicate`` and ``not-your-key``; the log holds it once;
- a newcomer's REDEEM, replayed by someone else holding the same invite
  link: refused ``not-your-key`` with 4403, the ticket's use spent once;
- a CREATE for a live room (as captured, and signed anew for a fresh
  challenge) and for an ended one: 4107 each time;
- ENVELOPE frames a member captured and sent again: the relay cannot tell,
  so it relays them; the receiving client's replay guard must drop them (no
  second message event), and feeding them once more straight into its
  RoomSession must not show them either. The relay also hands them to their
  original sender, whose client must not show its own messages as new ones;
- an old REKEY after the re-key it started: the relay refuses it again
  (``duplicate``) and when signed anew on the head (``wrong-epoch``), and a
  member's session fed either one keeps its epoch and head.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import pytest

from atopos_client.admission import Admission
from atopos_client.connection import RoomClient
from atopos_client.events import MemberJoined, MessageReceived, RoomClosed
from atopos_client.link import split_link_url
from atopos_client.session import RoomSession
from atopos_protocol.frames import CreateFrame, EventFrame, RefusedFrame
from atopos_protocol.frames import Kind as FrameKind
from atopos_protocol.governance.events import Event, EventKind, event_id
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.joinproof import sign_join
from evidence.check import CheckResult, could_not_run, judged
from tests.claims.live.recording import ROOMY_TENANTS as ROOMY
from tests.claims.live.wire import RecordingConnection, recording_python_clients
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.sockets import (
    Tenant,
    add_tenant,
    challenged,
    close_label,
    entered,
    listen,
    outcome_of,
    room_log,
    shut,
    wire_of,
)
from tests.support.live_clients import drain, gather_events, leave_all, settled, wait_until

if TYPE_CHECKING:
    from tests.claims.live.recording import LiveEvidence

ANSWER_S = 5.0
JOIN_REPLAYS = 5
ENVELOPE_REPLAYS = 5
IGNORED = "ignored"
TOOK_EFFECT = "took-effect"


@dataclass(frozen=True)
class Replay:
    """One replay scenario: what the replays got, and whether any took effect."""

    name: str
    attempts: int
    outcomes: dict[str, int]  # what each replay got (a close code, a refusal, ignored)
    expected: tuple[str, ...]  # the documented answers to this replay
    took_effect: int  # replays the server or a client acted on
    original_worked: bool  # the captured original took effect (else the replay proves nothing)

    @property
    def key(self) -> str:
        return "".join(c if c.isalnum() else "_" for c in self.name)


def judge(replays: list[Replay]) -> CheckResult:
    """PASS only if no replay took effect and each got a documented answer."""
    violations: list[str] = []
    counts: dict[str, int] = {}
    for replay in replays:
        if replay.took_effect:
            violations.append(
                f"{replay.name}: {replay.took_effect} of {replay.attempts} replay(s) took effect"
            )
        for outcome, number in sorted(replay.outcomes.items()):
            if outcome not in replay.expected:
                violations.append(
                    f"{replay.name}: {number} replay(s) got {outcome}, "
                    f"not {' or '.join(replay.expected)}"
                )
        counts[f"{replay.key}_attempts"] = replay.attempts
        counts[f"{replay.key}_rejected"] = replay.attempts - replay.took_effect
        counts[f"{replay.key}_took_effect"] = replay.took_effect
    details = {"replays": [asdict(replay) for replay in replays]}
    if not violations:
        idle = [r.name for r in replays if not r.original_worked or not r.attempts]
        if idle or not replays:
            return could_not_run(
                "the original did not take effect, so its replay proves nothing: "
                + ", ".join(idle or ["no scenario ran"]),
                counts,
            )
    return judged(
        violations, counts,
        f"{sum(r.attempts for r in replays)} replays in {len(replays)} scenarios: none took effect",
        "a replayed frame took effect or got an undocumented answer",
        details,
    )  # fmt: skip


# Gathering ---------------------------------------------------------------------------


def _replay(
    name: str, outcomes: Iterable[str], expected: tuple[str, ...], worked: bool, effect: int = 0
) -> Replay:
    tally = Counter(outcomes)
    took = effect + sum(n for o, n in tally.items() if o in ("welcome", "created", TOOK_EFFECT))
    return Replay(name, sum(tally.values()), dict(tally), expected, took, worked)


def _log(live: LiveEvidence, tenant: Tenant, room_id: bytes) -> list[bytes]:
    return room_log(live, tenant, room_id)


def _times_logged(live: LiveEvidence, tenant: Tenant, room_id: bytes, raw: bytes) -> int:
    wanted = event_id(raw)
    return sum(event_id(logged) == wanted for logged in _log(live, tenant, room_id))


def _sent_of(wire: RecordingConnection, kind: int) -> list[bytes]:
    return [frame for frame in wire.sent if len(frame) > 1 and frame[1] == kind]


async def _answer(wire: RecordingConnection, since: int) -> str:
    """What the relay answered on a member's socket after message ``since``: a refusal or close."""

    def refusal() -> str | None:
        for frame in wire.received[since:]:
            if len(frame) > 1 and frame[1] == FrameKind.REFUSED:
                return f"refused:{RefusedFrame.decode(frame).reason}"
        return None

    await wait_until(lambda: refusal() is not None or wire.close_code is not None, ANSWER_S)
    answer = refusal()
    if answer is not None:
        return answer
    return close_label(wire.close_code) if wire.close_code is not None else "no-answer"


async def _resend(client: RoomClient, frame: bytes) -> str:
    wire = wire_of(client)
    since = len(wire.received)
    await wire.send(frame)
    return await _answer(wire, since)


async def _raw_join(admission: Admission) -> tuple[RecordingConnection, str]:
    """A socket on which ``admission`` sent its JOIN, and how the handshake ended."""
    opened = await challenged(admission.origin)
    if isinstance(opened, int):
        raise RuntimeError(f"no challenge: close {opened}")
    socket, challenge = opened
    await socket.send(admission.join_frame(challenge))
    until = (FrameKind.WELCOME, FrameKind.REFUSED, FrameKind.INVITE_REQUIRED)
    heard = await listen(socket, ANSWER_S, until=lambda f: len(f) > 1 and f[1] in until)
    if FrameKind.INVITE_REQUIRED in heard.kinds():
        return socket, "invite-required"
    return socket, outcome_of(heard)


async def _replay_on_new_socket(origin: str, frame: bytes) -> str:
    opened = await challenged(origin)
    if isinstance(opened, int):
        return close_label(opened)
    socket = opened[0]
    try:
        await socket.send(frame)
        return outcome_of(await listen(socket, ANSWER_S, until=entered))
    finally:
        await shut(socket)


async def _join_proofs(alice: RoomClient, bob: RoomClient) -> list[Replay]:
    (captured,) = _sent_of(wire_of(bob), FrameKind.JOIN)
    outcomes = [
        await _replay_on_new_socket(alice.session.origin, captured) for _ in range(JOIN_REPLAYS)
    ]
    new_socket = _replay("join proof on a new socket", outcomes, ("close-4004",), True)
    # On its own socket, after the WELCOME: a second handshake.
    carol = Admission(alice.session.origin, alice.session.link, "carol")
    socket, first = await _raw_join(carol)
    try:
        (join,) = _sent_of(socket, FrameKind.JOIN)
        await socket.send(join)
        heard = await listen(socket, ANSWER_S)
    finally:
        await shut(socket)
    again = "welcome" if FrameKind.WELCOME in heard.kinds() else outcome_of(heard)
    same_socket = _replay(
        "join proof on its own socket", [again], ("close-4105",), first == "welcome"
    )
    return [new_socket, same_socket]


async def _events(live: LiveEvidence, tenant: Tenant, alice: RoomClient, bob: RoomClient) -> Replay:
    (frame,) = alice.session.promote(bob.session.member.ed_pk)
    await alice.send_frames([frame])
    await settled(alice)
    room_id, raw = alice.session.keys.room_id, EventFrame.decode(frame).event
    worked = _times_logged(live, tenant, room_id, raw) == 1
    outcomes = [await _resend(alice, frame), await _resend(bob, frame)]
    # The author again, from a new socket with the same member key.
    back = Admission(alice.session.origin, alice.session.link, "alice", alice.session.member)
    socket, entry = await _raw_join(back)
    try:
        await listen(socket, 0.3)  # the log that follows the WELCOME
        await socket.send(frame)
        heard = await listen(socket, ANSWER_S, until=lambda f: f[1:2] == bytes([FrameKind.REFUSED]))
        reason = heard.refusal()
        outcomes.append(f"refused:{reason}" if reason is not None else outcome_of(heard))
    finally:
        await shut(socket)
    logged = _times_logged(live, tenant, room_id, raw)
    expected = ("refused:duplicate", "refused:not-your-key")
    return _replay("governance event", outcomes, expected, worked and entry == "welcome",
                   effect=max(0, logged - 1))  # fmt: skip


async def _redeem(live: LiveEvidence, tenant: Tenant) -> Replay:
    owner = await RoomClient.create(tenant.origin, "owner", join_rule=JoinRule.INVITE)
    clients = [owner]
    try:
        url = await owner.invite(uses=2)
        await settled(owner)
        newcomer = await RoomClient.join(url, "newcomer")
        clients.append(newcomer)
        (captured,) = _sent_of(wire_of(newcomer), FrameKind.EVENT)
        raw = EventFrame.decode(captured).event
        room_id = owner.session.keys.room_id
        worked = _times_logged(live, tenant, room_id, raw) == 1
        origin, link = split_link_url(url)
        socket, entry = await _raw_join(Admission(origin, link, "mallory"))
        try:
            if entry != "invite-required":
                raise RuntimeError(f"the invite room answered {entry}")
            await socket.send(captured)
            outcome = outcome_of(await listen(socket, ANSWER_S, until=entered))
        finally:
            await shut(socket)
        redeems = sum(
            Event.decode(logged).kind is EventKind.REDEEM for logged in _log(live, tenant, room_id)
        )
    finally:
        await leave_all(clients)
    return _replay("ticket redemption by another key", [outcome], ("refused:not-your-key",),
                   worked, effect=max(0, redeems - 1))  # fmt: skip


def _create_anew(session: RoomSession, challenge: bytes) -> bytes:
    """A CREATE for ``session``'s room, signed for ``challenge`` (what a link holder can make)."""
    genesis, shard = session.genesis, session.server_shard
    member, keys = session.member, session.keys
    signature = sign_join(
        keys.auth_key(), session.origin, keys.room_id, challenge, member.ed_pk, member.x_pk
    )
    return CreateFrame(genesis.raw, shard, signature).encode()


async def _create_with_fresh_proof(session: RoomSession) -> str:
    opened = await challenged(session.origin)
    if isinstance(opened, int):
        return close_label(opened)
    socket, challenge = opened
    try:
        await socket.send(_create_anew(session, challenge))
        return outcome_of(await listen(socket, ANSWER_S, until=entered))
    finally:
        await shut(socket)


async def _creates(alice: RoomClient) -> list[str]:
    (captured,) = _sent_of(wire_of(alice), FrameKind.CREATE)
    return [
        await _replay_on_new_socket(alice.session.origin, captured),
        await _create_with_fresh_proof(alice.session),
    ]


def _shown(events: Iterable[object], texts: list[str]) -> Counter[str]:
    """How often each of ``texts`` was shown as a message."""
    return Counter(e.text for e in events if isinstance(e, MessageReceived) and e.text in texts)


async def _envelopes(alice: RoomClient, bob: RoomClient, mallory: RoomClient) -> list[Replay]:
    texts = [f"replay-probe-{n}" for n in range(ENVELOPE_REPLAYS)]
    alice_wire, bob_wire, mallory_wire = wire_of(alice), wire_of(bob), wire_of(mallory)
    before = len(_sent_of(alice_wire, FrameKind.ENVELOPE))
    for text in texts:
        await alice.send_text(text)
    originals = _sent_of(alice_wire, FrameKind.ENVELOPE)[before:]
    first = await gather_events(
        bob, ANSWER_S, lambda events: len(_shown(events, texts)) == len(texts)
    )
    captured = await wait_until(
        lambda: all(f in mallory_wire.received for f in originals), ANSWER_S
    )
    worked = captured and all(_shown(first, texts)[text] == 1 for text in texts)
    drain(alice)
    # Mallory, a member, sends Alice's frames again: the relay passes them on to Bob and Alice.
    for frame in originals:
        await mallory_wire.send(frame)
    await wait_until(lambda: all(bob_wire.received.count(f) >= 2 for f in originals), ANSWER_S)
    await wait_until(lambda: all(f in alice_wire.received for f in originals), 1.0)
    to_bob = await gather_events(bob, 1.0, lambda events: False)
    to_alice = await gather_events(alice, 0.1, lambda events: False)
    relayed = [IGNORED if bob_wire.received.count(f) >= 2 else "not-relayed" for f in originals]
    # The same frames once more, straight into the receiving client's session.
    direct = [
        TOOK_EFFECT if _shown(bob.session.receive(frame)[0], texts) else IGNORED
        for frame in originals
    ]
    echoed = [IGNORED if f in alice_wire.received else "not-relayed" for f in originals]
    expected = (IGNORED, "not-relayed")
    return [
        _replay("envelope relayed twice", relayed + direct, expected, worked,
                effect=sum(_shown(to_bob, texts).values())),
        _replay("envelope replayed to its sender", echoed, expected, worked,
                effect=sum(_shown(to_alice, texts).values())),
    ]  # fmt: skip


async def _rekeys(live: LiveEvidence, tenant: Tenant) -> list[Replay]:
    alice = await RoomClient.create(tenant.origin, "alice")
    bob = await RoomClient.join(alice.link, "bob")
    carol = await RoomClient.join(alice.link, "carol")
    try:
        for _ in range(2):
            await alice.next_event_of(MemberJoined)
        await carol.next_event_of(MemberJoined)
        await alice.kick(bob.session.member.ed_pk)
        await bob.next_event_of(RoomClosed)
        await settled(alice)
        await settled(carol)
        frames = [
            frame
            for frame in _sent_of(wire_of(alice), FrameKind.EVENT)
            if Event.decode(EventFrame.decode(frame).event).kind is EventKind.REKEY
        ]
        (frame,) = frames
        raw = EventFrame.decode(frame).event
        session, room_id = carol.session, alice.session.keys.room_id
        worked = session.epoch.counter == 1
        anew = _resigned(alice.session, raw)
        relay = [
            await _resend(alice, frame),
            await _resend(alice, EventFrame(anew).encode()),
        ]
        logged = sum(Event.decode(e).kind is EventKind.REKEY for e in _log(live, tenant, room_id))
        before = (session.epoch, _head(session))
        member = []
        for replayed in (raw, anew):
            session.receive(EventFrame(replayed, FrameKind.GOVERNANCE).encode())
            unchanged = (session.epoch, _head(session)) == before
            member.append(IGNORED if unchanged else TOOK_EFFECT)
    finally:
        await leave_all([alice, bob, carol])
    return [
        _replay("old re-key sent to the relay", relay,
                ("refused:duplicate", "refused:wrong-epoch", "refused:no-kick"),
                worked, effect=max(0, logged - 1)),
        _replay("old re-key fed to a member", member, (IGNORED,), worked),
    ]  # fmt: skip


def _head(session: RoomSession) -> bytes:
    return session.membership.head


def _resigned(session: RoomSession, raw: bytes) -> bytes:
    """The REKEY's payload signed anew by its author on the current head."""
    old = Event.decode(raw)
    head = session.membership.head
    return Event.create(old.kind, old.room_id, head, session.member.signing_key, old.payload).raw


async def _gather(live: LiveEvidence) -> list[Replay]:
    tenant = add_tenant(live, "replays", *ROOMY)
    alice = await RoomClient.create(tenant.origin, "alice")
    bob = await RoomClient.join(alice.link, "bob")
    mallory = await RoomClient.join(alice.link, "mallory")
    replays: list[Replay] = []
    try:
        for _ in range(2):
            await alice.next_event_of(MemberJoined)
        replays += await _join_proofs(alice, bob)
        replays += await _envelopes(alice, bob, mallory)
        replays.append(await _events(live, tenant, alice, bob))
        creates = await _creates(alice)
        await alice.end_room()
        await bob.next_event_of(RoomClosed)
        creates.append(await _create_with_fresh_proof(alice.session))
        replays.append(_replay("room creation", creates, ("close-4107",), True))
    finally:
        await leave_all([alice, bob, mallory])
    replays.append(await _redeem(live, tenant))
    replays += await _rekeys(live, tenant)
    return replays


def run(ctx: Context) -> CheckResult:
    live = ctx.live()
    try:
        with recording_python_clients():
            replays = asyncio.run(_gather(live))
    except Exception as error:  # reported: the check could not run
        return could_not_run(f"the replays could not run on the live site: {type(error).__name__}")
    return judge(replays)


pytestmark = pytest.mark.check(
    "Replayed join proofs, events, creations, envelopes and re-keys are rejected", "runtime"
)


def test_replays_rejected(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
