// Members reaching the same log without trusting the relay (PROTOCOL §8.8).
// atopos_client/logsync.py is the reference: heads are asked for and answered, a fork makes
// members send everything they hold, a member whose envelopes show it behind is sent what
// it lacks, and events travel in pieces so one larger than an envelope still travels.
import { equal, toHex } from '../protocol/codec.js';
import { BUCKETS } from '../protocol/frames.js';
import { PIECE_HEADER_SIZE, PLAINTEXT_HEADER_SIZE, joinPieces } from './messages.js';
import { eventId } from '../protocol/governance/events.js';

// A sender may have this many events half-received at once; more is a flood.
const MAX_PARTIAL_EVENTS = 16;

/** GOV_EVENTS bodies carrying `events` in order, each fitting the mode's largest envelope. */
export function eventBatches(events, mode) {
  const room = Math.max(...BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE;
  const batches = [[]];
  let free = room;
  for (const raw of events) {
    const id = eventId(raw);
    let offset = 0;
    while (offset < raw.length) {
      if (free <= PIECE_HEADER_SIZE) {
        batches.push([]);
        free = room;
      }
      const data = raw.subarray(offset, offset + free - PIECE_HEADER_SIZE);
      batches[batches.length - 1].push({ eventId: id, total: raw.length, offset, data });
      free -= PIECE_HEADER_SIZE + data.length;
      offset += data.length;
    }
  }
  return batches.filter((batch) => batch.length > 0).map(joinPieces);
}

/** Pieces from one sender, back into whole events (in order, each id checked). */
export class Reassembly {
  constructor() {
    this.partial = new Map(); // id hex -> { total, chunks, length }
  }

  /** The events these pieces complete; out-of-order or inconsistent pieces are dropped. */
  add(pieces) {
    const done = [];
    for (const piece of pieces) {
      const id = toHex(piece.eventId);
      let partial = this.partial.get(id);
      if (piece.offset === 0) {
        if (partial === undefined && this.partial.size >= MAX_PARTIAL_EVENTS) continue;
        partial = { total: piece.total, chunks: [], length: 0 };
        this.partial.set(id, partial);
      }
      if (partial === undefined || partial.total !== piece.total) continue;
      if (piece.offset !== partial.length) {
        this.partial.delete(id); // a gap: the sender will send it whole again
        continue;
      }
      partial.chunks.push(piece.data);
      partial.length += piece.data.length;
      if (partial.length === partial.total) {
        this.partial.delete(id);
        const raw = new Uint8Array(partial.total);
        let at = 0;
        for (const chunk of partial.chunks) {
          raw.set(chunk, at);
          at += chunk.length;
        }
        if (equal(eventId(raw), piece.eventId)) done.push(raw);
      }
    }
    return done;
  }
}

export class LogSync {
  constructor() {
    this.requested = new Set();
    this.answered = new Set();
    this.pushed = new Set();
    this.offered = 0;
    this.reassembly = new Map();
  }

  /** The GOV_REQUEST body for a head seen in a message, once per unknown head. */
  ask(head, known) {
    const id = toHex(head);
    if (known || this.requested.has(id)) return null;
    this.requested.add(id);
    return head;
  }

  /** GOV_EVENTS bodies for a request this member can serve, once per asker, head and log. */
  answer(asker, head, known, ourHead, held, mode) {
    const key = `${toHex(asker)}/${toHex(head)}/${toHex(ourHead)}`;
    if (!known || this.answered.has(key) || held.length === 0) return [];
    this.answered.add(key);
    return eventBatches(held, mode);
  }

  /** Everything we hold, once per member that is behind and per head of ours. */
  push(behind, ourHead, held, mode) {
    const key = `${toHex(behind)}/${toHex(ourHead)}`;
    if (this.pushed.has(key) || held.length === 0) return [];
    this.pushed.add(key);
    return eventBatches(held, mode);
  }

  /** After a fork shows up, everything this member holds, each time that set grows. */
  offer(forked, held, mode) {
    if (!forked || held.length <= this.offered) return [];
    this.offered = held.length;
    return eventBatches(held, mode);
  }

  /** Whole events once `sender`'s pieces complete them. */
  piecesFrom(sender, pieces) {
    const key = toHex(sender);
    if (!this.reassembly.has(key)) this.reassembly.set(key, new Reassembly());
    return this.reassembly.get(key).add(pieces);
  }
}
