// Invite tickets as the log checks them (PROTOCOL §8.4): a REDEEM carries the ticket's
// signature over the redeemer's own keys. Making and signing with a ticket is client/tickets.js.
import { concat, u64 } from '../codec.js';
import { Prefix, verifyPrefixedCached } from '../signatures.js';

/** What a ticket signs: the room, the redeemer's member key and X25519 key, and the time. */
export function redeemBody(roomId, member, xPk, timeMs) {
  return concat(roomId, member, xPk, u64(timeMs));
}

export function redeemValid(ticketPk, signature, roomId, member, xPk, timeMs) {
  return verifyPrefixedCached(ticketPk, Prefix.TICKET, redeemBody(roomId, member, xPk, timeMs), signature);
}
