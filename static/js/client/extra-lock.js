// Extra Lock on the participant's device: passphrase to shard P, P to the lock key
// (PROTOCOL §2.1). The twin of atopos_client/extra_lock.py. The passphrase never leaves
// this module's caller: only the lock key's signature over a join challenge goes out.
import { utf8 } from '../protocol/codec.js';
import { argon2id, ed25519PublicKey } from '../protocol/crypto.js';
import { kdf } from '../protocol/labels.js';
import { lockParams } from '../protocol/extra-lock.js';
import { ClientLabel } from './labels.js';

export const MIN_PASSPHRASE_CHARACTERS = 8;
/** What a new room asks for: docs/PERFORMANCE.md ("Extra Lock") measures it in Chromium with
 *  and without its JIT (Tor Browser's Safer level); atopos_client/extra_lock.py agrees. */
export const DEFAULT_LOCK_PARAMS = lockParams(12288, 1);
const SHARD_SIZE = 32;

// Stripped from both ends: every character Python's str.isspace() or JavaScript's trim()
// counts as white space, spelled out so that both clients drop exactly the same ones (they
// disagree on U+001C-U+001F, U+0085 and U+FEFF).
const SURROUNDING_SPACE = '\t\n\v\f\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
const SURROUNDING = new RegExp(`^[${SURROUNDING_SPACE}]+|[${SURROUNDING_SPACE}]+$`, 'gu');

/** NFC, without surrounding white space (what a paste adds). */
function normalised(passphrase) {
  return passphrase.normalize('NFC').replace(SURROUNDING, '');
}

/** UTF-8 of the normalised passphrase; throws on an empty one. */
export function passphraseBytes(passphrase) {
  const text = normalised(passphrase);
  if (!text) throw new Error('the passphrase is empty');
  return utf8(text);
}

/** Whether a creator's passphrase is long enough (counted in characters, as people count). */
export function passphraseLongEnough(passphrase) {
  return [...normalised(passphrase)].length >= MIN_PASSPHRASE_CHARACTERS;
}

/** P = Argon2id(passphrase, pwsalt; m, t, p = 1), 32 bytes. Seconds without a JIT: async,
 *  and `onProgress(fraction)` lets the page say how far it got. */
export function passphraseShard(passphrase, salt, params, onProgress = undefined) {
  return argon2id(passphraseBytes(passphrase), salt, { memoryKib: params.memoryKib, passes: params.passes, size: SHARD_SIZE }, onProgress);
}

/** The seed of the key that proves the passphrase to the relay: KDF(L, atopos1-lock, P). */
export function lockSeed(linkShard, shard) {
  if (shard.length !== SHARD_SIZE) throw new Error('the passphrase shard is 32 bytes');
  return kdf(linkShard, ClientLabel.LOCK, shard);
}

/** The lock public key a passphrase shard gives (what the genesis carries). */
export function lockPublicKey(linkShard, shard) {
  return ed25519PublicKey(lockSeed(linkShard, shard));
}
