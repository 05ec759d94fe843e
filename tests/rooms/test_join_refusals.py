"""A join that cannot succeed looks the same whatever the reason: close 4004, nothing else."""

from __future__ import annotations

import asyncio
import os

import pytest

from atopos_client.admission import Admission
from atopos_client.keys import MemberKeys
from atopos_client.link import Link
from atopos_protocol.binding import Binding
from atopos_protocol.frames import CloseCode, JoinFrame
from atopos_protocol.signatures import Prefix, SigningKey
from atopos_site.tenancy.models import TenantDomain
from tests.conftest import make_tenant
from tests.rooms.peers import ORIGIN, closed_with, finally_closed_with, open_socket

pytestmark = pytest.mark.django_db(transaction=True)
UNAVAILABLE = CloseCode.ROOM_UNAVAILABLE


async def refusal_of(frame_for_challenge, host: str = "alpha.localhost") -> tuple[bool, int]:
    """(whether any frame came before the close, close code) for one JOIN attempt."""
    socket, challenge = await open_socket(host, f"http://{host}")
    await socket.send_to(bytes_data=frame_for_challenge(challenge))
    message = await socket.receive_output(3)
    return message["type"] != "websocket.close", int(message.get("code", 1000))


async def test_a_room_that_never_existed(relay):
    """A well-formed proof for a random link: 4004."""
    bob = Admission(ORIGIN, Link(os.urandom(32), os.urandom(16)), "Bob")
    assert await refusal_of(bob.join_frame) == (False, UNAVAILABLE)


async def test_knowing_the_room_id_alone_gets_nothing(alice):
    """Mallory has the room id but not the link: her proof (own key) fails like a missing room."""
    mallory = MemberKeys.generate()
    forged_auth = SigningKey(os.urandom(32))

    def frame(challenge: bytes) -> bytes:
        body = (
            bytes([len(ORIGIN)])
            + ORIGIN.encode()
            + alice.session.keys.room_id
            + challenge
            + mallory.ed_pk
            + mallory.x_pk
        )
        signature = forged_auth.sign(Prefix.JOIN, body)
        binding = Binding.make(
            mallory.signing_key, forged_auth, alice.session.keys.room_id, mallory.x_pk
        )
        return JoinFrame(alice.session.keys.room_id, mallory.ed_pk, binding, signature).encode()

    assert await refusal_of(frame) == (False, UNAVAILABLE)


async def test_an_ended_room(alice):
    """After the owner ends the room, its link gets exactly what a missing room gets."""
    await alice.act(alice.session.end_room())
    assert await finally_closed_with(alice.socket) == CloseCode.ROOM_ENDED
    late = Admission(alice.session.origin, alice.session.link, "Late")
    assert await refusal_of(late.join_frame) == (False, UNAVAILABLE)


async def test_a_room_whose_expiry_passed_on_the_relays_clock(alice, monkeypatch):
    """Redis, on its own clock, still holds Alice's room, but the room's expiry has passed on
    the relay's: her link gets exactly what a missing room gets, never a WELCOME."""
    past_expiry = alice.session.expires_at * 1000 + 1
    monkeypatch.setattr("rooms.consumers.now_ms", lambda: past_expiry)
    late = Admission(alice.session.origin, alice.session.link, "Late")
    assert await refusal_of(late.join_frame) == (False, UNAVAILABLE)


async def test_a_replayed_join_proof(alice):
    """A JOIN captured on one socket fails on another: the challenge differs."""
    bob = Admission(alice.session.origin, alice.session.link, "Bob")
    captured = {}

    def remember(challenge: bytes) -> bytes:
        captured["frame"] = bob.join_frame(challenge)
        return captured["frame"]

    first, challenge = await open_socket()
    await first.send_to(bytes_data=remember(challenge))
    await first.receive_from()  # WELCOME: the original join works
    assert await refusal_of(lambda _challenge: captured["frame"]) == (False, UNAVAILABLE)
    await first.disconnect()


async def test_an_expired_challenge(alice, monkeypatch):
    """A proof sent after the challenge's 30 s (here shortened) fails like a missing room."""
    monkeypatch.setattr("rooms.consumers.CHALLENGE_SECONDS", 0.2)
    slow = Admission(alice.session.origin, alice.session.link, "Slow")
    socket, challenge = await open_socket()
    await asyncio.sleep(0.3)
    await socket.send_to(bytes_data=slow.join_frame(challenge))
    assert await closed_with(socket) == UNAVAILABLE


async def test_a_proof_made_for_another_tenant(alice):
    """Alice's room on alpha, joined through beta's host: proof and room both miss."""
    await asyncio.to_thread(lambda: make_tenant("beta", ["beta.localhost"]))
    for origin in ("http://alpha.localhost", "http://beta.localhost"):
        bob = Admission(origin, alice.session.link, "Bob")
        assert await refusal_of(bob.join_frame, host="beta.localhost") == (False, UNAVAILABLE)
    assert await asyncio.to_thread(TenantDomain.objects.count) == 2


async def test_all_refusals_are_identical(alice):
    """Missing room, wrong proof and right room with wrong origin: byte-identical outcomes."""
    missing = Admission(ORIGIN, Link(os.urandom(32), os.urandom(16)), "X")
    wrong_origin = Admission("http://other.localhost", alice.session.link, "X")
    outcomes = {
        await refusal_of(missing.join_frame),
        await refusal_of(wrong_origin.join_frame),
        await refusal_of(lambda challenge: missing.join_frame(bytes(32))),
    }
    assert outcomes == {(False, UNAVAILABLE)}


async def test_a_second_handshake_is_refused(alice, bob):
    """Once in a room, another JOIN on the same socket is an unexpected frame."""
    await bob.send(bob.admission.join_frame(os.urandom(32)))
    assert await closed_with(bob.socket) == CloseCode.UNEXPECTED_FRAME
