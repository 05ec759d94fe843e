"""The relay's governance rules as plain functions: who gets in, which events are appended."""

from __future__ import annotations

import pytest

from atopos_protocol.governance.forkchoice import resolve
from atopos_protocol.join_rules import JoinRule
from governance.rules import CLOCK_ALLOWANCE_MS, AppendRefused, Entry, check_append, entry_for
from tests.governance.builders import Actor, Log, admitted, chain, make_room

OWNER = Actor.named("owner")
ADA, BEN = Actor.named("ada"), Actor.named("ben")
NOW_MS = 1_800_000_000_000
ROOM_ENDS_MS = NOW_MS + 3_600_000
TICKET = bytes(range(32))


def resolved(log: Log, steps):
    """The relay's view after an honest chain of ``steps``."""
    return resolve(log.room.genesis, [event.raw for event in chain(log, steps)])


@pytest.mark.parametrize(
    ("rule", "entry"),
    [
        (JoinRule.OPEN, Entry.WELCOME),
        (JoinRule.APPROVAL, Entry.KNOCK),
        (JoinRule.INVITE, Entry.TICKET),
    ],
)
def test_a_newcomer_enters_by_the_join_rule(rule, entry):
    """Open welcomes, approval knocks, invite asks for a ticket."""
    resolution = resolved(Log(make_room(rule=rule)), [])
    assert entry_for(resolution, ADA.pk).entry is entry


def test_a_listed_member_is_welcomed_whatever_the_rule():
    log = Log(make_room(rule=JoinRule.INVITE))
    resolution = resolved(log, [lambda p: log.admit(OWNER, ADA, p)])
    assert entry_for(resolution, ADA.pk).entry is Entry.WELCOME
    assert entry_for(resolution, OWNER.pk).entry is Entry.WELCOME


def test_a_removed_member_is_refused_even_in_an_open_room():
    log = Log(make_room(rule=JoinRule.OPEN))
    steps = [lambda p: log.admit(OWNER, ADA, p), lambda p: log.kick(OWNER, ADA, p)]
    resolution = resolved(log, steps)
    assert entry_for(resolution, ADA.pk).reason == "removed"
    assert entry_for(resolution, BEN.pk).entry is Entry.WELCOME


def test_a_locked_room_refuses_newcomers_but_not_members():
    log = Log(make_room(rule=JoinRule.APPROVAL))
    steps = [lambda p: log.admit(OWNER, ADA, p), lambda p: log.lock(OWNER, p)]
    resolution = resolved(log, steps)
    assert entry_for(resolution, BEN.pk).reason == "room-locked"
    assert entry_for(resolution, ADA.pk).entry is Entry.WELCOME


def refused(resolution, raw: bytes, member: bytes, now_ms: int = NOW_MS) -> str:
    with pytest.raises(AppendRefused) as refusal:
        check_append(resolution, raw, member, now_ms, ROOM_ENDS_MS)
    return refusal.value.reason


def test_an_event_by_a_kicked_member_is_refused_author_removed():
    """Ada, promoted then kicked, still holds a socket for a moment: her event is refused."""
    log = Log(make_room())
    events = chain(
        log,
        [
            *admitted(log, ADA, BEN),
            lambda p: log.promote(OWNER, ADA, p),
            lambda p: log.kick(OWNER, ADA, p),
        ],
    )
    resolution = resolve(log.room.genesis, [event.raw for event in events])
    late = log.promote(ADA, BEN, resolution.head)
    assert refused(resolution, late.raw, ADA.pk) == "author-removed"


def test_each_refusal_names_its_rule():
    log = Log(make_room())
    events = chain(log, [*admitted(log, ADA, BEN), lambda p: log.promote(OWNER, ADA, p)])
    resolution = resolve(log.room.genesis, [event.raw for event in events])
    assert refused(resolution, events[-1].raw, OWNER.pk) == "duplicate"
    assert (
        refused(resolution, log.promote(OWNER, BEN, log.room.root).raw, OWNER.pk) == "stale-parent"
    )
    assert (
        refused(resolution, log.promote(OWNER, BEN, resolution.head).raw, ADA.pk) == "not-your-key"
    )
    assert refused(resolution, log.kick(BEN, ADA, resolution.head).raw, BEN.pk) == "not-authorized"
    assert refused(resolution, b"\x01" * 200, OWNER.pk) == "event-malformed"
    good = log.promote(OWNER, BEN, resolution.head)
    assert check_append(resolution, good.raw, OWNER.pk, NOW_MS, ROOM_ENDS_MS).id == good.id


def invite_room(expires_at_ms: int) -> tuple[Log, object]:
    log = Log(make_room(rule=JoinRule.INVITE))
    steps = [lambda p: log.invite(OWNER, TICKET, p, uses=5, expires_at_ms=expires_at_ms)]
    return log, resolved(log, steps)


def test_mallory_cannot_redeem_an_expired_invite_by_backdating_it():
    """An invite that expired an hour ago, redeemed with time_ms = 0 (or any time before its
    expiry): the relay compares the signed time with its own clock and refuses (item 4)."""
    log, resolution = invite_room(expires_at_ms=NOW_MS - 3_600_000)
    for backdated in (0, NOW_MS - 3_600_001):
        redeem = log.redeem(BEN, TICKET, resolution.head, time_ms=backdated)
        assert refused(resolution, redeem.raw, BEN.pk) == "bad-time"


def test_a_redemption_within_the_clock_allowance_is_appended():
    """Honest clocks disagree a little: a redeemer up to the allowance off is let in."""
    log, resolution = invite_room(expires_at_ms=ROOM_ENDS_MS)
    for skew in (-CLOCK_ALLOWANCE_MS, CLOCK_ALLOWANCE_MS):
        redeem = log.redeem(BEN, TICKET, resolution.head, time_ms=NOW_MS + skew)
        assert check_append(resolution, redeem.raw, BEN.pk, NOW_MS, ROOM_ENDS_MS).id == redeem.id


def test_a_redemption_just_past_expiry_fails_by_the_ticket_not_the_clock():
    """Signed at the relay's clock but after the ticket's expiry: invite-expired."""
    log, resolution = invite_room(expires_at_ms=NOW_MS - 1)
    redeem = log.redeem(BEN, TICKET, resolution.head, time_ms=NOW_MS)
    assert refused(resolution, redeem.raw, BEN.pk) == "invite-expired"


def test_an_invite_must_expire_in_the_future_and_within_the_room():
    """INVITE carries a time too: already expired, or outliving the room, is refused."""
    log = Log(make_room(rule=JoinRule.INVITE))
    resolution = resolved(log, [])
    for expires in (NOW_MS - 1, ROOM_ENDS_MS + CLOCK_ALLOWANCE_MS + 1):
        invite = log.invite(OWNER, TICKET, resolution.head, expires_at_ms=expires)
        assert refused(resolution, invite.raw, OWNER.pk) == "bad-time"
