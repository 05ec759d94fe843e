"""A relay that shows two members different logs is caught, and they still converge."""

from __future__ import annotations

import os

import pytest

from atopos_client.events import GovernanceChanged
from atopos_client.logsync import LogSync, Reassembly, event_batches
from atopos_client.messages import PLAINTEXT_HEADER_SIZE, split_pieces
from atopos_client.tickets import ticket_key
from atopos_protocol.governance.events import EventKind
from atopos_protocol.governance.payloads import Invite, SetJoinRule, Target
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.routing_modes import RoutingMode
from tests.client.double import RelayDouble, founded, joined, signed


@pytest.fixture
def split():
    """Alice (owner) and Bob (admin) share a prefix; then each appends on the same head,
    and the relay shows each only its own event."""
    alice = founded("Alice")
    relay = RelayDouble(alice)
    relay.enter(alice)
    bob = joined(alice, "Bob")
    relay.enter(bob)
    relay.show_all(signed(alice, EventKind.PROMOTE, Target(bob.member.ed_pk).encode()))
    relay.run()
    ticket_pk = ticket_key(os.urandom(32)).public_key
    approval = SetJoinRule(JoinRule.APPROVAL, 0).encode()
    relay.show(alice, signed(alice, EventKind.SET_JOIN_RULE, approval))
    relay.show(bob, signed(bob, EventKind.INVITE, Invite(ticket_pk, 2, 2**40).encode()))
    relay.run()
    return alice, bob, relay


def test_each_member_alone_sees_no_fork(split):
    """Before they talk, each log is a plausible single chain: nothing to detect yet."""
    alice, bob, _ = split
    assert not alice.membership.forked
    assert not bob.membership.forked
    assert alice.membership.head != bob.membership.head


def test_both_members_detect_the_fork_once_they_exchange_heads(split):
    """One message each way carries the heads; both end up flagging the fork."""
    alice, bob, relay = split
    relay.send(alice, [alice.text("hello")])
    relay.send(bob, [bob.text("hi")])
    relay.run()
    assert alice.membership.forked
    assert bob.membership.forked
    for session in (alice, bob):
        changes = [e for e in relay.events_of(session) if isinstance(e, GovernanceChanged)]
        assert changes[-1].forked


def test_after_the_exchange_both_hold_the_same_head_and_phrase(split):
    """Both merge the union by the same rule: same head, same state, same safety phrase."""
    alice, bob, relay = split
    relay.send(alice, [alice.text("hello")])
    relay.run()
    assert alice.membership.head == bob.membership.head
    assert alice.phrase == bob.phrase
    assert alice.state.join_rule is JoinRule.APPROVAL
    assert len(alice.state.invites) == 1


def test_a_head_nobody_holds_is_asked_for_once():
    """A message naming an unknown head prompts one request, not one per message."""
    sync = LogSync()
    unknown = os.urandom(32)
    assert sync.ask(unknown, known=False) == unknown
    assert sync.ask(unknown, known=False) is None
    assert sync.ask(os.urandom(32), known=True) is None


def test_events_travel_in_pieces_that_fit_the_rooms_envelopes():
    """Mix mode's one 1024-byte bucket: five 400-byte events and a 27 KB REKEY-sized one all
    travel, in pieces no larger than an envelope, and come back whole and in order."""
    events = [bytes([n]) * 400 for n in range(5)] + [b"x" * 27_000]
    batches = event_batches(events, RoutingMode.MIX)
    assert all(len(batch) <= 1024 - PLAINTEXT_HEADER_SIZE for batch in batches)
    reassembly = Reassembly()
    received = [e for batch in batches for e in reassembly.add(split_pieces(batch))]
    assert received == events


def test_a_piece_with_a_forged_id_is_dropped():
    """Reassembled bytes must hash to the id the pieces named."""
    batches = event_batches([b"y" * 500], RoutingMode.DIRECT)
    pieces = split_pieces(batches[0])
    forged = [type(p)(bytes(32), p.total, p.offset, p.data) for p in pieces]
    assert Reassembly().add(forged) == []
