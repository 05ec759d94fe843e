// The derivation labels of public values (PROTOCOL §1.1) and the one KDF every label goes
// through; labels of a participant's own key material live in client/labels.js.
import { blake2b } from './crypto.js';
import { utf8 } from './codec.js';

/** Labels of public values that the relay and every participant compute alike; each has one
 * purpose and is NUL-padded to 16 bytes as BLAKE2b personalisation. */
export const Label = Object.freeze({
  RID: 'atopos1-rid',
  GENESIS: 'atopos1-genesis',
  EVENT: 'atopos1-event',
  STATE: 'atopos1-state',
  RETIRED_OWNERCAP: 'atopos1-ownercap', // protocol v1 only: never to be reused
});

const SALT = new Uint8Array(16);

function personal(label) {
  const raw = utf8(label);
  if (raw.length > 16) throw new Error(`label ${label} is longer than 16 bytes`);
  const padded = new Uint8Array(16);
  padded.set(raw);
  return padded;
}

/** BLAKE2b(message, key, personal = label, salt = 0^16, size). */
export function kdf(key, label, message = new Uint8Array(0), size = 32) {
  if (key.length < 1 || key.length > 64) throw new Error('a KDF key is 1 to 64 bytes');
  return blake2b(message, { key, personal: personal(label), salt: SALT, size });
}

/** The same hash without a key. */
export function unkeyedHash(label, message, size = 32) {
  return blake2b(message, { key: null, personal: personal(label), salt: SALT, size });
}
