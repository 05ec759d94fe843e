// What a refusal from the relay means, in our own words (the twin of
// atopos_client/refusals.py, which knows the same codes: tests/vectors/refusals.json).
//
// A REFUSED frame carries an ASCII reason chosen by the relay. A malicious relay could
// write anything there ("re-verify your link at https://…") and phish for the room key,
// so its text never reaches the screen: a known code gets our words, any other one fixed
// sentence. The codes are PROTOCOL §8.3 and §8.7's.

/** Why the relay would not let us in: [title, detail]. */
export const REFUSAL_TEXT = Object.freeze({
  declined: ['Not let in', 'An admin declined your request to join this room.'],
  'no-answer': ['Nobody answered', 'No admin let you in within ten minutes. Try again when someone is there.'],
  'too-many-waiting': ['Too many people are waiting', 'Too many people are already asking to join. Try again later.'],
  removed: ['You were removed from this room', 'An admin removed you. This link no longer lets you in.'],
  'room-locked': ['This room is locked', 'Its admins locked it: nobody new can join.'],
  'room-full': ['This room is full', 'It has as many people as its admins allow.'],
  'ticket-used': ['This invite link was already used', 'Each invite admits a set number of people. Ask for a new one.'],
  'invite-revoked': ['This invite link was withdrawn', 'An admin revoked it. Ask for a new one.'],
  'invite-expired': ['This invite link has expired', 'Ask for a new one.'],
  'unknown-invite': ['This invite link is not valid here', 'It does not belong to this room, or was never created. Ask for a new one.'],
  'bad-ticket': ['This invite link is not valid', 'It is incomplete or was changed. Ask for the link again.'],
  'bad-time': ['This invite link has expired', "Or this device's clock is far off. Check the clock, or ask for a new one."],
  'invite-required': ['This room admits by invitation only', 'The plain room link does not let anyone in. Ask someone in the room for an invite link.'],
  'redeem-expected': ['The room expected your invite', 'Open the room again with your invite link.'],
  // An open room's newcomer is welcomed, then its BIND is refused (PROTOCOL §8.9):
  'not-open': ['This room no longer lets people in by its link', 'An admin has to let you in now. Ask someone in the room.'],
  'log-full': ['This room takes nobody new', 'Its history of changes is full: nobody new can join.'],
  // Extra Lock (PROTOCOL §2.1):
  'passphrase-required': ['This room needs its passphrase', 'It is under Extra Lock. Ask the person who shared the link for the passphrase, then open the link again.'],
  'wrong-passphrase': ['That is not the passphrase', 'Three wrong passphrases close the connection. Check it with the person who shared the link, then open the link again.'],
  'too-many-guesses': ['Too many wrong passphrases', 'Someone tried too many wrong passphrases for this room, so it checks none for up to ten minutes. Try again later.'],
});

/** For any refusal code the page does not know. */
export const UNKNOWN_REFUSAL = Object.freeze(['Not let in', 'The room did not let you in, for a reason this page does not know. Ask someone in the room.']);

/** Why one of our room changes (admit, remove, lock…) was not made. */
export const REFUSED_ACTION = Object.freeze({
  'not-authorized': 'Not done: only an admin (or, for ending, the owner) may do that.',
  'room-locked': 'Not done: the room is locked.',
  'stale-parent': 'Not done: the room changed at the same moment. Try again.',
  duplicate: 'Not done: that was already done.',
  'not-your-key': 'Not done: that was signed by someone else.',
  'event-malformed': 'Not done: the room could not read it.',
  'bad-signature': 'Not done: its signature does not check.',
  'already-member': 'Not done: that person is already in the room.',
  'member-removed': 'Not done: that person was removed from the room.',
  'already-removed': 'Not done: that person was already removed.',
  'not-a-member': 'Not done: that key is not a member of the room.',
  'already-admin': 'Not done: that person is already an admin.',
  'not-admin': 'Not done: that person is not an admin.',
  'cannot-kick-owner': "Not done: nobody can remove the room's owner.",
  'cannot-kick-self': 'Not done: you cannot remove yourself.',
  'duplicate-invite': 'Not done: that invite already exists.',
  'unknown-invite': 'Not done: that invite does not exist.',
  'invite-revoked': 'Not done: that invite was withdrawn.',
  'room-full': 'Not done: the room is full.',
  'wrong-epoch': "Not done: the room's keys moved on meanwhile. Try again.",
  'no-kick': 'Not done: no removal is waiting for new keys.',
  'rekey-to-removed': 'Not done: new keys may not go to a removed member.',
  'wrong-key': "Not done: new keys may go only to a member's own key.",
  'bad-binding': "Not done: a member's keys do not check.",
  'not-open': 'Not done: the room is not open to anyone with the link.',
  'log-full': "Not done: the room's history of changes is full; only ending it is still possible.",
  'bad-time': "Not done: this device's clock disagrees with the server's.",
  'room-ended': 'Not done: the room has ended.',
});

/** For any other reason a change was refused. */
export const UNKNOWN_ACTION_REFUSAL = 'Not done: the room refused this change.';

// Own properties only: a relay's "constructor" or "__proto__" is not a known code.
const known = (table, code) => (typeof code === 'string' && Object.hasOwn(table, code) ? table[code] : null);

/** [title, detail] for a refusal to let us in: our words, never the relay's. */
export function refusalText(code) {
  return known(REFUSAL_TEXT, code) ?? UNKNOWN_REFUSAL;
}

/** The sentence for a refused change: our words, never the relay's. */
export function refusedActionText(reason) {
  return known(REFUSED_ACTION, reason) ?? UNKNOWN_ACTION_REFUSAL;
}
