"""Reliable chat delivery without a server-side store (PROTOCOL §4.5). No I/O.

The relay acknowledges each envelope once it has fanned it out; a sender keeps
its messages until then and sends them again, in new envelopes with the same
message id, after reconnecting. Its recent messages stay in memory (bounded
below) so that a member who was away can ask for what it missed (a SYNC naming
the last message it holds from each sender), and each sender answers for its
own messages. Receivers show each message once, in its sender's order, and say
how many messages of a sender they could not recover: the numbers a sender
gives its messages make a gap countable.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from atopos_client.messages import ChatMessage, SyncEntry

# What a sender keeps to answer SYNCs: its last 200 messages, at most 256 KiB of text.
HISTORY_MESSAGES = 200
HISTORY_BYTES = 256 * 1024
# How long a receiver waits for a missing message whose sender does not answer (it may be
# reconnecting itself: a relay that dies tells nobody its members left). A sender that
# answers ends its answer with SYNCED, and what is still missing is shown as a gap at once.
ABSENT_WAIT_MS = 60_000
# Messages a receiver keeps waiting behind a missing one, per sender; one more shows the gap.
HELD_PER_SENDER = 64
# Ids of shown messages remembered per sender, to show each message once; older ones
# fall below the chain's baseline (copies of those are refused by their age, §4.4).
SHOWN_IDS_KEPT = 4096
# Resends a sender makes in answer to SYNCs, per window: a member asking again and
# again cannot make others exhaust their relay rate limit (PROTOCOL §6).
ANSWER_MESSAGES = 32
ANSWER_WINDOW_MS = 10_000
# Syncs that arrive within this long of an answer are answered together, once: an answer
# reaches the whole room, and after a relay restart every member asks at once.
ANSWER_COALESCE_MS = 2_000
# A resend or an answer may be older than the relay's replay window, never older than
# the receiver's admission (with the clock allowance live envelopes get, §4.4).
ADMISSION_ALLOWANCE_MS = 30_000


@dataclass(frozen=True, slots=True)
class Answered:
    """A complete answer: everything held after ``after_id`` went again, for ``askers``."""

    after_id: int
    askers: tuple[bytes, ...]


class SentMessages:
    """This member's chat messages: numbered, kept until the relay acknowledges them, and
    the recent ones kept to answer SYNCs."""

    def __init__(self) -> None:
        self.history: deque[ChatMessage] = deque()
        self.history_bytes = 0
        self.last_id = 0
        self.last_number = 0
        self.pending: dict[int, ChatMessage] = {}  # id -> message, in sending order
        self.envelopes: dict[bytes, int] = {}  # nonce of an envelope on this connection -> id
        self._answered: deque[int] = deque()  # times of recent answers' resends
        self._owed_after: int | None = None  # members asked for what follows this id
        self._askers: dict[bytes, None] = {}  # who asked, in order, since the last answer
        self._last_answer_ms = -ANSWER_COALESCE_MS

    def compose(self, text: str, seq: int, now_ms: int) -> ChatMessage:
        """The next message: its id is the seq of the envelope that first carries it."""
        message = ChatMessage(seq, self.last_number + 1, self.last_id, now_ms, text)
        self.last_id, self.last_number = message.id, message.number
        self.pending[message.id] = message
        self.history.append(message)
        self.history_bytes += len(text.encode("utf-8"))
        while len(self.history) > HISTORY_MESSAGES or self.history_bytes > HISTORY_BYTES:
            self.history_bytes -= len(self.history.popleft().text.encode("utf-8"))
        return message

    def carried(self, nonce: bytes, message: ChatMessage) -> None:
        """``message`` left in the envelope with ``nonce``."""
        if message.id in self.pending:
            self.envelopes[nonce] = message.id

    def acknowledged(self, nonce: bytes) -> None:
        """The relay fanned out the envelope with ``nonce``: its message is delivered."""
        message_id = self.envelopes.pop(nonce, None)
        if message_id is not None:
            self.pending.pop(message_id, None)

    def connection_lost(self) -> None:
        """Envelopes on a closed connection will never be acknowledged."""
        self.envelopes.clear()

    def unsent(self) -> list[ChatMessage]:
        """Pending messages that no envelope on this connection carries (send them again)."""
        carried = set(self.envelopes.values())
        return [message for key, message in self.pending.items() if key not in carried]

    def asked(self, asker: bytes, entry: SyncEntry) -> None:
        """``asker`` wants our messages after the one ``entry`` names."""
        owed = self._owed_after
        self._owed_after = entry.after_id if owed is None else min(owed, entry.after_id)
        self._askers[asker] = None

    def owed(self, now_ms: int, at_once: bool = False) -> tuple[list[ChatMessage], Answered | None]:
        """What we owe askers, as much as the answer budget allows (the rest in a later
        window), and once the answer is complete, whom it answered from which id (send
        SYNCED). ``at_once``: a sync just came; unless an answer went out moments ago (the
        timer then answers everyone asking meanwhile, once)."""
        after = self._owed_after
        if after is None or (at_once and now_ms - self._last_answer_ms < ANSWER_COALESCE_MS):
            return [], None
        while self._answered and now_ms - self._answered[0] >= ANSWER_WINDOW_MS:
            self._answered.popleft()
        budget = max(0, ANSWER_MESSAGES - len(self._answered))
        wanted = [message for message in self.history if message.id > after]
        chosen = wanted[:budget]
        self._last_answer_ms = now_ms
        self._answered.extend(now_ms for _ in chosen)
        if len(chosen) < len(wanted):
            self._owed_after = chosen[-1].id if chosen else after
            return chosen, None
        askers, self._askers, self._owed_after = tuple(self._askers), {}, None
        return chosen, Answered(after, askers)


@dataclass(frozen=True, slots=True)
class Shown:
    """Show ``message`` from ``sender`` now (``late``: after a gap was shown for it)."""

    sender: bytes
    message: ChatMessage
    late: bool = False


@dataclass(frozen=True, slots=True)
class Missed:
    """``count`` messages from ``sender`` could not be recovered; show a gap here."""

    sender: bytes
    count: int


Delivery = Shown | Missed


@dataclass
class Chain:
    """What a receiver knows of one sender's messages.

    Any member can seal a message in another's name (chat is deniable), so
    nothing here is a high-water mark a forgery could raise: a message is a
    copy only if its exact id was shown, and it is in order when the message
    it names as its predecessor was shown. A forgery can show itself and a
    false gap, never hide a real message.
    """

    baseline_id: int  # messages up to this id were sent before we followed this sender
    shown: dict[int, int] = field(default_factory=dict)  # id -> number, oldest first
    forgotten_below: int = 0  # ids of shown messages we no longer keep are at most this
    held: dict[int, ChatMessage] = field(default_factory=dict)  # prev id -> message waiting
    expected: tuple[int, int] | None = None  # a hello's (last id, number) we have not seen
    waiting_since: int | None = None
    asked_ms: int | None = None  # when we asked the sender (None: not yet)
    top_number: int = 0  # the highest number shown or passed

    def known(self, message_id: int) -> bool:
        return message_id == 0 or message_id <= self.baseline_id or message_id in self.shown

    def remember(self, message: ChatMessage) -> None:
        self.shown[message.id] = message.number
        self.top_number = max(self.top_number, message.number)
        if len(self.shown) > SHOWN_IDS_KEPT:
            oldest = next(iter(self.shown))
            del self.shown[oldest]
            self.forgotten_below = max(self.forgotten_below, oldest)

    def copy(self, message: ChatMessage) -> bool:
        """Shown before (or so long ago that we no longer keep its id)."""
        return message.id in self.shown or message.id <= self.forgotten_below

    def missing(self) -> bool:
        return bool(self.held) or self.expected is not None

    def stop_waiting(self) -> None:
        self.waiting_since = self.asked_ms = None

    def ask_after(self) -> tuple[int, int]:
        """The message (id, number) a sync names: the last shown before the first message
        we wait for, not the highest id shown, which a forgery a minute ahead could be
        (asking after it would keep the sender from resending what we lack)."""
        missing = [*self.held, *([self.expected[0]] if self.expected else [])]
        below = min(missing) if missing else None
        shown = [key for key in self.shown if below is None or key < below]
        if shown:
            last = max(shown)
            return last, self.shown[last]
        if self.baseline_id and (below is None or self.baseline_id < below):
            return self.baseline_id, max(1, self.top_number)
        return 0, 0


class Inbox:
    """Orders, de-duplicates and gap-checks the chat messages a member receives."""

    def __init__(self, admitted_ms: int) -> None:
        self.earliest_ms = admitted_ms - ADMISSION_ALLOWANCE_MS
        self.chains: dict[bytes, Chain] = {}

    def hello(self, sender: bytes, last_id: int, last_number: int, now_ms: int) -> None:
        """A hello says the last message its sender sent: a baseline, or news of a gap."""
        chain = self.chains.get(sender)
        if chain is None:
            self.chains[sender] = Chain(last_id, top_number=last_number)
            return
        if chain.waiting_since is not None:
            # Back from away: ask again (what we asked before may have found it gone).
            chain.asked_ms = None
        if chain.known(last_id) or last_number <= chain.top_number:
            return  # nothing we lack (or a restarted sender: its next message says so)
        chain.expected = (last_id, last_number)
        self._wait(chain, now_ms)

    def accept(self, sender: bytes, message: ChatMessage, now_ms: int) -> list[Delivery]:
        """What to show now that ``message`` arrived (nothing for a copy already shown)."""
        chain = self.chains.get(sender)
        if chain is None:
            # First contact: nothing before this message is owed to us.
            chain = self.chains[sender] = Chain(message.prev)
        if chain.copy(message) or chain.held.get(message.prev) == message:
            return []
        if not chain.known(message.prev):
            chain.held[message.prev] = message
            if len(chain.held) > HELD_PER_SENDER:
                return self._give_up(sender, chain)
            self._wait(chain, now_ms)
            return []
        late = message.number < chain.top_number
        deliveries = self._show(sender, chain, message, late)
        if chain.expected is not None and chain.known(chain.expected[0]):
            chain.expected = None
        if not chain.missing():
            chain.stop_waiting()
        return deliveries

    def pass_over(self, sender: bytes, message: ChatMessage) -> list[Delivery]:
        """A message we will not show (a removed member could read it): never show a copy,
        and let the messages that waited for it follow on."""
        chain = self.chains.setdefault(sender, Chain(message.prev))
        chain.remember(message)
        following = chain.held.pop(message.id, None)
        if following is None:
            return []
        return self._show(sender, chain, following, following.number < chain.top_number)

    def synced(self, sender: bytes, after_id: int) -> list[Delivery]:
        """``sender`` answered our sync: it has sent again all it holds after ``after_id``.
        If that covers what we wait for, what is still missing is gone (the resends came
        before this, in order, after our sync reached the sender)."""
        chain = self.chains.get(sender)
        if chain is None or chain.waiting_since is None or after_id > chain.ask_after()[0]:
            return []
        return self._give_up(sender, chain)

    def to_ask(self, now_ms: int) -> list[bytes]:
        """Senders we wait on and have not asked yet (mark them asked)."""
        senders = []
        for sender, chain in self.chains.items():
            if chain.waiting_since is not None and chain.asked_ms is None:
                chain.asked_ms = now_ms
                senders.append(sender)
        return senders

    def entries(self, senders: list[bytes]) -> list[SyncEntry]:
        """SYNC entries: the last message we hold from each of ``senders``."""
        entries = []
        for sender in senders:
            chain = self.chains.get(sender)
            entries.append(SyncEntry(sender, *(chain.ask_after() if chain else (0, 0))))
        return entries

    def due(self, now_ms: int) -> list[Delivery]:
        """Gaps we waited on long enough: shown as gaps, and what waited behind them."""
        deliveries: list[Delivery] = []
        for sender, chain in self.chains.items():
            since = chain.waiting_since
            if since is not None and now_ms - since >= ABSENT_WAIT_MS:
                deliveries += self._give_up(sender, chain)
        return deliveries

    def _wait(self, chain: Chain, now_ms: int) -> None:
        if chain.waiting_since is None:
            chain.waiting_since, chain.asked_ms = now_ms, None

    def _show(
        self, sender: bytes, chain: Chain, message: ChatMessage, late: bool
    ) -> list[Delivery]:
        """Show ``message`` and whatever waited for it, in its sender's order."""
        deliveries: list[Delivery] = []
        while True:
            chain.remember(message)
            if message.sent_ms >= self.earliest_ms:  # else sent before we were let in
                deliveries.append(Shown(sender, message, late))
            following = chain.held.pop(message.id, None)
            if following is None:
                return deliveries
            message, late = following, following.number < chain.top_number

    def _give_up(self, sender: bytes, chain: Chain) -> list[Delivery]:
        deliveries: list[Delivery] = []
        for prev in sorted(chain.held, key=lambda key: chain.held[key].number):
            message = chain.held.pop(prev, None)
            if message is None:
                continue  # shown meanwhile, behind one shown just before
            deliveries.append(Missed(sender, self._missed_before(chain, message.number)))
            deliveries += self._show(sender, chain, message, message.number < chain.top_number)
        if chain.expected is not None and not chain.known(chain.expected[0]):
            deliveries.append(Missed(sender, self._missed_before(chain, chain.expected[1] + 1)))
            chain.top_number = max(chain.top_number, chain.expected[1])
        chain.expected = None
        chain.stop_waiting()
        return deliveries

    @staticmethod
    def _missed_before(chain: Chain, number: int) -> int:
        """How many numbers lie between what we showed and ``number`` (at least 1: the
        numbers of a forged message are its forger's word)."""
        return max(1, number - chain.top_number - 1)
