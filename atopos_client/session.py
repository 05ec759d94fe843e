"""One member's view of a room: keys, epochs, members, governance, sequence numbers. No I/O.

The browser's static/js/client/session.js follows the same steps; both speak
docs/PROTOCOL.md and share its vectors. Governance lives in
``atopos_client.membership`` (the merged log and epochs), ``atopos_client.outbox``
(our own events) and ``atopos_client.logsync`` (catching up with other members).
Getting in (CREATE, JOIN, REDEEM, the WELCOME's checks) is ``atopos_client.admission``,
which makes a ``RoomSession`` only once the relay lets us in.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from atopos_client.delivery import Inbox, Missed, SentMessages, Shown
from atopos_client.envelope import Plaintext, open_envelope, seal
from atopos_client.events import (
    ActionRefused,
    Event,
    GovernanceChanged,
    KnockReceived,
    KnockWithdrawn,
    Member,
    MemberBehind,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    MessagesMissed,
)
from atopos_client.keys import EpochKeys, first_epoch, room_secret
from atopos_client.logsync import LogSync
from atopos_client.membership import Membership
from atopos_client.messages import (
    CATCH_UP,
    ChatMessage,
    Hello,
    InnerKind,
    Synced,
    decode_sync,
    encode_sync,
    max_text_bytes,
    split_pieces,
    sync_entries_per_envelope,
    synced_askers_per_envelope,
)
from atopos_client.outbox import Outbox
from atopos_client.replay import ReplayGuard
from atopos_client.tickets import ticket_key
from atopos_protocol.binding import Binding, sign_link
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import (
    AckFrame,
    DeclineFrame,
    EventFrame,
    Kind,
    KnockFrame,
    LeftFrame,
    RefusedFrame,
)
from atopos_protocol.genesis import Genesis
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import EventKind
from atopos_protocol.governance.payloads import (
    Admit,
    Bind,
    Empty,
    Invite,
    Kick,
    RevokeInvite,
    SetJoinRule,
    Target,
)
from atopos_protocol.governance.state import RoomState
from atopos_protocol.join_rules import JoinRule
from atopos_protocol.routing_modes import RoutingMode

if TYPE_CHECKING:
    from atopos_client.admission import Admission

# A member whose envelopes show it behind (an older epoch, or an older head) is
# only flagged once our head has stood this long: an event in flight is no lag.
BEHIND_GRACE_MS = 5_000
# Messages sealed in an epoch older than ours still show for this long after we
# took the new one (they were in flight); later ones come from a member the
# relay kept in the old epoch, which a removed member can read: they are hidden.
OLD_EPOCH_GRACE_MS = 10_000


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class SendingPaused(Exception):
    """This member may not send: a re-key is due, the room moved to keys it lacks, or it ended."""


class RoomSession:
    """Turns protocol frames into events and user actions into frames."""

    def __init__(self, admission: Admission, genesis: Genesis, server_shard: bytes) -> None:
        """In the room ``admission`` was let into: made by ``Admission.accept_created`` or
        ``accept_welcome`` once the genesis and server shard are known (and checked)."""
        self.admission = admission
        self.origin = admission.origin
        self.link = admission.link
        self.name = admission.name
        self.member = admission.member
        self.clock = admission.clock
        self.keys = admission.keys
        self.genesis = genesis
        self.server_shard = server_shard
        lock = genesis.body.lock
        shard = admission.passphrase_shard(lock.params) if lock is not None else b""
        secret = room_secret(self.link.link_shard, server_shard, self.link.genesis_hash, shard)
        now = self.clock()
        self.membership = Membership(genesis, first_epoch(secret), self.member, now)
        self.outbox = Outbox(genesis.body.room_id, self.member.signing_key)
        self.sync = LogSync()
        self.guard = ReplayGuard(now)
        self.sent = SentMessages()
        self.inbox = Inbox(now)
        self.seq = 0
        self.members: dict[bytes, Member] = {self.member.ed_pk: self.me}
        self.knocks: dict[bytes, Binding] = {}  # newcomers waiting, their bindings checked
        self.invites: dict[bytes, bytes] = {}  # tickets made here: ticket_pk -> secret
        self.introduced = False  # our hello (asking for answers) went out in the current epoch
        self._asked_epoch = -1
        self._asked_catch_up: set[int] = set()
        self._head_since_ms = now
        self._been_in = False  # entered() ran before: a later call follows a reconnect
        self._sync_due = False  # a reconnect's SYNC waits until we may send

    # Entering (after CREATED, or a WELCOME and its log) ----------------------------

    def catch_up(self, frames: list[bytes]) -> tuple[list[Event], list[bytes]]:
        """The log that follows a WELCOME, merged at once (one walk, not one per event)."""
        raws = []
        for frame in frames:
            try:
                raws.append(EventFrame.decode(frame, Kind.GOVERNANCE).event)
            except ProtocolError:
                continue
        return self._merge(raws)

    def entered(self) -> tuple[list[Event], list[bytes]]:
        """What to send once in the room and its log merged, and what happened meanwhile.

        A listed member says hello. A newcomer in an open room first binds its
        keys to the log (BIND); it says hello once the log lists it, so that
        nobody ever learns its X25519 key from anything but the signed log. A
        BIND the log already forbids (a full room) is refused here, before it is
        sent: that refusal comes back as an event, as the relay's would.
        """
        membership = self.membership
        resuming, self._been_in = self._been_in, True
        if membership.is_member(self.member.ed_pk):
            # Resends before the hello: a receiver told of our last message by the hello
            # already holds it, instead of asking for it again.
            frames = self._resume() if resuming else []
            return [], frames + self._introduction()
        state = membership.state
        if state.join_rule is JoinRule.OPEN and not state.locked and not state.ended:
            link_sig = sign_link(
                self.keys.auth_key(), self.keys.room_id, self.member.ed_pk, self.member.x_pk
            )
            frames = self._push(EventKind.BIND, Bind(self.member.x_pk, link_sig).encode())
            return self._refusals(), frames
        return [], []

    def _resume(self) -> list[bytes]:
        """Back after a reconnect: send again what the relay never acknowledged, and ask
        every sender we follow for what we missed (PROTOCOL §4.5)."""
        self.sent.connection_lost()
        self._sync_due = True
        return self._catch_up_on_messages()

    def _catch_up_on_messages(self) -> list[bytes]:
        """Once we may send: what the relay never acknowledged, then the SYNC a reconnect owes."""
        if self.sending_paused:
            return []  # tick() sends them once we may
        frames = self._resend_unsent()
        if self._sync_due:
            self._sync_due = False
            frames += self._sync(list(self.inbox.chains))
        return frames

    def _resend_unsent(self) -> list[bytes]:
        return [self._carry(message) for message in self.sent.unsent()]

    def _sync(self, senders: list[bytes], epoch: EpochKeys | None = None) -> list[bytes]:
        """SYNC envelopes naming the last message we hold from each of ``senders``."""
        entries = self.inbox.entries([key for key in senders if key != self.member.ed_pk])
        size = sync_entries_per_envelope(self.mode)
        return [
            self._seal(InnerKind.SYNC, encode_sync(entries[start : start + size]), epoch)
            for start in range(0, len(entries), size)
        ]

    def _introduction(self) -> list[bytes]:
        """Hello asking for answers once we hold the current epoch; else a hello in the newest
        epoch we hold, which an admin answers with a KEYSHARE (PROTOCOL §8.6)."""
        membership = self.membership
        if membership.current is not None:
            self.introduced = True
            return [self.hello(wants_reply=True)]
        if self._asked_epoch != membership.state.epoch:
            return [self.hello(wants_reply=False)]
        return []

    # In the room ----------------------------------------------------------------

    @property
    def me(self) -> Member:
        return Member(self.member.ed_pk, self.member.x_pk, self.name)

    @property
    def mode(self) -> RoutingMode:
        return self.genesis.body.routing_mode

    @property
    def expires_at(self) -> int:
        return self.genesis.body.expires_at

    @property
    def is_owner(self) -> bool:
        """Whether this member's key is the genesis owner's (only it may end the room)."""
        return self.genesis.body.owner_ed_pk == self.member.ed_pk

    def hello(self, wants_reply: bool, epoch: EpochKeys | None = None) -> bytes:
        """An envelope introducing this member, in the newest epoch it holds.

        A member behind on keys says hello in an older epoch; an admin answers
        with a KEYSHARE sealed to the key the log binds to it (PROTOCOL §8.6).
        """
        epoch = epoch or self.epoch
        self._asked_epoch = self.membership.state.epoch
        bind = epoch.bind_tag(self.keys.room_id, self.member.ed_pk, self.member.x_pk)
        sent = self.sent
        body = Hello(
            self.member.x_pk, bind, self.name, wants_reply, sent.last_id, sent.last_number
        ).encode()
        return self._seal(InnerKind.HELLO, body, epoch)

    def text(self, text: str) -> bytes:
        """An envelope carrying a chat message; SendingPaused while this member may not send.

        The message stays pending until the relay acknowledges the envelope; after a
        reconnect it goes again with the same id (receivers show it once)."""
        if self.sending_paused:
            raise SendingPaused("waiting for the room's new keys")
        if not 1 <= len(text.encode("utf-8")) <= max_text_bytes(self.mode):
            raise ValueError(f"a message is 1 to {max_text_bytes(self.mode)} bytes of UTF-8")
        now = self.clock()
        message = self.sent.compose(text, self._next_seq(now), now)
        return self._carry(message, seq=message.id, now=now)

    def _carry(self, message: ChatMessage, seq: int = 0, now: int = 0) -> bytes:
        """An envelope carrying ``message`` (a new one, or a resend with a fresh seq)."""
        if not seq:
            now = self.clock()
            seq = self._next_seq(now)
        body = message.encode(self.mode)
        plaintext = Plaintext(
            InnerKind.TEXT, self.member.ed_pk, seq, self.membership.head, now, body
        )
        frame = seal(self.epoch, self.keys.room_id, plaintext, self.mode)
        self.sent.carried(AckFrame.for_envelope(frame).nonce, message)
        return frame

    def bye(self) -> bytes:
        """An envelope saying this member leaves on purpose."""
        return self._seal(InnerKind.BYE, b"")

    def _next_seq(self, now: int) -> int:
        # Above both the last number and the clock: a reloaded client that keeps
        # its member key must not reuse numbers receivers already saw.
        self.seq = max(self.seq + 1, now)
        return self.seq

    def _seal(self, kind: InnerKind, body: bytes, epoch: EpochKeys | None = None) -> bytes:
        now = self.clock()
        seq = self._next_seq(now)
        plaintext = Plaintext(kind, self.member.ed_pk, seq, self.membership.head, now, body)
        return seal(epoch or self.epoch, self.keys.room_id, plaintext, self.mode)

    def receive(self, frame: bytes) -> tuple[list[Event], list[bytes]]:
        """Events from a relayed frame, and frames to send in answer.

        Frames that fail any check are dropped silently: a relay cannot make a
        member show forged, replayed or stale content, nor take an event it
        cannot verify.
        """
        kind = frame[1] if len(frame) >= 2 else None
        try:
            if kind == Kind.ENVELOPE:
                return self._envelope(frame)
            if kind == Kind.ACK:
                self.sent.acknowledged(AckFrame.decode(frame).nonce)
                return [], []
            if kind == Kind.GOVERNANCE:
                return self._merge([EventFrame.decode(frame, Kind.GOVERNANCE).event])
            if kind == Kind.LEFT:
                return self._left(LeftFrame.decode(frame).ed_pk), []
            if kind == Kind.KNOCK:
                return self._knock(KnockFrame.decode(frame)), []
            if kind == Kind.REFUSED:
                return self._refused(RefusedFrame.decode(frame))
        except (ProtocolError, GovernanceError):
            pass
        return [], []

    def _knock(self, knock: KnockFrame) -> list[Event]:
        """A newcomer waits: shown only if the link's auth key vouches for its keys, so a
        relay cannot make admins let in keys it invented."""
        state = self.membership.state
        if not knock.binding.valid(state.room_id, state.auth_pk, knock.ed_pk):
            return []
        if knock.ed_pk in state.members or knock.ed_pk in state.removed:
            return []
        self.knocks[knock.ed_pk] = knock.binding
        return [KnockReceived(knock.ed_pk, knock.binding.x_pk)]

    def _envelope(self, frame: bytes) -> tuple[list[Event], list[bytes]]:
        membership = self.membership
        try:
            epoch, plaintext = open_envelope(frame, self.keys.room_id, self.mode, membership.epochs)
            if plaintext.sender == self.member.ed_pk:
                # The relay never returns our own frames; one that comes back is an echo.
                raise ProtocolError("own-frame")
            self.guard.accept(epoch.epoch_id, plaintext, self.clock())
        except ProtocolError as error:
            if error.code == "unknown-epoch":
                return self._unknown_epoch(int.from_bytes(frame[2:6], "big"))
            return [], []
        events: list[Event] = []
        replies: list[bytes] = []
        behind = self._behind(epoch, plaintext)
        if behind is not None:
            warning, pushes = behind
            replies += pushes
            if not membership.accepts_from(plaintext.sender):
                # Not a member of the room we hold (or it ended): still teach it what we
                # know, so a relay that revives an ended room or hides a kick is caught.
                return [], replies
            events += warning
            if self._hidden(epoch, plaintext):
                # Its id still counts as seen: a resend in newer keys would show it as if
                # no removed member could have read it.
                message = ChatMessage.decode(plaintext.body, self.mode)
                shown, asks = self._deliveries(self.inbox.pass_over(plaintext.sender, message))
                return events + shown, replies + asks
        if not membership.accepts_from(plaintext.sender):
            return [], replies
        ask = self.sync.ask(plaintext.head, membership.knows(plaintext.head))
        if ask is not None:
            replies.append(self._seal(InnerKind.GOV_REQUEST, ask, epoch))
        handled, more = self._handle(epoch, plaintext)
        return events + handled, replies + more

    def _behind(
        self, epoch: EpochKeys, plaintext: Plaintext
    ) -> tuple[list[Event], list[bytes]] | None:
        """A sender in an older epoch or with an older head lacks events we hold: push them
        (sealed in the epoch it can read) and say so, once per sender and head of ours."""
        membership = self.membership
        current = membership.current
        old_epoch = current is not None and epoch.counter < current.counter
        if not old_epoch and not membership.is_behind(plaintext.head):
            return None
        if self.clock() - self._head_since_ms < BEHIND_GRACE_MS and not self._hidden(
            epoch, plaintext
        ):
            return [], []  # our head is new: its events may still be on their way to them
        bodies = self.sync.push(plaintext.sender, membership.head, membership.held(), self.mode)
        if not bodies:
            return [], []
        sender = self.members.get(plaintext.sender, Member(plaintext.sender, b"", ""))
        pushes = [self._seal(InnerKind.GOV_EVENTS, body, epoch) for body in bodies]
        return [MemberBehind(sender, old_epoch)], pushes

    def _hidden(self, epoch: EpochKeys, plaintext: Plaintext) -> bool:
        """A message in an older epoch, well after we took the current one: a removed member
        may have read it, so it is not shown as if nothing happened."""
        membership = self.membership
        current, since = membership.current, membership.current_since_ms()
        if current is None or since is None or epoch.counter >= current.counter:
            return False
        late = self.clock() - since > OLD_EPOCH_GRACE_MS
        return late and plaintext.inner_kind is InnerKind.TEXT

    def _unknown_epoch(self, counter: int) -> tuple[list[Event], list[bytes]]:
        """Envelopes sealed in an epoch our log has not reached: ask members for the events
        we lack, and stop sending until we catch up (a withheld REKEY)."""
        membership = self.membership
        before = self._governance_view()
        if not membership.saw_unknown_epoch(counter) or counter in self._asked_catch_up:
            return [], []
        self._asked_catch_up.add(counter)
        request = self._seal(InnerKind.GOV_REQUEST, CATCH_UP, membership.latest)
        after = self._governance_view()
        return ([after] if after != before else []), [request]

    def _handle(self, epoch: EpochKeys, plaintext: Plaintext) -> tuple[list[Event], list[bytes]]:
        sender, kind = plaintext.sender, plaintext.inner_kind
        if kind is InnerKind.HELLO:
            return self._hello(sender, epoch, Hello.decode(plaintext.body))
        if kind is InnerKind.GOV_REQUEST:
            membership = self.membership
            head = plaintext.body
            known = head == CATCH_UP or membership.knows(head)
            bodies = self.sync.answer(
                sender, head, known, membership.head, membership.held(), self.mode
            )
            # Sealed in the epoch the request came in: the asker may hold no newer one.
            return [], [self._seal(InnerKind.GOV_EVENTS, body, epoch) for body in bodies]
        if kind is InnerKind.GOV_EVENTS:
            return self._merge(self.sync.pieces_from(sender, split_pieces(plaintext.body)))
        if kind is InnerKind.SYNC:
            return [], self._answer_sync(sender, plaintext.body)
        if kind is InnerKind.SYNCED:
            done = Synced.decode(plaintext.body)
            if self.member.ed_pk not in done.askers:
                return [], []  # an answer to others: we may have come in halfway through it
            return self._deliveries(self.inbox.synced(sender, done.after_id))
        if kind is InnerKind.BYE:
            member = self.members.pop(sender, None)
            return ([MemberLeft(member)] if member else []), []
        message = ChatMessage.decode(plaintext.body, self.mode)
        return self._deliveries(self.inbox.accept(sender, message, self.clock()))

    def _answer_sync(self, asker: bytes, body: bytes) -> list[bytes]:
        """A member asks what it missed: we answer for our own messages only, at once unless
        we just answered someone (then tick() answers everyone asking meanwhile, once)."""
        for entry in decode_sync(body):
            if entry.sender == self.member.ed_pk:
                self.sent.asked(asker, entry)
        return self._answers(at_once=True)

    def _answers(self, at_once: bool = False) -> list[bytes]:
        """Resends owed to askers, ended by SYNCED once the answer is complete."""
        if self.sending_paused:
            return []
        messages, answered = self.sent.owed(self.clock(), at_once)
        frames = [self._carry(message) for message in messages]
        if answered is not None:
            last_id, last_number = self.sent.last_id, self.sent.last_number
            # An asker may name an id we never sent (a forgery it was shown): nothing after
            # it is ours, and we hold nothing after our last.
            after_id = min(answered.after_id, last_id)
            size = synced_askers_per_envelope(self.mode)
            for start in range(0, len(answered.askers), size):
                askers = answered.askers[start : start + size]
                done = Synced(after_id, last_id, last_number, askers)
                frames.append(self._seal(InnerKind.SYNCED, done.encode()))
        return frames

    def _deliveries(self, deliveries: list[Shown | Missed]) -> tuple[list[Event], list[bytes]]:
        """Events for what the inbox lets us show, and a SYNC to whoever we now wait on."""
        events: list[Event] = []
        for delivery in deliveries:
            member = self.members.get(delivery.sender) or Member(delivery.sender, b"", "")
            if isinstance(delivery, Missed):
                events.append(MessagesMissed(member, delivery.count))
            else:
                message, late = delivery.message, delivery.late
                events.append(
                    MessageReceived(member, message.text, message.sent_ms, message.id, late)
                )
        if self.sending_paused:
            return events, []  # the senders we wait on are asked once we may send again
        asks = self.inbox.to_ask(self.clock())
        return events, (self._sync(asks) if asks else [])

    def _hello(
        self, sender: bytes, epoch: EpochKeys, hello: Hello
    ) -> tuple[list[Event], list[bytes]]:
        membership = self.membership
        # Keys come from the signed log only: a hello naming another key is a forgery
        # (any holder of the epoch can make its bind tag), never a key change.
        if hello.x_pk != membership.bound_key(sender):
            return [], []
        if hello.bind != epoch.bind_tag(self.keys.room_id, sender, hello.x_pk):
            return [], []
        known = sender in self.members
        self.members[sender] = Member(sender, hello.x_pk, hello.name)
        replies = [self.hello(wants_reply=False)] if hello.wants_reply else []
        for duty in membership.hello_duties(sender, epoch):
            replies += self._push(duty.kind, duty.payload)
        self.inbox.hello(sender, hello.last_id, hello.last_number, self.clock())
        events, asks = self._deliveries([])
        return ([] if known else [MemberJoined(self.members[sender])]) + events, replies + asks

    def _left(self, ed_pk: bytes) -> list[Event]:
        """The relay says a connection closed: presence only (keys follow the log)."""
        if self.knocks.pop(ed_pk, None) is not None:
            return [KnockWithdrawn(ed_pk)]
        gone = self.members.pop(ed_pk, None)
        return [MemberLeft(gone)] if gone else []

    # Governance ------------------------------------------------------------------

    def _merge(self, raws: list[bytes]) -> tuple[list[Event], list[bytes]]:
        """Take events from the relay or a member; act on what they change."""
        membership, outbox = self.membership, self.outbox
        before = self._governance_view()
        behind = membership.current is None
        head = membership.head
        frames: list[bytes] = []
        for duty in membership.add(raws, self.clock()):
            frames += self._push(duty.kind, duty.payload)
        if membership.head != head:
            self._head_since_ms = self.clock()
        frames += outbox.settle(
            lambda event: any(e.id == event for e in membership.resolution.accepted),
            membership.knows,
            membership.state,
            membership.head,
        )
        events: list[Event] = [KnockWithdrawn(key) for key in self._settled_knocks()]
        events += self._refusals()
        if membership.is_member(self.member.ed_pk):
            if not self.introduced or (behind and membership.current is not None):
                frames += self._introduction()
            elif membership.current is None and self._asked_epoch != membership.state.epoch:
                frames.append(self.hello(wants_reply=False))  # an admin shares the epoch we lack
        frames += [
            self._seal(InnerKind.GOV_EVENTS, body)
            for body in self.sync.offer(membership.forked, membership.held(), self.mode)
        ]
        after = self._governance_view()
        if after != before:
            events.append(after)
        return events, frames

    def _refused(self, refused: RefusedFrame) -> tuple[list[Event], list[bytes]]:
        membership = self.membership
        frames = self.outbox.refused(
            refused.reason, refused.head, membership.knows, membership.state, membership.head
        )
        return self._refusals(), frames

    def _refusals(self) -> list[Event]:
        refusals = self.outbox.take_refusals()
        if any(refusal.kind is EventKind.REKEY for refusal in refusals):
            self.membership.abandon_rekey()
        return [ActionRefused(refusal.kind, refusal.reason) for refusal in refusals]

    def _settled_knocks(self) -> list[bytes]:
        state = self.membership.state
        settled = [key for key in self.knocks if key in state.members or key in state.removed]
        for key in settled:
            del self.knocks[key]
        return settled

    def _governance_view(self) -> GovernanceChanged:
        membership = self.membership
        return GovernanceChanged(
            membership.head,
            membership.phrase,
            membership.forked,
            membership.sending_paused,
            ended=membership.state.ended,
            lagging=membership.lagging,
        )

    def _push(self, kind: EventKind, payload: bytes) -> list[bytes]:
        membership = self.membership
        return self.outbox.push(kind, payload, membership.state, membership.head)

    def tick(self) -> tuple[list[Event], list[bytes]]:
        """What a timer finds: gaps waited on long enough (shown as gaps), messages that
        may go again now that sending resumed, and a re-key when the kicking admin went
        quiet."""
        now = self.clock()
        frames: list[bytes] = []
        for duty in self.membership.tick(now):
            frames += self._push(duty.kind, duty.payload)
        frames += self._catch_up_on_messages() + self._answers()
        events, asks = self._deliveries(self.inbox.due(now))
        return events, frames + asks

    # Governance actions (each returns the frames to send) ---------------------------

    def admit(self, ed_pk: bytes) -> list[bytes]:
        """Let in a newcomer whose knock (and its binding) this member has seen."""
        binding = self.knocks.get(ed_pk)
        if binding is None:
            raise KeyError("nobody with that key is knocking")
        return self._push(EventKind.ADMIT, Admit(ed_pk, binding).encode())

    def decline(self, ed_pk: bytes) -> list[bytes]:
        """Turn a knocking newcomer away (not logged: the relay tells the newcomer)."""
        self.knocks.pop(ed_pk, None)
        return [DeclineFrame(ed_pk).encode()]

    def invite(self, uses: int = 1, lifetime_seconds: int = 86_400) -> tuple[list[bytes], str]:
        """An INVITE for ``uses`` admissions, and the invite link that carries its secret."""
        secret = os.urandom(32)
        ticket_pk = ticket_key(secret).public_key
        expires_at_ms = min(self.clock() + lifetime_seconds * 1000, self.expires_at * 1000)
        self.invites[ticket_pk] = secret
        frames = self._push(EventKind.INVITE, Invite(ticket_pk, uses, expires_at_ms).encode())
        return frames, self.invite_url(ticket_pk)

    def invite_url(self, ticket_pk: bytes) -> str:
        """The invite link for a ticket this session created."""
        return self.link.with_ticket(self.invites[ticket_pk]).url(self.origin)

    def revoke_invite(self, ticket_pk: bytes) -> list[bytes]:
        return self._push(EventKind.REVOKE_INVITE, RevokeInvite(ticket_pk).encode())

    def kick(self, target: bytes, keep_rule: bool = False) -> list[bytes]:
        """Remove a member and re-key. An open room switches to approval unless
        ``keep_rule``: otherwise the link alone would let the kicked back in."""
        is_open = self.membership.state.join_rule is JoinRule.OPEN
        new_rule = JoinRule.APPROVAL if is_open and not keep_rule else None
        return self._push(EventKind.KICK, Kick(target, new_rule).encode())

    def promote(self, target: bytes) -> list[bytes]:
        return self._push(EventKind.PROMOTE, Target(target).encode())

    def demote(self, target: bytes) -> list[bytes]:
        return self._push(EventKind.DEMOTE, Target(target).encode())

    def set_join_rule(self, rule: JoinRule, cap: int = 0) -> list[bytes]:
        return self._push(EventKind.SET_JOIN_RULE, SetJoinRule(rule, cap).encode())

    def lock(self) -> list[bytes]:
        return self._push(EventKind.LOCK, Empty().encode())

    def end_room(self) -> list[bytes]:
        """END_ROOM, signed by the owner's member key: the relay ends the room when it
        appends it, and every member holds the signed proof that the owner ended it."""
        return self._push(EventKind.END_ROOM, Empty().encode())

    # The governance view ------------------------------------------------------------

    @property
    def epoch(self) -> EpochKeys:
        """The epoch to seal in: the current one, or the newest held while behind (the log
        may have moved to keys we lack, so ``membership.current`` alone may be None)."""
        return self.membership.current or self.membership.latest

    @property
    def state(self) -> RoomState:
        return self.membership.state

    @property
    def phrase(self) -> str:
        """The safety phrase members compare out of band."""
        return self.membership.phrase

    @property
    def sending_paused(self) -> bool:
        return self.membership.sending_paused

    def role_of(self, ed_pk: bytes) -> str:
        """owner, admin or member, as the merged log says."""
        state = self.state
        if ed_pk == state.owner:
            return "owner"
        return "admin" if ed_pk in state.admins else "member"
