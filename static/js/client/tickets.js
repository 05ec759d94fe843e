// Invite tickets on the inviter's and redeemer's devices (PROTOCOL §8.4): a secret in the
// invite link and the key pair derived from it.
import { ed25519PublicKey } from '../protocol/crypto.js';
import { redeemBody } from '../protocol/governance/tickets.js';
import { kdf } from '../protocol/labels.js';
import { Prefix, signPrefixed } from '../protocol/signatures.js';
import { ClientLabel } from './labels.js';

/** The Ed25519 seed of a ticket's key pair. */
export function ticketSeed(secret) {
  if (secret.length !== 32) throw new Error('a ticket secret is 32 bytes');
  return kdf(secret, ClientLabel.TICKET);
}

export function ticketPublicKey(secret) {
  return ed25519PublicKey(ticketSeed(secret));
}

/** The ticket's signature over the redeemer's own keys. */
export function signRedeem(secret, roomId, member, xPk, timeMs) {
  return signPrefixed(ticketSeed(secret), Prefix.TICKET, redeemBody(roomId, member, xPk, timeMs));
}
