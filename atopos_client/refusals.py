"""What a refusal from the relay means, in our own words.

A REFUSED frame carries an ASCII reason chosen by the relay. A malicious relay
could write anything there ("re-verify your link at https://..."), so the
terminal never prints it: a known code gets our sentence, anything else one
fixed sentence (issue 9, item 16). The codes are PROTOCOL §8.3 and §8.7's.
"""

from __future__ import annotations

UNKNOWN = "the room refused it for a reason this client does not know"

ACTIONS: dict[str, str] = {
    "not-authorized": "only an admin (or, to end the room, its owner) may do that",
    "room-locked": "the room is locked",
    "stale-parent": "the room changed at the same moment; try again",
    "duplicate": "that was already done",
    "not-your-key": "that was signed by someone else",
    "event-malformed": "the room could not read it",
    "bad-signature": "its signature does not check",
    "already-member": "that person is already in the room",
    "member-removed": "that person was removed from the room",
    "already-removed": "that person was already removed",
    "not-a-member": "that key is not a member of the room",
    "already-admin": "that person is already an admin",
    "not-admin": "that person is not an admin",
    "cannot-kick-owner": "nobody can remove the room's owner",
    "cannot-kick-self": "you cannot remove yourself",
    "duplicate-invite": "that invite already exists",
    "unknown-invite": "that invite does not exist",
    "invite-revoked": "that invite was withdrawn",
    "room-full": "the room is full",
    "wrong-epoch": "the room's keys moved on meanwhile",
    "no-kick": "no removal is waiting for new keys",
    "rekey-to-removed": "new keys may not go to a removed member",
    "wrong-key": "new keys may go only to a member's own key",
    "bad-binding": "a member's keys do not check",
    "not-open": "the room is not open to anyone with the link",
    "log-full": "the room's history of changes is full; only ending it is still possible",
    "bad-time": "its time disagrees with the server's clock",
    "room-ended": "the room has ended",
}

ADMISSIONS: dict[str, str] = {
    "declined": "an admin declined your request to join",
    "no-answer": "no admin let you in within ten minutes",
    "too-many-waiting": "too many people are already waiting to be let in; try again later",
    "removed": "an admin removed you; this link no longer lets you in",
    "room-locked": "its admins locked the room: nobody new can join",
    "room-full": "the room is full",
    "ticket-used": "this invite link was already used",
    "invite-revoked": "this invite link was withdrawn",
    "invite-expired": "this invite link has expired",
    "unknown-invite": "this invite link does not belong to this room",
    "bad-ticket": "this invite link is not valid",
    "bad-time": "this invite link has expired (or your clock is far off)",
    "invite-required": "the room admits by invitation only: ask for an invite link",
    "redeem-expected": "the room expected your invite",
    # An open room's newcomer is welcomed, then its BIND is refused (PROTOCOL §8.9):
    "not-open": "the room stopped letting in anyone with the link: ask an admin to let you in",
    "log-full": "the room's history of changes is full: nobody new can join",
    # Extra Lock (PROTOCOL §2.1):
    "passphrase-required": "the room is under Extra Lock: it needs its passphrase",
    "wrong-passphrase": "that is not the room's passphrase",
    "too-many-guesses": "too many wrong passphrases were tried for this room; wait ten minutes",
}


def action_refusal(code: str) -> str:
    """Why an action of ours was not done; never the relay's own text."""
    return ACTIONS.get(code, UNKNOWN)


def admission_refusal(code: str) -> str:
    """Why the room did not let us in; never the relay's own text."""
    return ADMISSIONS.get(code, UNKNOWN)
