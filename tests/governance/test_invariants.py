"""Governance invariants over random event sets, branchings, orderings and partitions.

Each example writes up to 30 events by five actors (any of whom may act out of
turn, on any earlier event as parent), then checks the merge of what they
wrote against rules stated independently of atopos_protocol.governance.state.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.forkchoice import Resolution, resolve
from atopos_protocol.governance.payloads import Invite, Kick, Redeem, Target, parse_payload
from atopos_protocol.governance.state import RoomState, apply, initial_state
from atopos_protocol.join_rules import JoinRule
from tests.governance.builders import Actor, Log, make_room

ACTORS = [Actor.named(name) for name in ("owner", "ada", "ben", "cy", "dee")]
TICKETS = [bytes([n]) * 32 for n in range(1, 3)]
LOG = Log(make_room("invariants", JoinRule.APPROVAL))
ADMIN_KINDS = {
    EventKind.ADMIT, EventKind.INVITE, EventKind.REVOKE_INVITE, EventKind.KICK,
    EventKind.PROMOTE, EventKind.DEMOTE, EventKind.SET_JOIN_RULE, EventKind.LOCK,
}  # fmt: skip
ADMISSIONS = {EventKind.ADMIT, EventKind.REDEEM, EventKind.INVITE}
AUTHORS = [0, 0, 0, 0, 1, 2, 3, 4]

step = st.tuples(
    st.sampled_from(["admit", "promote", "demote", "kick", "invite", "revoke", "redeem",
                     "rule", "lock", "end"]),
    st.sampled_from(AUTHORS),  # author: the owner most often, as in real rooms
    st.integers(0, 4),  # target
    st.integers(0, 1),  # ticket
    st.integers(0, 7),  # how far back the parent is (0: the latest event)
)  # fmt: skip


def _setup() -> list[Event]:
    """The owner lets Ada, Ben and Cy in (Dee stays outside): only listed keys can be
    promoted or kicked, so without this most scripts would die at their first step."""
    events: list[Event] = []
    for actor in ACTORS[1:4]:
        parent = events[-1].id if events else LOG.room.root
        events.append(LOG.admit(ACTORS[0], actor, parent))
    return events


SETUP = _setup()


def write(script: list[tuple[str, int, int, int, int]]) -> list[Event]:
    """Events as the actors write them, each on a recent (not always the latest) parent."""
    events: list[Event] = list(SETUP)
    for action, author_index, target_index, ticket_index, back in script:
        parents = [LOG.room.root] + [event.id for event in events]
        parent = parents[max(0, len(parents) - 1 - back)]
        author, target = ACTORS[author_index], ACTORS[target_index]
        events.append(build(action, author, target, ticket_index, parent))
    return events


def build(action: str, author: Actor, target: Actor, ticket_index: int, parent: bytes) -> Event:
    ticket = TICKETS[ticket_index]
    if action in ("admit", "promote", "demote", "kick"):
        return getattr(LOG, action)(author, target, parent)
    if action == "invite":
        return LOG.invite(author, ticket, parent, uses=1 + ticket_index)
    if action in ("revoke", "redeem"):
        return getattr(LOG, action)(author, ticket, parent)
    if action == "rule":
        return LOG.set_rule(author, JoinRule.INVITE, parent)
    return getattr(LOG, action)(author, parent)  # lock, end


def merge(events: list[Event]) -> Resolution:
    return resolve(LOG.room.genesis, [event.raw for event in events])


def replay(result: Resolution) -> list[tuple[RoomState, Event]]:
    """Each accepted event with the state just before it."""
    state, pairs = initial_state(LOG.room.genesis), []
    for event in result.accepted:
        pairs.append((state, event))
        state = apply(state, event)
    return pairs


scripts = st.lists(step, min_size=1, max_size=30)


@settings(max_examples=120, deadline=None)
@given(scripts, st.randoms(use_true_random=False))
def test_convergence_same_events_same_state_whatever_the_order(script, rng):
    """Any arrival order gives the same head, the same state and the same accepted order."""
    events = write(script)
    reference = merge(events)
    shuffled = events[:]
    rng.shuffle(shuffled)
    result = merge(shuffled)
    assert result.head == reference.head
    assert result.state.state_hash == reference.state.state_hash
    assert [e.id for e in result.accepted] == [e.id for e in reference.accepted]


@settings(max_examples=120, deadline=None)
@given(scripts, st.randoms(use_true_random=False))
def test_convergence_after_a_partition_heals(script, rng):
    """Two members holding different halves agree once they have exchanged everything."""
    events = write(script)
    half_a = [e for e in events if rng.random() < 0.5]
    half_b = [e for e in events if e not in half_a]
    merge(half_a), merge(half_b)  # each side may see something different meanwhile
    assert merge(half_a + half_b).state.state_hash == merge(half_b + half_a).state.state_hash


@settings(max_examples=120, deadline=None)
@given(scripts)
def test_the_merge_is_a_fixpoint(script):
    """Merging only the accepted events gives the same result: rejections change nothing."""
    result = merge(write(script))
    again = resolve(LOG.room.genesis, result.events)
    assert again.head == result.head
    assert again.state.state_hash == result.state.state_hash
    assert again.rejected == {}


@settings(max_examples=150, deadline=None)
@given(scripts)
def test_authority_every_accepted_author_held_the_power(script):
    """Stated directly: admins act, only the owner ends, seniors alone remove admins."""
    for before, event in replay(merge(write(script))):
        assert event.author not in before.removed
        if event.kind in ADMIN_KINDS:
            assert event.author == before.owner or event.author in before.admins
        if event.kind is EventKind.END_ROOM:
            assert event.author == before.owner
        if event.kind in (EventKind.KICK, EventKind.DEMOTE):
            payload = parse_payload(event)
            assert isinstance(payload, Kick | Target)
            if payload.target in before.admins:
                rank = [before.owner, *before.admins]
                assert rank.index(event.author) < rank.index(payload.target)


@settings(max_examples=150, deadline=None)
@given(scripts)
def test_revocation_nothing_by_a_removed_member_after_its_removal(script):
    """Once a kick is accepted, no later accepted event is by the kicked key."""
    removed: set[bytes] = set()
    demoted: set[bytes] = set()
    for _, event in replay(merge(write(script))):
        assert event.author not in removed
        if event.kind in ADMIN_KINDS:
            assert event.author not in demoted  # a demoted admin lost its powers
        if event.kind is EventKind.KICK:
            removed.add(parse_payload(event).target)  # type: ignore[union-attr]
        if event.kind is EventKind.DEMOTE:
            demoted.add(parse_payload(event).target)  # type: ignore[union-attr]
        if event.kind is EventKind.PROMOTE:
            demoted.discard(parse_payload(event).target)  # type: ignore[union-attr]


@settings(max_examples=150, deadline=None)
@given(scripts)
def test_tickets_never_admit_more_than_their_uses(script):
    uses: dict[bytes, int] = {}
    redeemed: dict[bytes, int] = {}
    for event in merge(write(script)).accepted:
        payload = parse_payload(event)
        if isinstance(payload, Invite):
            uses[payload.ticket_pk] = payload.uses
        if isinstance(payload, Redeem):
            redeemed[payload.ticket_pk] = redeemed.get(payload.ticket_pk, 0) + 1
            assert redeemed[payload.ticket_pk] <= uses[payload.ticket_pk]


@settings(max_examples=150, deadline=None)
@given(scripts)
def test_no_admission_after_lock_and_nothing_after_end(script):
    locked = ended = False
    for event in merge(write(script)).accepted:
        assert not ended
        if locked:
            assert event.kind not in ADMISSIONS
        locked |= event.kind is EventKind.LOCK
        ended |= event.kind is EventKind.END_ROOM


@settings(max_examples=60, deadline=None)
@given(scripts, scripts)
def test_different_states_show_different_phrases(first, second):
    """Two different states never share a safety phrase (in practice: 40 bits apart)."""
    from atopos_client.phrase import safety_phrase

    a, b = merge(write(first)).state, merge(write(second)).state
    if a.state_hash != b.state_hash:
        assert safety_phrase(a.state_hash) != safety_phrase(b.state_hash)


def test_random_scripts_do_produce_forks_and_rejections():
    """Guard against vacuous passes: the generator makes forks, acceptances and refusals."""
    rng = random.Random(7)
    forked = accepted = rejected = 0
    for _ in range(40):
        script = [(rng.choice(["admit", "promote", "kick", "invite", "redeem", "lock"]),
                   rng.choice(AUTHORS), rng.randrange(5), rng.randrange(2), rng.randrange(4))
                  for _ in range(15)]  # fmt: skip
        result = merge(write(script))
        forked += result.forked
        accepted += len(result.accepted)
        rejected += len(result.rejected)
    assert forked > 10
    assert accepted > 40
    assert rejected > 40
