// Dropping replayed, stale and future frames (PROTOCOL §4.4); atopos_client/replay.py is the
// reference. A receiver remembers every (epoch, sender, seq) it accepted for as long as a frame
// with that time could still pass the age check, and drops a second copy. It does not insist
// that numbers rise: any member can seal a frame in another's name (chat is deniable), so a
// guard keeping only the highest number would let one forged frame with a huge seq mute its
// victim. seq is tied to the frame's own time instead: time_ms <= seq <= time_ms + SEQ_LEAD_MS.
import { toHex } from '../protocol/codec.js';
import { ProtocolError } from '../protocol/errors.js';

export const MAX_AGE_MS = 120_000;
export const MAX_AHEAD_MS = 120_000;
export const ADMISSION_ALLOWANCE_MS = 30_000;
export const SEQ_LEAD_MS = 60_000;

/** One receiver's memory of the frames it accepted in the last MAX_AGE_MS. */
export class ReplayGuard {
  constructor(admittedAtMs) {
    this.admittedAtMs = admittedAtMs;
    this.seen = new Set();
    this.byTime = []; // [timeMs, key], roughly in time order
    this.floorMs = 0; // frames older than this were forgotten: they count as stale
  }

  /** Record an accepted frame (restoring a receiver's state). */
  noteSeen(epochId, sender, seq, timeMs) {
    const key = `${toHex(epochId)}/${toHex(sender)}/${seq}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.byTime.push([timeMs, key]);
  }

  /** Record the frame, or throw ProtocolError bad-seq, replay, stale, before-admission or future. */
  accept(epochId, plaintext, nowMs) {
    const { timeMs, seq } = plaintext;
    if (seq < timeMs || seq > timeMs + SEQ_LEAD_MS) throw new ProtocolError('bad-seq');
    this.forgetBefore(nowMs - MAX_AGE_MS);
    if (this.seen.has(`${toHex(epochId)}/${toHex(plaintext.sender)}/${seq}`)) throw new ProtocolError('replay');
    if (timeMs < Math.max(nowMs - MAX_AGE_MS, this.floorMs)) throw new ProtocolError('stale');
    if (timeMs < this.admittedAtMs - ADMISSION_ALLOWANCE_MS) throw new ProtocolError('before-admission');
    if (timeMs > nowMs + MAX_AHEAD_MS) throw new ProtocolError('future');
    this.noteSeen(epochId, plaintext.sender, seq, timeMs);
  }

  forgetBefore(floorMs) {
    if (floorMs <= this.floorMs) return;
    this.floorMs = floorMs;
    let drop = 0;
    while (drop < this.byTime.length && this.byTime[drop][0] < floorMs) {
      this.seen.delete(this.byTime[drop][1]);
      drop += 1;
    }
    if (drop) this.byTime.splice(0, drop);
  }
}
