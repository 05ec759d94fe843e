"""A member's own copy of the room's governance: log, state, epochs and key duties.

Everything the relay sends about governance is checked here again: events are
merged with the fork-choice rule (governance.forkchoice), epochs come only from
re-key bundles and key shares that open and match their confirm value, and the
message filter follows the merged state, not the relay's word.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from governance.errors import GovernanceError
from governance.events import Event, EventKind, event_id
from governance.forkchoice import Resolution, resolve
from governance.join_rules import JoinRule
from governance.payloads import KeyShare, Kick, Rekey, parse_payload
from governance.phrase import safety_phrase
from governance.rekey import Recipient, build_keyshare, build_rekey, open_keyshare, open_rekey
from governance.state import RoomState, apply, initial_state
from rooms.protocol.codec import u32
from rooms.protocol.genesis import Genesis
from rooms.protocol.keys import EpochKeys, MemberKeys

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

    def __init__(self, genesis: Genesis, epoch0: EpochKeys, me: MemberKeys) -> None:
        self.genesis = genesis
        self.me = me
        self.room_id = genesis.body.room_id
        self.epoch0 = epoch0
        self.events: dict[bytes, bytes] = {}
        self.resolution: Resolution = resolve(genesis, [])
        self.epochs: dict[bytes, EpochKeys] = {epoch0.epoch_id: epoch0}
        self.processed: set[bytes] = set()
        self.shared: set[tuple[bytes, int]] = set()  # (recipient, epoch) already given keys
        self.seen_while_open: set[bytes] = set()
        self.pending_rekey: EpochKeys | None = None  # the epoch our own REKEY starts
        self.kick_seen_ms: dict[bytes, int] = {}
        self.rekeyed_kicks: set[bytes] = set()
        self.problem: KeyProblem | None = None

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

    def knows(self, head: bytes) -> bool:
        """Whether ``head`` is the genesis or an event this member holds."""
        return head == self.genesis.event_id or head in self.events

    def held(self) -> list[bytes]:
        """Every well-formed event this member holds, accepted ones first, in order."""
        accepted = list(self.resolution.events)
        known = set(self.resolution.events)
        return accepted + [raw for raw in self.events.values() if raw not in known]

    def add(self, raws: list[bytes], online: dict[bytes, bytes], now_ms: int) -> list[Duty]:
        """Merge events from the relay or a member; open new epochs; return the duties that follow.

        ``online`` maps members whose hello carried a valid bind tag to their X25519 keys.
        """
        fresh = [raw for raw in raws if event_id(raw) not in self.events]
        for raw in fresh:
            self.events[event_id(raw)] = raw
        if not fresh:
            return []
        self.resolution = resolve(self.genesis, list(self.events.values()))
        duties: list[Duty] = []
        state = initial_state(self.genesis)
        for event in self.resolution.accepted:
            before, state = state, apply(state, event)
            if event.id not in self.processed:
                self.processed.add(event.id)
                self._follow(event, before, state, now_ms)
        duties.extend(self._rekey_duty(online, now_ms, stalled_after_ms=0))
        return duties

    def _follow(self, event: Event, before: RoomState, after: RoomState, now_ms: int) -> None:
        payload = parse_payload(event)
        if isinstance(payload, Rekey):
            self._take_rekey(event, payload, before)
        elif isinstance(payload, KeyShare):
            self.shared.add((payload.recipient, payload.counter))
            if payload.recipient == self.me.ed_pk and self.epoch_for(after) is None:
                try:
                    self._take(open_keyshare(payload, self.room_id, self.me.ed_pk,
                                             self.me.x_secret, after.epoch_confirm))  # fmt: skip
                except GovernanceError:
                    self.problem = KeyProblem.BAD_BUNDLE  # another admin may share again
        elif isinstance(payload, Kick):
            self.kick_seen_ms.setdefault(event.id, now_ms)

    def _take_rekey(self, event: Event, payload: Rekey, before: RoomState) -> None:
        self.rekeyed_kicks.add(payload.kick_id)
        mine = self.pending_rekey
        if event.author == self.me.ed_pk and mine is not None and mine.confirm == payload.confirm:
            self._take(mine)
            self.pending_rekey = None
            return
        previous = self.epoch_for(before)
        if previous is None:
            return  # we missed an earlier epoch; a hello asks an admin for the current one
        try:
            self._take(open_rekey(payload, self.room_id, previous, self.me.ed_pk,
                                  self.me.x_secret))  # fmt: skip
        except GovernanceError as error:
            missing = error.code == KeyProblem.NOT_A_RECIPIENT.value
            self.problem = KeyProblem.NOT_A_RECIPIENT if missing else KeyProblem.BAD_BUNDLE

    def _take(self, epoch: EpochKeys) -> None:
        self.epochs[epoch.epoch_id] = epoch
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

    @property
    def sending_paused(self) -> bool:
        """After a kick, nothing is sent until this member holds the new epoch."""
        return self.state.pending_kick is not None or self.current is None

    # Duties --------------------------------------------------------------------------

    def tick(self, online: dict[bytes, bytes], now_ms: int) -> list[Duty]:
        """Re-key for a kicker that went quiet (any admin holding the epoch may)."""
        return self._rekey_duty(online, now_ms, stalled_after_ms=STALLED_KICK_MS)

    def _rekey_duty(
        self, online: dict[bytes, bytes], now_ms: int, stalled_after_ms: int
    ) -> list[Duty]:
        state, current = self.state, self.current
        kick = state.pending_kick
        if kick is None or current is None or not state.is_admin(self.me.ed_pk):
            return []
        if kick in self.rekeyed_kicks or self.pending_rekey is not None:
            return []
        kicker = Event.decode(self.events[kick]).author
        waited = now_ms - self.kick_seen_ms.get(kick, now_ms)
        if kicker != self.me.ed_pk and (stalled_after_ms == 0 or waited < stalled_after_ms):
            return []
        recipients = [
            Recipient(key, x_pk)
            for key, x_pk in sorted(online.items())
            if key != self.me.ed_pk and self.is_member(key)
        ]
        rekey, new = build_rekey(self.room_id, current, kick, self.me.x_secret, recipients)
        self.pending_rekey = new
        return [Duty(EventKind.REKEY, rekey.encode())]

    def abandon_rekey(self) -> None:
        """Our REKEY was refused (another admin's won): forget the epoch it would have started."""
        self.pending_rekey = None

    def hello_duties(self, sender: bytes, x_pk: bytes, sealed_in: EpochKeys) -> list[Duty]:
        """An admin gives the current epoch to a member whose hello came in an older one."""
        state, current = self.state, self.current
        if current is None or self.sending_paused or not state.is_admin(self.me.ed_pk):
            return []
        if sealed_in.counter >= current.counter or not self.is_member(sender):
            return []
        if (sender, current.counter) in self.shared or sender == self.me.ed_pk:
            return []
        self.shared.add((sender, current.counter))
        share = build_keyshare(self.room_id, current, self.me.x_secret, Recipient(sender, x_pk))
        return [Duty(EventKind.KEYSHARE, share.encode())]

    # What the log means for messages ----------------------------------------------------

    def saw_hello(self, sender: bytes) -> None:
        """Remember who said hello while the room was open (no admission event lists them)."""
        if self.state.join_rule is JoinRule.OPEN and not self.state.locked:
            self.seen_while_open.add(sender)

    def is_member(self, key: bytes) -> bool:
        """Anyone in an open room; otherwise listed keys and those who said hello while it was
        open (an open room lists nobody it lets in). Never a removed key."""
        state = self.state
        if key in state.removed or state.ended:
            return False
        if state.join_rule is JoinRule.OPEN and not state.locked:
            return True
        return key in state.members or key in self.seen_while_open

    def accepts_from(self, sender: bytes) -> bool:
        """Messages count only from members."""
        return self.is_member(sender)
