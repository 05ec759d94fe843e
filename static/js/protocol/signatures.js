// Fixed prefixes of every signed message (PROTOCOL §1.2): no signature reads as another kind.
import { concat, toHex, utf8 } from './codec.js';
import { ed25519Sign, ed25519StrictVerify } from './crypto.js';

export const Prefix = Object.freeze({
  GENESIS: utf8('atopos/v2/genesis\0'),
  JOIN: utf8('atopos/v2/join\0'),
  PEEK: utf8('atopos/v2/peek\0'), // asks whether a room is there, without joining (PEEK)
  UNLOCK: utf8('atopos/v2/unlock\0'), // the Extra Lock key over a join proof (UNLOCK)
  EVENT: utf8('atopos/v2/event\0'),
  TICKET: utf8('atopos/v2/ticket\0'),
  MEMBER: utf8('atopos/v2/member\0'), // a member key pair bound to a room (binding.js)
});

/** The 64-byte signature over `prefix ‖ body` by the key made from `seed`. */
export function signPrefixed(seed, prefix, body) {
  return ed25519Sign(seed, concat(prefix, body));
}

/** Strictly verify a signature over `prefix ‖ body`. */
export function verifyPrefixed(publicKey, prefix, body, signature) {
  return ed25519StrictVerify(publicKey, concat(prefix, body), signature);
}

const verdicts = new Map();
const MAX_VERDICTS = 8192;

/** `verifyPrefixed`, remembered: governance rules re-check the same bindings and tickets
 *  on every walk of a log, and a verdict never changes. */
export function verifyPrefixedCached(publicKey, prefix, body, signature) {
  const key = toHex(concat(publicKey, prefix, body, signature));
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdict = verifyPrefixed(publicKey, prefix, body, signature);
    verdicts.set(key, verdict);
  }
  return verdict;
}
