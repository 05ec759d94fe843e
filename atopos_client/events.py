"""What a member sees happen in a room."""

from __future__ import annotations

from dataclasses import dataclass

from atopos_client.codes import member_code
from atopos_client.names import display_name
from atopos_client.refusals import action_refusal


@dataclass(frozen=True, slots=True)
class Member:
    """A member as its hello presents it; the name is self-asserted."""

    ed_pk: bytes
    x_pk: bytes
    name: str

    @property
    def code(self) -> str:
        """The member code people compare: 64 bits of the key (``atopos_client.codes``)."""
        return member_code(self.ed_pk)

    @property
    def display_name(self) -> str:
        """The name as shown: controls and formatting removed (``atopos_client.names``)."""
        return display_name(self.name)


@dataclass(frozen=True, slots=True)
class MemberJoined:
    member: Member


@dataclass(frozen=True, slots=True)
class MemberLeft:
    member: Member


@dataclass(frozen=True, slots=True)
class MessageReceived:
    sender: Member
    text: str
    time_ms: int  # when its sender first sent it
    message_id: int = 0  # unique per sender (PROTOCOL §4.5)
    late: bool = False  # arrived after a gap was shown for it: out of its sender's order


@dataclass(frozen=True, slots=True)
class MessagesMissed:
    """``count`` messages from ``sender`` were lost and nobody could send them again."""

    sender: Member
    count: int


@dataclass(frozen=True, slots=True)
class GovernanceChanged:
    """The merged log moved: a new head and safety phrase, maybe a fork, maybe paused sending."""

    head: bytes
    phrase: str
    forked: bool
    paused: bool
    ended: bool = False  # the log holds the owner's signed END_ROOM
    lagging: bool = False  # others send in an epoch our log has not reached (events withheld)


@dataclass(frozen=True, slots=True)
class MemberBehind:
    """A member's messages show it lacks governance events we hold (``old_epoch``: it still
    sends in keys a removed member may hold). We sent it what it lacks."""

    member: Member
    old_epoch: bool


@dataclass(frozen=True, slots=True)
class KnockReceived:
    """A newcomer waits for an admin (every member sees it; admins may answer)."""

    ed_pk: bytes
    x_pk: bytes


@dataclass(frozen=True, slots=True)
class KnockWithdrawn:
    """A newcomer stopped waiting: admitted, declined or gone."""

    ed_pk: bytes


@dataclass(frozen=True, slots=True)
class ActionRefused:
    """A governance action of ours was not appended; ``reason`` is its error code (the code the
    relay's REFUSED frame named, or the rule our own check found broken)."""

    kind: int | None
    reason: str

    @property
    def words(self) -> str:
        """Why, in our own words: never the relay's text (``atopos_client.refusals``)."""
        return action_refusal(self.reason)


@dataclass(frozen=True, slots=True)
class Reconnecting:
    """The connection dropped, not the room: trying again in ``seconds`` (try ``attempt``)."""

    attempt: int
    seconds: float


@dataclass(frozen=True, slots=True)
class BackOnline:
    """In the room again on a new connection, with the same keys, log and replay memory."""


@dataclass(frozen=True, slots=True)
class RoomClosed:
    """The socket closed; ``ended`` when the room itself is over (ended, expired or unknown)."""

    code: int
    ended: bool


Event = (
    Reconnecting
    | BackOnline
    | MemberJoined
    | MemberLeft
    | MessageReceived
    | MessagesMissed
    | GovernanceChanged
    | MemberBehind
    | KnockReceived
    | KnockWithdrawn
    | ActionRefused
    | RoomClosed
)
