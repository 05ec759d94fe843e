// Dropping replayed, stale and future frames (PROTOCOL §4.4).
import { toHex } from './bytes.js';
import { ProtocolError } from './errors.js';

export const MAX_AGE_MS = 120_000;
export const MAX_AHEAD_MS = 120_000;
export const ADMISSION_ALLOWANCE_MS = 30_000;

/** One receiver's memory of the highest sequence number per sender and epoch. */
export class ReplayGuard {
  constructor(admittedAtMs) {
    this.admittedAtMs = admittedAtMs;
    this.highest = new Map();
  }

  /** Record that `sender` reached `seq` in this epoch (restoring a receiver's state). */
  noteSeen(epochId, sender, seq) {
    const key = `${toHex(epochId)}/${toHex(sender)}`;
    this.highest.set(key, Math.max(seq, this.highest.get(key) ?? 0));
  }

  /** Record the frame, or throw ProtocolError replay, stale, before-admission or future. */
  accept(epochId, plaintext, nowMs) {
    const key = `${toHex(epochId)}/${toHex(plaintext.sender)}`;
    if (plaintext.seq <= (this.highest.get(key) ?? 0)) throw new ProtocolError('replay');
    if (plaintext.timeMs < nowMs - MAX_AGE_MS) throw new ProtocolError('stale');
    if (plaintext.timeMs < this.admittedAtMs - ADMISSION_ALLOWANCE_MS) throw new ProtocolError('before-admission');
    if (plaintext.timeMs > nowMs + MAX_AHEAD_MS) throw new ProtocolError('future');
    this.highest.set(key, plaintext.seq);
  }
}
