"""The relay's governance rules as plain functions: who gets in, which events are appended."""

from __future__ import annotations

import pytest

from governance.forkchoice import resolve
from governance.join_rules import JoinRule
from rooms.room_governance import AppendRefused, Entry, check_append, entry_for
from tests.governance.builders import Actor, Log, chain, make_room

OWNER = Actor.named("owner")
ADA, BEN = Actor.named("ada"), Actor.named("ben")


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


def refused(resolution, raw: bytes, member: bytes) -> str:
    with pytest.raises(AppendRefused) as refusal:
        check_append(resolution, raw, member)
    return refusal.value.reason


def test_an_event_by_a_kicked_member_is_refused_author_removed():
    """Ada, promoted then kicked, still holds a socket for a moment: her event is refused."""
    log = Log(make_room())
    events = chain(log, [lambda p: log.promote(OWNER, ADA, p), lambda p: log.kick(OWNER, ADA, p)])
    resolution = resolve(log.room.genesis, [event.raw for event in events])
    late = log.promote(ADA, BEN, resolution.head)
    assert refused(resolution, late.raw, ADA.pk) == "author-removed"


def test_each_refusal_names_its_rule():
    log = Log(make_room())
    events = chain(log, [lambda p: log.promote(OWNER, ADA, p)])
    resolution = resolve(log.room.genesis, [event.raw for event in events])
    assert refused(resolution, events[0].raw, OWNER.pk) == "duplicate"
    assert (
        refused(resolution, log.promote(OWNER, BEN, log.room.root).raw, OWNER.pk) == "stale-parent"
    )
    assert (
        refused(resolution, log.promote(OWNER, BEN, resolution.head).raw, ADA.pk) == "not-your-key"
    )
    assert refused(resolution, log.kick(BEN, ADA, resolution.head).raw, BEN.pk) == "not-authorized"
    assert refused(resolution, b"\x01" * 200, OWNER.pk) == "event-malformed"
    good = log.promote(OWNER, BEN, resolution.head)
    assert check_append(resolution, good.raw, OWNER.pk).id == good.id
