"""A member's own copy of the room's governance: log, state, epochs and key duties.

Everything the relay sends about governance is checked here again: events are
merged with the fork-choice rule (atopos_protocol.governance.forkchoice), epochs come only from
re-key bundles and key shares that open and match their confirm value, and the
message filter follows the merged state, not the relay's word.

New epochs are sealed only to the X25519 keys the signed log binds to each
listed member (the genesis, ADMIT, REDEEM or BIND): never to a key a hello, a
KNOCK or the relay names. A removed member can forge hellos in anyone's name
(it still holds the old epoch), so a hello must never move a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from atopos_client.keys import EpochKeys, MemberKeys
from atopos_client.phrase import safety_phrase
from atopos_client.rekey import Recipient, build_keyshare, build_rekey, open_keyshare, open_rekey
from atopos_protocol.codec import u32
from atopos_protocol.genesis import Genesis
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.forkchoice import (
    Resolution,
    decode_into,
    resolve_decoded,
)
from atopos_protocol.governance.payloads import KeyShare, Kick, Rekey, parse_payload
from atopos_protocol.governance.state import RoomState, apply, initial_state

STALLED_KICK_MS = 8_000  # another admin re-keys if the kicker has not by then


@dataclass(frozen=True, slots=True)
class Duty:
    """An event this member's client should append now."""

    kind: EventKind
    payload: bytes


class KeyProblem(Enum):
    """Why this member could not take a new epoch (it asks again with a hello)."""

    NOT_A_RECIPIENT = "not-a-recipient"
    BAD_BUNDLE = "bad-rekey"


def epoch_id_of(state: RoomState, epoch0: EpochKeys) -> bytes:
    """The id of the epoch ``state`` is in (epoch 0 has no REKEY, so its own id)."""
    if state.epoch == 0:
        return epoch0.epoch_id
    return u32(state.epoch) + state.epoch_confirm[:8]


class Membership:
    """The log as this member holds it, and what follows from it."""

    def __init__(self, genesis: Genesis, epoch0: EpochKeys, me: MemberKeys, now_ms: int) -> None:
        self.genesis = genesis
        self.me = me
        self.room_id = genesis.body.room_id
        self.epoch0 = epoch0
        self.decoded: dict[bytes, Event] = {}
        self.malformed: dict[bytes, str] = {}
        self.resolution: Resolution = resolve_decoded(genesis, {}, {})
        self.epochs: dict[bytes, EpochKeys] = {epoch0.epoch_id: epoch0}
        self.adopted_ms: dict[bytes, int] = {epoch0.epoch_id: now_ms}
        self.processed: set[bytes] = set()
        self.shared: set[tuple[bytes, int]] = set()  # (recipient, epoch) already given keys
        self.pending_rekey: EpochKeys | None = None  # the epoch our own REKEY starts
        self.kick_seen_ms: dict[bytes, int] = {}
        self.rekeyed_kicks: set[bytes] = set()
        self.problem: KeyProblem | None = None
        # The highest epoch counter seen on an envelope we could not open: the room
        # moved on without us (a withheld REKEY), so we must not keep sending.
        self.newer_epoch_seen = 0

    # The log ---------------------------------------------------------------------

    @property
    def state(self) -> RoomState:
        return self.resolution.state

    @property
    def head(self) -> bytes:
        return self.resolution.head

    @property
    def forked(self) -> bool:
        """Two events share a parent: the relay showed members different logs."""
        return self.resolution.forked

    @property
    def phrase(self) -> str:
        return safety_phrase(self.state.state_hash)

    @property
    def rejected(self) -> dict[bytes, str]:
        """Every event this member refused, and why (malformed ones included)."""
        return {**self.malformed, **self.resolution.rejected}

    def knows(self, head: bytes) -> bool:
        """Whether ``head`` is the genesis or an event this member holds."""
        return head == self.genesis.event_id or head in self.decoded

    def is_behind(self, head: bytes) -> bool:
        """Whether ``head`` is an event of our accepted chain before our own head (or the
        genesis while we have more): its holder lacks events we hold."""
        if head == self.head:
            return False
        if head == self.genesis.event_id:
            return bool(self.resolution.accepted)
        return any(event.id == head for event in self.resolution.accepted)

    def held(self) -> list[bytes]:
        """Every well-formed event this member holds, accepted ones first, in order."""
        accepted = list(self.resolution.events)
        ids = {event.id for event in self.resolution.accepted}
        return accepted + [e.raw for key, e in self.decoded.items() if key not in ids]

    def add(self, raws: list[bytes], now_ms: int) -> list[Duty]:
        """Merge events from the relay or a member; open new epochs; return duties that follow."""
        fresh = decode_into(raws, self.decoded, self.malformed)
        if not fresh:
            return []
        extended: Resolution | None = self.resolution
        steps: list[tuple[Event, RoomState, RoomState]] = []
        for identifier in fresh:
            event = self.decoded[identifier]
            before = extended.state if extended is not None else None
            extended = extended.extend(event) if extended is not None else None
            if extended is not None and before is not None and extended.head == event.id:
                steps.append((event, before, extended.state))
        if extended is not None:
            self.resolution = extended  # one chain, extended in place: no walk needed
        else:
            self.resolution = resolve_decoded(self.genesis, self.decoded, self.malformed)
            steps = self._replay()
        for event, before, after in steps:
            if event.id not in self.processed:
                self.processed.add(event.id)
                self._follow(event, before, after, now_ms)
        return self._rekey_duty(now_ms, stalled_after_ms=0)

    def _replay(self) -> list[tuple[Event, RoomState, RoomState]]:
        """Every accepted event with the states around it (after a full merge)."""
        steps = []
        state = initial_state(self.genesis)
        for event in self.resolution.accepted:
            before, state = state, apply(state, event)
            if event.id not in self.processed:
                steps.append((event, before, state))
        return steps

    def _follow(self, event: Event, before: RoomState, after: RoomState, now_ms: int) -> None:
        payload = parse_payload(event)
        if isinstance(payload, Rekey):
            self._take_rekey(event, payload, before, now_ms)
        elif isinstance(payload, KeyShare):
            self.shared.add((payload.recipient, payload.counter))
            if payload.recipient == self.me.ed_pk and self.epoch_for(after) is None:
                me = self.me
                confirm = after.epoch_confirm
                try:
                    epoch = open_keyshare(payload, self.room_id, me.ed_pk, me.x_secret, confirm)
                except GovernanceError:
                    self.problem = KeyProblem.BAD_BUNDLE  # another admin may share again
                else:
                    self._take(epoch, now_ms)
        elif isinstance(payload, Kick):
            self.kick_seen_ms.setdefault(event.id, now_ms)

    def _take_rekey(self, event: Event, payload: Rekey, before: RoomState, now_ms: int) -> None:
        self.rekeyed_kicks.add(payload.kick_id)
        mine = self.pending_rekey
        if event.author == self.me.ed_pk and mine is not None and mine.confirm == payload.confirm:
            self._take(mine, now_ms)
            self.pending_rekey = None
            return
        previous = self.epoch_for(before)
        if previous is None:
            return  # we missed an earlier epoch; a hello asks an admin for the current one
        try:
            self._take(open_rekey(payload, self.room_id, previous, self.me.ed_pk,
                                  self.me.x_secret), now_ms)  # fmt: skip
        except GovernanceError as error:
            missing = error.code == KeyProblem.NOT_A_RECIPIENT.value
            self.problem = KeyProblem.NOT_A_RECIPIENT if missing else KeyProblem.BAD_BUNDLE

    def _take(self, epoch: EpochKeys, now_ms: int) -> None:
        self.epochs[epoch.epoch_id] = epoch
        self.adopted_ms.setdefault(epoch.epoch_id, now_ms)
        if self.epoch_for(self.state) is not None:
            self.problem = None

    # Epochs --------------------------------------------------------------------------

    def epoch_for(self, state: RoomState) -> EpochKeys | None:
        """The keys of the epoch ``state`` is in, if this member holds them."""
        return self.epochs.get(epoch_id_of(state, self.epoch0))

    @property
    def current(self) -> EpochKeys | None:
        return self.epoch_for(self.state)

    @property
    def latest(self) -> EpochKeys:
        """The newest epoch held: what a member behind on keys seals its hello in."""
        return max(self.epochs.values(), key=lambda epoch: epoch.counter)

    def current_since_ms(self) -> int | None:
        """When this member took the current epoch (None while it lacks it)."""
        current = self.current
        return None if current is None else self.adopted_ms.get(current.epoch_id)

    def saw_unknown_epoch(self, counter: int) -> bool:
        """An envelope sealed in an epoch we do not hold: True if it is newer than our log
        knows, so our log is missing events (and we stop sending until we catch up)."""
        if counter <= self.state.epoch:
            return False
        self.newer_epoch_seen = max(self.newer_epoch_seen, counter)
        return True

    @property
    def lagging(self) -> bool:
        """Others send in an epoch our log has not reached: a REKEY was kept from us."""
        return self.newer_epoch_seen > self.state.epoch

    @property
    def sending_paused(self) -> bool:
        """After a kick, nothing is sent until this member holds the new epoch; nor while
        others send in an epoch our log has not reached, nor after the room ended."""
        state = self.state
        return state.ended or state.pending_kick is not None or self.current is None or self.lagging

    # Duties --------------------------------------------------------------------------

    def recipients(self) -> list[Recipient]:
        """Every listed member but us, with the X25519 key the log binds to it."""
        state = self.state
        return [
            Recipient(key, state.x_keys[key])
            for key in sorted(state.members)
            if key != self.me.ed_pk and key not in state.removed and key in state.x_keys
        ]

    def tick(self, now_ms: int) -> list[Duty]:
        """Re-key for a kicker that went quiet (any admin holding the epoch may)."""
        return self._rekey_duty(now_ms, stalled_after_ms=STALLED_KICK_MS)

    def _rekey_duty(self, now_ms: int, stalled_after_ms: int) -> list[Duty]:
        state, current = self.state, self.current
        kick = state.pending_kick
        if kick is None or current is None or not state.is_admin(self.me.ed_pk):
            return []
        if kick in self.rekeyed_kicks or self.pending_rekey is not None:
            return []
        kicker = self.decoded[kick].author
        waited = now_ms - self.kick_seen_ms.get(kick, now_ms)
        if kicker != self.me.ed_pk and (stalled_after_ms == 0 or waited < stalled_after_ms):
            return []
        rekey, new = build_rekey(self.room_id, current, kick, self.me.x_secret, self.recipients())
        self.pending_rekey = new
        return [Duty(EventKind.REKEY, rekey.encode())]

    def abandon_rekey(self) -> None:
        """Our REKEY was refused (another admin's won): forget the epoch it would have started."""
        self.pending_rekey = None

    def hello_duties(self, sender: bytes, sealed_in: EpochKeys) -> list[Duty]:
        """An admin gives the current epoch to a listed member whose hello came in an older
        one, sealed to the key the log binds to that member (whoever sent the hello)."""
        state, current = self.state, self.current
        if current is None or self.sending_paused or not state.is_admin(self.me.ed_pk):
            return []
        if sealed_in.counter >= current.counter or not self.is_member(sender):
            return []
        if (sender, current.counter) in self.shared or sender == self.me.ed_pk:
            return []
        self.shared.add((sender, current.counter))
        recipient = Recipient(sender, state.x_keys[sender])
        share = build_keyshare(self.room_id, current, self.me.x_secret, recipient)
        return [Duty(EventKind.KEYSHARE, share.encode())]

    # What the log means for messages ----------------------------------------------------

    def is_member(self, key: bytes) -> bool:
        """A key the log lists and has not removed, in a room that has not ended."""
        state = self.state
        return key in state.members and key not in state.removed and not state.ended

    def bound_key(self, key: bytes) -> bytes | None:
        """The X25519 key the log binds to a listed member."""
        return self.state.x_keys.get(key) if self.is_member(key) else None

    def accepts_from(self, sender: bytes) -> bool:
        """Messages count only from listed members."""
        return self.is_member(sender)
