// This member's own governance events: one in flight, re-based when the relay's head
// moved (PROTOCOL §8.5). atopos_client/outbox.py is the reference.
import { toHex } from '../protocol/codec.js';
import { encodeEvent } from '../protocol/frames.js';
import { GovernanceError } from '../protocol/governance/errors.js';
import { createEvent } from '../protocol/governance/events.js';
import { apply } from '../protocol/governance/state.js';

export const MAX_ATTEMPTS = 5;
export const STALE_PARENT = 'stale-parent';

export class Outbox {
  constructor(roomId, authorSeed) {
    this.roomId = roomId;
    this.authorSeed = authorSeed;
    this.queue = []; // [{ kind, payload, attempts }]
    this.inFlight = null;
    this.rebaseOnto = null; // a relay head (bytes) we wait to hold before re-signing
    this.refusals = []; // [{ kind, reason }]
  }

  /** Queue an intent; the EVENT frames to send now (none while another is in flight). */
  push(kind, payload, state, head) {
    this.queue.push({ kind, payload, attempts: 0 });
    return this.next(state, head);
  }

  /** The log changed: finish the in-flight event if it landed, and send what is next. */
  settle(accepted, knows, state, head) {
    if (this.inFlight !== null && accepted(this.inFlight.id)) {
      this.queue.shift();
      this.inFlight = null;
    }
    if (this.rebaseOnto !== null && knows(this.rebaseOnto)) {
      this.rebaseOnto = null;
      this.inFlight = null;
    }
    return this.next(state, head);
  }

  /** The relay refused our in-flight event: re-base it, or give it up with the reason. */
  refused(reason, relayHead, knows, state, head) {
    if (this.inFlight === null) {
      this.refusals.push({ kind: null, reason });
      return [];
    }
    const intent = this.queue[0];
    if (reason === STALE_PARENT && intent.attempts < MAX_ATTEMPTS) {
      if (knows(relayHead)) {
        this.inFlight = null;
        return this.next(state, head);
      }
      this.rebaseOnto = relayHead;
      return [];
    }
    this.queue.shift();
    this.inFlight = null;
    this.refusals.push({ kind: intent.kind, reason });
    return this.next(state, head);
  }

  takeRefusals() {
    const refusals = this.refusals;
    this.refusals = [];
    return refusals;
  }

  get busy() {
    return this.inFlight !== null || this.queue.length > 0;
  }

  next(state, head) {
    if (this.inFlight !== null || this.rebaseOnto !== null) return [];
    while (this.queue.length > 0) {
      const intent = this.queue[0];
      const event = createEvent(intent.kind, this.roomId, head, this.authorSeed, intent.payload);
      try {
        apply(state, event);
      } catch (error) {
        if (!(error instanceof GovernanceError)) throw error;
        this.queue.shift();
        this.refusals.push({ kind: intent.kind, reason: error.code });
        continue;
      }
      intent.attempts += 1;
      this.inFlight = event;
      return [encodeEvent(event.raw)];
    }
    return [];
  }
}

/** Whether `id` (bytes) is among a resolution's accepted events. */
export function acceptedIn(resolution) {
  const ids = new Set(resolution.accepted.map((event) => toHex(event.id)));
  return (id) => ids.has(toHex(id));
}
