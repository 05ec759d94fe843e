// Invite tickets: a secret in the invite link, a key pair derived from it (PROTOCOL §8.4).
import { concat, u64 } from '../bytes.js';
import { ed25519PublicKey } from '../crypto.js';
import { Label, kdf } from '../labels.js';
import { Prefix, signPrefixed, verifyPrefixedCached } from '../signatures.js';

/** The Ed25519 seed of a ticket's key pair. */
export function ticketSeed(secret) {
  if (secret.length !== 32) throw new Error('a ticket secret is 32 bytes');
  return kdf(secret, Label.TICKET);
}

export function ticketPublicKey(secret) {
  return ed25519PublicKey(ticketSeed(secret));
}

function redeemBody(roomId, member, xPk, timeMs) {
  return concat(roomId, member, xPk, u64(timeMs));
}

/** The ticket's signature over the redeemer's own keys. */
export function signRedeem(secret, roomId, member, xPk, timeMs) {
  return signPrefixed(ticketSeed(secret), Prefix.TICKET, redeemBody(roomId, member, xPk, timeMs));
}

export function redeemValid(ticketPk, signature, roomId, member, xPk, timeMs) {
  return verifyPrefixedCached(ticketPk, Prefix.TICKET, redeemBody(roomId, member, xPk, timeMs), signature);
}
