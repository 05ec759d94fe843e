// Fixed prefixes of every signed message (PROTOCOL §1.2): no signature reads as another kind.
import { concat, utf8 } from './bytes.js';
import { ed25519Sign, ed25519StrictVerify } from './crypto.js';

export const Prefix = Object.freeze({
  GENESIS: utf8('atopos/v1/genesis\0'),
  JOIN: utf8('atopos/v1/join\0'),
  EVENT: utf8('atopos/v1/event\0'),
  TICKET: utf8('atopos/v1/ticket\0'),
});

/** The 64-byte signature over `prefix ‖ body` by the key made from `seed`. */
export function signPrefixed(seed, prefix, body) {
  return ed25519Sign(seed, concat(prefix, body));
}

/** Strictly verify a signature over `prefix ‖ body`. */
export function verifyPrefixed(publicKey, prefix, body, signature) {
  return ed25519StrictVerify(publicKey, concat(prefix, body), signature);
}
