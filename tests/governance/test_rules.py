"""Each rule of the state machine: who may do what, and what it changes."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.forkchoice import resolve
from atopos_protocol.governance.payloads import Rekey, RekeyEntry
from atopos_protocol.governance.state import (
    MAX_LOG_BYTES,
    MAX_MEMBERS,
    InviteState,
    RoomState,
    apply,
    initial_state,
)
from atopos_protocol.join_rules import JoinRule
from tests.governance.builders import Actor, Log, admitted, chain, make_room

OWNER = Actor.named("owner")
ADA, BEN, CY, DEE = (Actor.named(name) for name in ("ada", "ben", "cy", "dee"))
TICKET = bytes(range(32))


@pytest.fixture
def log() -> Log:
    return Log(make_room(rule=JoinRule.APPROVAL))


def run(log: Log, steps):
    """The resolution of a single honest chain of events."""
    return resolve(log.room.genesis, [event.raw for event in chain(log, steps)])


def refusal(log: Log, steps, last) -> str:
    """Why the final step is refused after the (accepted) earlier steps."""
    events = chain(log, steps)
    state = initial_state(log.room.genesis)
    for event in events:
        state = apply(state, event)
    parent = events[-1].id if events else log.room.root
    with pytest.raises(GovernanceError) as error:
        apply(state, last(parent))
    return error.value.code


def test_the_genesis_makes_its_author_the_owner(log):
    """The creator owns the room under the genesis join rule."""
    state = initial_state(log.room.genesis)
    assert state.owner == OWNER.pk
    assert state.is_admin(OWNER.pk)
    assert state.join_rule is JoinRule.APPROVAL
    assert state.members == {OWNER.pk}


def test_an_admin_admits_and_the_member_is_listed(log):
    """ADMIT by the owner adds the member with its X25519 key."""
    result = run(log, [lambda p: log.admit(OWNER, ADA, p)])
    assert ADA.pk in result.state.members
    assert result.state.x_keys[ADA.pk] == ADA.x_pk


def test_a_plain_member_cannot_admit(log):
    """Only the owner and admins admit."""
    steps = [lambda p: log.admit(OWNER, ADA, p)]
    assert refusal(log, steps, lambda p: log.admit(ADA, BEN, p)) == "not-authorized"


def test_promoted_admins_rank_by_promotion_order(log):
    """The owner ranks first, then admins in the order they were promoted."""
    state = run(
        log,
        [
            *admitted(log, ADA, BEN),
            lambda p: log.promote(OWNER, ADA, p),
            lambda p: log.promote(OWNER, BEN, p),
        ],
    ).state
    assert [state.seniority(k) for k in (OWNER.pk, ADA.pk, BEN.pk, CY.pk)] == [0, 1, 2, 1_000_000]


def test_an_admin_cannot_kick_or_demote_a_more_senior_admin(log):
    """Ben (promoted after Ada) may not remove her; she may remove him."""
    steps = [
        *admitted(log, ADA, BEN),
        lambda p: log.promote(OWNER, ADA, p),
        lambda p: log.promote(OWNER, BEN, p),
    ]
    assert refusal(log, steps, lambda p: log.kick(BEN, ADA, p)) == "not-authorized"
    assert refusal(log, steps, lambda p: log.demote(BEN, ADA, p)) == "not-authorized"
    assert BEN.pk in run(log, [*steps, lambda p: log.kick(ADA, BEN, p)]).state.removed


def test_nobody_kicks_the_owner_or_themselves(log):
    steps = [*admitted(log, ADA), lambda p: log.promote(OWNER, ADA, p)]
    assert refusal(log, steps, lambda p: log.kick(ADA, OWNER, p)) == "cannot-kick-owner"
    assert refusal(log, steps, lambda p: log.kick(ADA, ADA, p)) == "cannot-kick-self"


def test_a_kicked_member_can_do_nothing_more_and_cannot_be_admitted_again(log):
    """Events by a removed key are refused, and ADMIT of it too."""
    steps = [
        *admitted(log, ADA),
        lambda p: log.promote(OWNER, ADA, p),
        lambda p: log.kick(OWNER, ADA, p),
    ]
    assert refusal(log, steps, lambda p: log.admit(ADA, BEN, p)) == "author-removed"
    assert refusal(log, steps, lambda p: log.admit(OWNER, ADA, p)) == "member-removed"


def test_a_kick_in_an_open_room_can_close_the_door(log):
    """The kick switches an open room to approval so the kicked cannot walk back in."""
    open_log = Log(make_room("open", JoinRule.OPEN))
    bound = open_log.bind(ADA, open_log.room.root)
    state = resolve(
        open_log.room.genesis,
        [bound.raw, open_log.kick(OWNER, ADA, bound.id, JoinRule.APPROVAL).raw],
    ).state
    assert state.join_rule is JoinRule.APPROVAL
    assert not state.may_join(ADA.pk)
    assert state.pending_kick is not None


def test_tickets_admit_at_most_their_uses(log):
    """A two-use invite admits two redeemers; the third is refused."""
    steps = [
        lambda p: log.invite(OWNER, TICKET, p, uses=2),
        lambda p: log.redeem(ADA, TICKET, p),
        lambda p: log.redeem(BEN, TICKET, p),
    ]
    assert refusal(log, steps, lambda p: log.redeem(CY, TICKET, p)) == "ticket-used"


def test_revoked_expired_and_forged_tickets_admit_nobody(log):
    steps = [lambda p: log.invite(OWNER, TICKET, p, expires_at_ms=1_000)]
    assert (
        refusal(log, steps, lambda p: log.redeem(ADA, TICKET, p, time_ms=2_000)) == "invite-expired"
    )
    revoked = [lambda p: log.invite(OWNER, TICKET, p), lambda p: log.revoke(OWNER, TICKET, p)]
    assert refusal(log, revoked, lambda p: log.redeem(ADA, TICKET, p)) == "invite-revoked"
    forged = log.redeem(ADA, bytes(32), log.room.root)  # signed with another ticket secret
    invite = [lambda p: log.invite(OWNER, TICKET, p)]

    def with_wrong_ticket(parent: bytes) -> Event:
        real = log.redeem(ADA, TICKET, parent)
        payload = real.payload[:32] + forged.payload[32:]
        return log.event(ADA, EventKind.REDEEM, parent, payload)

    assert refusal(log, invite, with_wrong_ticket) == "bad-ticket"


def test_lock_stops_admissions_and_invites(log):
    steps = [lambda p: log.invite(OWNER, TICKET, p), lambda p: log.lock(OWNER, p)]
    assert refusal(log, steps, lambda p: log.admit(OWNER, ADA, p)) == "room-locked"
    assert refusal(log, steps, lambda p: log.redeem(ADA, TICKET, p)) == "room-locked"
    assert refusal(log, steps, lambda p: log.invite(OWNER, bytes(32), p)) == "room-locked"


def test_only_the_owner_ends_the_room_and_nothing_follows(log):
    steps = [*admitted(log, ADA), lambda p: log.promote(OWNER, ADA, p)]
    assert refusal(log, steps, lambda p: log.end(ADA, p)) == "not-authorized"
    ended = [*steps, lambda p: log.end(OWNER, p)]
    assert refusal(log, ended, lambda p: log.admit(OWNER, BEN, p)) == "room-ended"


def test_a_member_cap_seals_the_room(log):
    """With a cap of two, the owner and one admitted member fill the room."""
    steps = [
        lambda p: log.set_rule(OWNER, JoinRule.APPROVAL, p, cap=2),
        lambda p: log.admit(OWNER, ADA, p),
    ]
    assert refusal(log, steps, lambda p: log.admit(OWNER, BEN, p)) == "room-full"


def test_events_from_another_room_are_refused(log):
    other = Log(make_room("other"))
    assert refusal(log, [], lambda p: other.admit(OWNER, ADA, p)) == "wrong-room"


def rekey(log: Log, author: Actor, kick_id: bytes, parent: bytes, *recipients: Actor) -> Event:
    """A REKEY to epoch 1 answering ``kick_id`` (the rules read its entries, never open them)."""
    entries = tuple(RekeyEntry(actor.pk, bytes(24), bytes(48)) for actor in recipients)
    payload = Rekey(kick_id, 1, bytes(32), bytes(32), bytes(32), entries).encode()
    return log.event(author, EventKind.REKEY, parent, payload)


def test_a_rekey_answers_the_pending_kick_and_nothing_else(log):
    """Ada, an admin, cannot quietly move the room to keys Ben never gets: a REKEY with no
    kick pending, or naming an event that is not the pending kick, is refused no-kick."""
    steps = [*admitted(log, ADA, BEN, CY), lambda p: log.promote(OWNER, ADA, p)]
    assert refusal(log, steps, lambda p: rekey(log, ADA, p, p, OWNER, CY)) == "no-kick"
    kicked = [*steps, lambda p: log.kick(OWNER, CY, p)]
    not_the_kick = chain(log, steps)[-1].id
    assert refusal(log, kicked, lambda p: rekey(log, ADA, not_the_kick, p, OWNER)) == "no-kick"
    result = run(log, [*kicked, lambda p: rekey(log, ADA, p, p, OWNER, BEN)])
    assert (result.state.epoch, result.state.pending_kick) == (1, None)


def test_the_log_lists_at_most_256_keys_whatever_the_cap():
    """Newcomers binding themselves to an open room with no cap: the 257th key is refused
    room-full, so a REKEY sealed to every listed key still fits in one event."""
    open_log = Log(make_room("crowd", JoinRule.OPEN))
    crowd = [Actor.named(f"crowd-{index}") for index in range(MAX_MEMBERS)]
    steps = [lambda p, actor=actor: open_log.bind(actor, p) for actor in crowd[:-1]]
    assert len(run(open_log, steps).state.members) == MAX_MEMBERS
    assert refusal(open_log, steps, lambda p: open_log.bind(crowd[-1], p)) == "room-full"


def test_a_log_at_its_byte_cap_takes_nothing_but_the_end(log):
    """A log one byte short of room for the next event refuses it log-full; END_ROOM still
    ends the room, so a flooded log never traps its members."""
    state = initial_state(log.room.genesis)
    lock = log.lock(OWNER, log.room.root)
    full = replace(state, log_bytes=MAX_LOG_BYTES - len(lock.raw) + 1)
    with pytest.raises(GovernanceError) as error:
        apply(full, lock)
    assert error.value.code == "log-full"
    assert apply(replace(full, log_bytes=MAX_LOG_BYTES - len(lock.raw)), lock).locked
    assert apply(full, log.end(OWNER, log.room.root)).ended


def test_two_logs_that_differ_only_in_which_admin_kicked_bob_have_different_phrases():
    """The owner and Ada each kick Bob on their own branch: the same people are in, but a
    different kick awaits its re-key, so the state hash (and phrase) must differ."""
    room = make_room("phrase-kick", JoinRule.APPROVAL)
    log, owner = Log(room), room.owner
    ada, bob = Actor.named("ada"), Actor.named("bob")
    setup = chain(log, [*admitted(log, ada, bob), lambda p: log.promote(owner, ada, p)])
    head = setup[-1].id
    by_owner = resolve(room.genesis, [e.raw for e in setup] + [log.kick(owner, bob, head).raw])
    by_ada = resolve(room.genesis, [e.raw for e in setup] + [log.kick(ada, bob, head).raw])

    assert by_owner.state.members == by_ada.state.members
    assert by_owner.state.pending_kick != by_ada.state.pending_kick
    assert by_owner.state.state_hash != by_ada.state.state_hash


def test_two_logs_that_bind_carol_to_different_keys_have_different_phrases():
    """Carol binds herself in an open room with two X25519 keys on two branches: members
    that merged different branches would seal re-keys to different keys."""
    room = make_room("phrase-bind", JoinRule.OPEN)
    log, carol = Log(room), Actor.named("carol")
    other_x = Actor.named("carol-second-device").x_pk
    first = resolve(room.genesis, [log.bind(carol, room.root).raw])
    second = resolve(room.genesis, [log.bind(carol, room.root, x_pk=other_x).raw])

    assert first.state.members == second.state.members
    assert first.state.x_keys[carol.pk] != second.state.x_keys[carol.pk]
    assert first.state.state_hash != second.state.state_hash


def test_the_state_hash_covers_every_field_but_the_log_size_and_the_auth_key():
    """A field left out of the state hash lets two different states share a phrase; only
    the log's size (no authority) and auth_pk (room_id is its hash) may be left out."""
    room = make_room("phrase-fields", JoinRule.APPROVAL)
    state = initial_state(room.genesis)
    other = Actor.named("other").pk
    changed = {
        "room_id": bytes(32), "owner": other, "admins": (other,), "members": frozenset({other}),
        "x_keys": {other: other}, "removed": frozenset({other}), "join_rule": JoinRule.INVITE,
        "cap": 7, "locked": True, "ended": True, "epoch": 3, "epoch_confirm": bytes(range(32)),
        "invites": {other: InviteState(2, 1, 99, revoked=False)}, "pending_kick": other,
    }  # fmt: skip
    left_out = {"auth_pk", "log_events", "log_bytes"}

    assert set(changed) | left_out == {field.name for field in fields(RoomState)}
    for name, value in changed.items():
        assert replace(state, **{name: value}).encode() != state.encode(), name
