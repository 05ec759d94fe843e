"""Who may enter a room: the four join rules of DESIGN §5."""

from __future__ import annotations

from enum import StrEnum


class JoinRule(StrEnum):
    """How a newcomer who holds the link gets admitted."""

    OPEN = "open"  # proof of the link suffices
    APPROVAL = "approval"  # the newcomer knocks; an online admin admits or declines
    INVITE = "invite"  # a single- or N-use ticket from an invite link is needed
    LOCKED = "locked"  # nobody new gets in


# A room can start under these; starting locked would admit nobody, ever.
INITIAL_JOIN_RULES = (JoinRule.OPEN, JoinRule.APPROVAL, JoinRule.INVITE)
