"""Branches a lying relay could create, and the single state every member merges them to."""

from __future__ import annotations

import random

import pytest

from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event
from atopos_protocol.governance.forkchoice import DROPPED_ANCESTOR, resolve
from atopos_protocol.join_rules import JoinRule
from tests.governance.builders import Actor, Log, make_room

OWNER = Actor.named("owner")
ADA, BEN, CY, DEE = (Actor.named(name) for name in ("ada", "ben", "cy", "dee"))
TICKET = bytes(range(32))


@pytest.fixture
def log() -> Log:
    return Log(make_room(rule=JoinRule.APPROVAL))


def merged(log: Log, *events: Event):
    return resolve(log.room.genesis, [event.raw for event in events])


def test_mutual_kicks_the_senior_admin_wins(log):
    """Ada and Ben kick each other on two branches: Ada was promoted first and stays."""
    ada_in = log.admit(OWNER, ADA, log.room.root)
    ben_in = log.admit(OWNER, BEN, ada_in.id)
    ada_up = log.promote(OWNER, ADA, ben_in.id)
    ben_up = log.promote(OWNER, BEN, ada_up.id)
    ada_kicks = log.kick(ADA, BEN, ben_up.id)
    ben_kicks = log.kick(BEN, ADA, ben_up.id)
    result = merged(log, ada_in, ben_in, ada_up, ben_up, ben_kicks, ada_kicks)
    assert result.forked
    assert BEN.pk in result.state.removed
    assert ADA.pk in result.state.admins
    assert result.rejected[ben_kicks.id] == "author-removed"


def test_a_removed_admins_branch_and_its_admittees_are_dropped(log):
    """The owner kicks Ada; on her branch she had admitted Cy, who then invited Dee's way."""
    ada_in = log.admit(OWNER, ADA, log.room.root)
    ada_up = log.promote(OWNER, ADA, ada_in.id)
    kick = log.kick(OWNER, ADA, ada_up.id)
    ada_admits_cy = log.admit(ADA, CY, ada_up.id)  # her branch, sibling of the kick
    cy_promoted = log.promote(ADA, CY, ada_admits_cy.id)
    result = merged(log, ada_in, ada_up, kick, ada_admits_cy, cy_promoted)
    assert CY.pk not in result.state.members
    assert not result.state.is_admin(CY.pk)
    assert result.rejected[ada_admits_cy.id] == "author-removed"
    assert result.rejected[cy_promoted.id] == DROPPED_ANCESTOR


def test_one_ticket_used_on_two_branches_admits_once(log):
    """A single-use ticket redeemed by Ada on one branch and Ben on another: one wins."""
    invite = log.invite(OWNER, TICKET, log.room.root, uses=1)
    ada = log.redeem(ADA, TICKET, invite.id)
    ben = log.redeem(BEN, TICKET, invite.id)
    result = merged(log, invite, ben, ada)
    admitted = {ADA.pk, BEN.pk} & result.state.members
    assert len(admitted) == 1
    assert sorted(result.rejected.values()) == ["ticket-used"]


def test_nothing_is_admitted_after_a_lock_on_another_branch(log):
    """A lock and an admission race: revocations go first, so the admission fails."""
    lock = log.lock(OWNER, log.room.root)
    admit = log.admit(OWNER, ADA, log.room.root)
    result = merged(log, admit, lock)
    assert ADA.pk not in result.state.members
    assert result.rejected[admit.id] == "room-locked"


def test_nothing_survives_an_end_on_another_branch(log):
    end = log.end(OWNER, log.room.root)
    promote = log.promote(OWNER, ADA, log.room.root)
    result = merged(log, promote, end)
    assert result.state.ended
    assert result.rejected[promote.id] == "room-ended"


def test_an_honest_chain_is_not_a_fork(log):
    first = log.admit(OWNER, ADA, log.room.root)
    second = log.promote(OWNER, ADA, first.id)
    result = merged(log, second, first)
    assert not result.forked
    assert result.head == second.id
    assert [event.id for event in result.accepted] == [first.id, second.id]


def test_events_whose_parent_is_unknown_wait_as_orphans(log):
    first = log.promote(OWNER, ADA, log.room.root)
    second = log.admit(ADA, BEN, first.id)
    result = merged(log, second)
    assert result.orphans == {second.id}
    assert result.head == log.room.root


def test_bad_signatures_and_garbage_are_rejected_with_their_codes(log):
    good = log.promote(OWNER, ADA, log.room.root)
    tampered = bytearray(good.raw)
    tampered[-1] ^= 1
    result = resolve(log.room.genesis, [bytes(tampered), b"\x01\x02junk"])
    assert sorted(result.rejected.values()) == ["bad-signature", "event-malformed"]
    with pytest.raises(GovernanceError, match="bad-signature"):
        Event.decode(bytes(tampered))


def test_order_of_arrival_never_matters(log):
    """Every permutation of a forked set gives the same head and state."""
    ada_up = log.promote(OWNER, ADA, log.room.root)
    events = [
        ada_up,
        log.kick(ADA, BEN, ada_up.id),
        log.admit(ADA, BEN, ada_up.id),
        log.invite(OWNER, TICKET, log.room.root),
        log.lock(ADA, ada_up.id),
    ]
    reference = merged(log, *events)
    for seed in range(20):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        result = merged(log, *shuffled)
        assert result.head == reference.head
        assert result.state.state_hash == reference.state.state_hash
