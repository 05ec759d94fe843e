// Extra Lock's parameters as the genesis and LOCK_REQUIRED carry them (PROTOCOL §2.1, §3).
// The twin of atopos_protocol/extra_lock.py. The bounds keep a crafted genesis (or a lying
// relay) from making a browser derive for minutes: memory times passes is capped.
import { concat, u32 } from './codec.js';
import { ProtocolError } from './errors.js';

export const MIN_MEMORY_KIB = 4 * 1024;
export const MAX_MEMORY_KIB = 64 * 1024;
export const MIN_PASSES = 1;
export const MAX_PASSES = 16;
export const MAX_WORK_KIB = 64 * 1024;
export const LANES = 1;

/** Memory (KiB), passes and their product inside PROTOCOL §2.1's bounds. */
export function withinBounds(memoryKib, passes) {
  return (
    Number.isInteger(memoryKib) && Number.isInteger(passes) &&
    memoryKib >= MIN_MEMORY_KIB && memoryKib <= MAX_MEMORY_KIB &&
    passes >= MIN_PASSES && passes <= MAX_PASSES &&
    memoryKib * passes <= MAX_WORK_KIB
  );
}

/** { memoryKib, passes }, checked against the bounds (throws Error outside them). */
export function lockParams(memoryKib, passes) {
  if (!withinBounds(memoryKib, passes)) throw new Error('Argon2id parameters outside the documented bounds');
  return Object.freeze({ memoryKib, passes });
}

/** memory_kib u32 ‖ passes u32, as LOCK_REQUIRED carries them. */
export function encodeLockParams(params) {
  return concat(u32(params.memoryKib), u32(params.passes));
}

/** Parse from `reader`; out-of-bounds values fail like any malformed field. */
export function readLockParams(reader) {
  const memoryKib = reader.u32();
  const passes = reader.u32();
  if (!withinBounds(memoryKib, passes)) throw new ProtocolError(reader.error, 'argon2id parameters');
  return Object.freeze({ memoryKib, passes });
}

/** A stable name for a parameter set (a Map key). */
export function paramsKey(params) {
  return `${params.memoryKib}:${params.passes}`;
}
