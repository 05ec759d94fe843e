"""C14's new invariant: a removed member never holds the current epoch secret.

The adversary is the relay colluding with the removed member (Mallory): it
sees every frame, decides what each honest member receives (withholds
governance from some, forges LEFT frames, replays old events) and injects
whatever Mallory can seal with the epochs she holds (hellos in anyone's name
with her own or their X25519 key, in any epoch she holds). Hypothesis plays
random schedules of such moves around kicks, and after every step checks
that nothing Mallory saw or could open gives her an epoch started after her
removal.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atopos_client.keys import EpochKeys
from atopos_client.session import RoomSession, SendingPaused
from atopos_protocol.frames import EventFrame, Kind, LeftFrame
from atopos_protocol.governance.events import Event, EventKind
from tests.attacks.adversary import epochs_the_thief_can_take, forged_hello
from tests.client.double import RelayDouble, founded, joined

MOVES = st.lists(
    st.tuples(
        st.sampled_from(
            ["forge-hello-own-key", "forge-hello-their-key", "forge-left", "withhold",
             "release", "replay", "talk", "kick-carol"]
        ),
        st.integers(0, 2),  # which honest member the move aims at
        st.integers(0, 9),  # which epoch Mallory seals in / which event is replayed
    ),
    max_size=14,
)  # fmt: skip


@dataclass
class World:
    """Alice (owner), Bob and Carol, honest; Mallory, removed at the start; the relay."""

    relay: RelayDouble
    honest: list[RoomSession]
    mallory: RoomSession
    withheld: set[int] = field(default_factory=set)
    seen_events: list[bytes] = field(default_factory=list)

    def publish(self) -> None:
        """The relay appends what members asked for, hiding it from the withheld."""
        appended, self.relay.appends = self.relay.appends, []
        self.seen_events += appended
        for session in self.relay.sessions:
            if id(session) not in self.withheld:
                self.relay.show(session, *appended)

    def step(self) -> None:
        for _ in range(20):
            self.relay.run()
            if not self.relay.appends:
                return
            self.publish()

    def mallory_epochs(self) -> list[EpochKeys]:
        """Every epoch Mallory holds or can open from any REKEY or KEYSHARE the relay saw."""
        events = [Event.decode(raw) for raw in self.seen_events]
        keyed = [e for e in events if e.kind in (EventKind.REKEY, EventKind.KEYSHARE)]
        return [*self.mallory.membership.epochs.values(),
                *epochs_the_thief_can_take(self.mallory, keyed)]  # fmt: skip


def world() -> World:
    alice = founded("Alice")
    relay = RelayDouble(alice)
    relay.enter(alice)
    members = [alice]
    for name in ("Bob", "Carol", "Mallory"):
        session = joined(alice, name)
        relay.enter(session)
        members.append(session)
    mallory = members[3]
    # Mallory's socket is closed by her kick; the relay hands her what it sees instead.
    relay.dropped.add(id(mallory))
    state = World(relay, members[:3], mallory)
    relay.send(alice, alice.kick(mallory.member.ed_pk))
    state.step()
    return state


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MOVES)
def test_a_removed_member_never_holds_an_epoch_started_after_its_removal(moves):
    """Whatever the colluding relay does, Mallory never holds epoch 1 or later."""
    state = world()
    alice, _, carol = state.honest
    assert alice.state.epoch == 1
    for move, target_index, pick in moves:
        target = state.honest[target_index]
        victim = state.honest[(target_index + 1) % 3]
        held = sorted(state.mallory.membership.epochs.values(), key=lambda e: e.counter)
        epoch = held[pick % len(held)]
        if move == "forge-hello-own-key":
            state.relay.inject(
                target,
                forged_hello(state.mallory, victim.member.ed_pk, state.mallory.member.x_pk, epoch),
            )
        elif move == "forge-hello-their-key":
            state.relay.inject(
                target, forged_hello(state.mallory, victim.member.ed_pk, victim.member.x_pk, epoch)
            )
        elif move == "forge-left":
            state.relay.inject(target, LeftFrame(victim.member.ed_pk).encode())
        elif move == "withhold":
            state.withheld.add(id(target))
        elif move == "release":
            state.withheld.discard(id(target))
        elif move == "replay" and state.seen_events:
            raw = state.seen_events[pick % len(state.seen_events)]
            state.relay.inject(target, EventFrame(raw, Kind.GOVERNANCE).encode())
        elif move == "talk":
            with contextlib.suppress(SendingPaused):  # a paused member simply does not talk
                state.relay.send(target, [target.text("hello")])
        elif move == "kick-carol" and carol.member.ed_pk not in alice.state.removed:
            state.relay.send(alice, alice.kick(carol.member.ed_pk))
        state.step()
        # Everything Mallory can see: every envelope sent, every event appended.
        tapped, state.relay.wiretap = state.relay.wiretap, []
        for frame in tapped:
            state.mallory.receive(frame)
        for raw in state.seen_events:
            state.mallory.receive(EventFrame(raw, Kind.GOVERNANCE).encode())
        stolen = {e.counter for e in state.mallory_epochs()}
        assert max(stolen) == 0, f"Mallory holds epoch {max(stolen)} after {move}"
