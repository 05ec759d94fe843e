// Members reaching the same log without trusting the relay (PROTOCOL §8.8).
// rooms/client/logsync.py is the reference.
import { toHex } from '../bytes.js';
import { BUCKETS } from '../frames.js';
import { PLAINTEXT_HEADER_SIZE, joinEvents } from '../messages.js';

/** GOV_EVENTS bodies holding `events`, each fitting the mode's largest envelope;
 *  an event too large for any envelope is left out. */
export function eventBatches(events, mode) {
  const room = Math.max(...BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE;
  const batches = [];
  let size = room;
  for (const event of events) {
    const cost = 2 + event.length;
    if (cost > room) continue;
    if (size + cost > room) {
      batches.push([]);
      size = 0;
    }
    batches[batches.length - 1].push(event);
    size += cost;
  }
  return batches.map(joinEvents);
}

export class LogSync {
  constructor() {
    this.requested = new Set();
    this.answered = new Set();
    this.offered = 0;
  }

  /** The GOV_REQUEST body for a head seen in a message, once per unknown head. */
  ask(head, known) {
    const id = toHex(head);
    if (known || this.requested.has(id)) return null;
    this.requested.add(id);
    return head;
  }

  /** GOV_EVENTS bodies for a request this member can serve, once per head. */
  answer(head, known, held, mode) {
    const id = toHex(head);
    if (!known || this.answered.has(id) || held.length === 0) return [];
    this.answered.add(id);
    return eventBatches(held, mode);
  }

  /** After a fork shows up, everything this member holds, each time that set grows. */
  offer(forked, held, mode) {
    if (!forked || held.length <= this.offered) return [];
    this.offered = held.length;
    return eventBatches(held, mode);
  }
}
