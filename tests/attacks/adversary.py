"""What a malicious relay colluding with a removed member can do, as plain helpers."""

from __future__ import annotations

import contextlib
import time

from atopos_client.envelope import Plaintext, open_envelope, seal
from atopos_client.events import Event as SessionEvent
from atopos_client.events import MessageReceived
from atopos_client.keys import EpochKeys
from atopos_client.messages import ChatMessage, Hello, InnerKind
from atopos_client.rekey import open_keyshare, open_rekey
from atopos_client.session import RoomSession
from atopos_protocol.errors import ProtocolError
from atopos_protocol.frames import EventFrame, Kind
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.payloads import KeyShare, Rekey, parse_payload
from tests.rooms.peers import Peer


class SharedClock:
    """Wall-clock milliseconds, plus whatever a test moved it forward by."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def __call__(self) -> int:
        return int(time.time() * 1000) + self.offset_ms

    def advance(self, ms: int) -> None:
        self.offset_ms += ms


def forged_hello(
    forger: RoomSession, as_member: bytes, x_pk: bytes, epoch: EpochKeys | None = None
) -> bytes:
    """A hello in ``as_member``'s name carrying ``x_pk``, sealed by someone holding ``epoch``
    (its bind tag is valid: anyone holding the epoch can compute one)."""
    epoch = epoch or forger.epoch
    room_id = forger.keys.room_id
    body = Hello(x_pk, epoch.bind_tag(room_id, as_member, x_pk), "Bob", False).encode()
    now = forger.clock()
    plaintext = Plaintext(InnerKind.HELLO, as_member, now, forger.membership.head, now, body)
    return seal(epoch, room_id, plaintext, forger.mode)


def forged_text(forger: RoomSession, as_member: bytes, text: str, seq: int) -> bytes:
    """A text in ``as_member``'s name with any sequence number the forger likes."""
    now = forger.clock()
    body = ChatMessage(seq, 1, 0, now, text).encode(forger.mode)
    plaintext = Plaintext(InnerKind.TEXT, as_member, seq, forger.membership.head, now, body)
    return seal(forger.epoch, forger.keys.room_id, plaintext, forger.mode)


def appended(session: RoomSession, kind: EventKind) -> list[Event]:
    """The events of ``kind`` in ``session``'s accepted log, in order."""
    return [event for event in session.membership.resolution.accepted if event.kind is kind]


async def only_members_read(sender: Peer, receiver: Peer, thief: Peer, text: str) -> None:
    """``sender`` writes ``text``: ``receiver`` shows it, and ``thief`` cannot open the frame."""
    frame = sender.session.text(text)
    await sender.send(frame)
    assert (await receiver.pump(MessageReceived)).text == text
    assert readable_by(thief.session, frame) is None


def readable_by(thief: RoomSession, frame: bytes) -> str | None:
    """The text of an envelope the removed member can open with what it holds, if any."""
    try:
        _, plaintext = open_envelope(frame, thief.keys.room_id, thief.mode, thief.membership.epochs)
    except ProtocolError:
        return None
    if plaintext.inner_kind is not InnerKind.TEXT:
        return None
    return ChatMessage.decode(plaintext.body, thief.mode).text


def epochs_the_thief_can_take(thief: RoomSession, events: list[Event]) -> list[EpochKeys]:
    """Every epoch the removed member opens from REKEY and KEYSHARE events, trying every
    entry as if it were the recipient, with its own X25519 secret and every epoch it holds."""
    room_id, secret = thief.keys.room_id, thief.member.x_secret
    rekeys = [p for p in map(parse_payload, events) if isinstance(p, Rekey)]
    shares = [p for p in map(parse_payload, events) if isinstance(p, KeyShare)]
    taken: list[EpochKeys] = []
    for rekey in rekeys:
        for held in [*thief.membership.epochs.values(), *taken]:
            for entry in rekey.entries:
                with contextlib.suppress(GovernanceError):
                    taken.append(open_rekey(rekey, room_id, held, entry.recipient, secret))
    for share in shares:
        for confirm in [rekey.confirm for rekey in rekeys]:
            with contextlib.suppress(GovernanceError):
                taken.append(open_keyshare(share, room_id, share.recipient, secret, confirm))
    return taken


def governance(frame: bytes) -> bool:
    """A GOVERNANCE frame (what a relay withholds to hide a kick)."""
    return len(frame) > 1 and frame[1] == Kind.GOVERNANCE


def envelope(frame: bytes) -> bool:
    return len(frame) > 1 and frame[1] == Kind.ENVELOPE


def governance_frame(raw: bytes) -> bytes:
    return EventFrame(raw, Kind.GOVERNANCE).encode()


def texts(events: list[SessionEvent]) -> list[str]:
    return [event.text for event in events if isinstance(event, MessageReceived)]
