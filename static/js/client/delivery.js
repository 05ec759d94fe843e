// Reliable chat delivery without a server-side store (PROTOCOL §4.5). No I/O, no DOM; the twin
// of atopos_client/delivery.py.
//
// The relay acknowledges each envelope once it has fanned it out; a sender keeps its messages
// until then and sends them again, in new envelopes with the same message id, after
// reconnecting. Its recent messages stay in memory (bounded below) so that a member who was
// away can ask for what it missed (a SYNC naming the last message it holds from each sender),
// and each sender answers for its own messages. Receivers show each message once, in its
// sender's order, and say how many messages of a sender they could not recover: the numbers a
// sender gives its messages make a gap countable.
//
// Senders are member ids (hex of the Ed25519 key) here, so that they can key Maps; message ids
// are Numbers (Unix milliseconds, well below 2^53, as codec.js reads every u64).
import { fromHex, toHex, utf8 } from '../protocol/codec.js';
import { chatMessage, sameMessage } from './messages.js';

// What a sender keeps to answer SYNCs: its last 200 messages, at most 256 KiB of text.
export const HISTORY_MESSAGES = 200;
export const HISTORY_BYTES = 256 * 1024;
// How long a receiver waits for a missing message whose sender does not answer (it may be
// reconnecting itself: a relay that dies tells nobody its members left). A sender that answers
// ends its answer with SYNCED, and what is still missing is shown as a gap at once.
export const ABSENT_WAIT_MS = 60_000;
// Messages a receiver keeps waiting behind a missing one, per sender; one more shows the gap.
export const HELD_PER_SENDER = 64;
// Ids of shown messages remembered per sender, to show each message once; older ones fall
// below the chain's baseline (copies of those are refused by their age, §4.4).
export const SHOWN_IDS_KEPT = 4096;
// Resends a sender makes in answer to SYNCs, per window: a member asking again and again
// cannot make others exhaust their relay rate limit (PROTOCOL §6).
export const ANSWER_MESSAGES = 32;
export const ANSWER_WINDOW_MS = 10_000;
// Syncs that arrive within this long of an answer are answered together, once: an answer
// reaches the whole room, and after a relay restart every member asks at once.
export const ANSWER_COALESCE_MS = 2_000;
// A resend or an answer may be older than the relay's replay window, never older than the
// receiver's admission (with the clock allowance live envelopes get, §4.4).
export const ADMISSION_ALLOWANCE_MS = 30_000;

const textBytes = (text) => utf8(text).length;

/** A complete answer: everything held after `afterId` went again, for `askers` (member ids). */
export function answered(afterId, askers) {
  return Object.freeze({ afterId, askers });
}

/** This member's chat messages: numbered, kept until the relay acknowledges them, and the
 *  recent ones kept to answer SYNCs. */
export class SentMessages {
  constructor() {
    this.history = [];
    this.historyBytes = 0;
    this.lastId = 0;
    this.lastNumber = 0;
    this.pending = new Map(); // id -> message, in sending order
    this.envelopes = new Map(); // hex nonce of an envelope on this connection -> message id
    this.answered = []; // times of recent answers' resends
    this.owedAfter = null; // members asked for what follows this id
    this.askers = new Set(); // member ids of who asked, in order, since the last answer
    this.lastAnswerMs = -ANSWER_COALESCE_MS;
  }

  /** The next message: its id is the seq of the envelope that first carries it. */
  compose(text, seq, nowMs) {
    const message = chatMessage(seq, this.lastNumber + 1, this.lastId, nowMs, text);
    this.lastId = message.id;
    this.lastNumber = message.number;
    this.pending.set(message.id, message);
    this.history.push(message);
    this.historyBytes += textBytes(text);
    while (this.history.length > HISTORY_MESSAGES || this.historyBytes > HISTORY_BYTES) {
      this.historyBytes -= textBytes(this.history.shift().text);
    }
    return message;
  }

  /** `message` left in the envelope with `nonce`. */
  carried(nonce, message) {
    if (this.pending.has(message.id)) this.envelopes.set(toHex(nonce), message.id);
  }

  /** The relay fanned out the envelope with `nonce`: its message is delivered. */
  acknowledged(nonce) {
    const key = toHex(nonce);
    const messageId = this.envelopes.get(key);
    if (messageId === undefined) return;
    this.envelopes.delete(key);
    this.pending.delete(messageId);
  }

  /** Envelopes on a closed connection will never be acknowledged. */
  connectionLost() {
    this.envelopes.clear();
  }

  /** Pending messages that no envelope on this connection carries (send them again). */
  unsent() {
    const carried = new Set(this.envelopes.values());
    return [...this.pending.values()].filter((message) => !carried.has(message.id));
  }

  /** `asker` (a member id) wants our messages after the one `entry` names. */
  asked(asker, entry) {
    this.owedAfter = this.owedAfter === null ? entry.afterId : Math.min(this.owedAfter, entry.afterId);
    this.askers.add(asker);
  }

  /** [messages, answeredOrNull]: what we owe askers, as much as the answer budget allows (the
   *  rest in a later window), and once the answer is complete, whom it answered from which id
   *  (send SYNCED), else null. `atOnce`: a sync just came; unless an answer went out moments
   *  ago (the timer then answers everyone asking meanwhile, once). */
  owed(nowMs, atOnce = false) {
    const after = this.owedAfter;
    if (after === null || (atOnce && nowMs - this.lastAnswerMs < ANSWER_COALESCE_MS)) return [[], null];
    while (this.answered.length > 0 && nowMs - this.answered[0] >= ANSWER_WINDOW_MS) this.answered.shift();
    const budget = Math.max(0, ANSWER_MESSAGES - this.answered.length);
    const wanted = this.history.filter((message) => message.id > after);
    const chosen = wanted.slice(0, budget);
    this.lastAnswerMs = nowMs;
    for (let i = 0; i < chosen.length; i += 1) this.answered.push(nowMs);
    if (chosen.length < wanted.length) {
      this.owedAfter = chosen.length > 0 ? chosen[chosen.length - 1].id : after;
      return [chosen, null];
    }
    const askers = [...this.askers];
    this.askers = new Set();
    this.owedAfter = null;
    return [chosen, answered(after, askers)];
  }
}

/** Show `message` from `sender` now (`late`: after a gap was shown for it). */
export function shown(sender, message, late = false) {
  return Object.freeze({ type: 'shown', sender, message, late });
}

/** `count` messages from `sender` could not be recovered; show a gap here. */
export function missed(sender, count) {
  return Object.freeze({ type: 'missed', sender, count });
}

/**
 * What a receiver knows of one sender's messages.
 *
 * Any member can seal a message in another's name (chat is deniable), so nothing here is a
 * high-water mark a forgery could raise: a message is a copy only if its exact id was shown,
 * and it is in order when the message it names as its predecessor was shown. A forgery can
 * show itself and a false gap, never hide a real message.
 */
export class Chain {
  constructor(baselineId, topNumber = 0) {
    this.baselineId = baselineId; // messages up to this id were sent before we followed this sender
    this.shown = new Map(); // id -> number, oldest first
    this.forgottenBelow = 0; // ids of shown messages we no longer keep are at most this
    this.held = new Map(); // prev id -> message waiting
    this.expected = null; // a hello's [last id, number] we have not seen
    this.waitingSince = null;
    this.askedMs = null; // when we asked the sender (null: not yet)
    this.topNumber = topNumber; // the highest number shown or passed
  }

  known(messageId) {
    return messageId === 0 || messageId <= this.baselineId || this.shown.has(messageId);
  }

  remember(message) {
    this.shown.set(message.id, message.number);
    this.topNumber = Math.max(this.topNumber, message.number);
    if (this.shown.size > SHOWN_IDS_KEPT) {
      const oldest = this.shown.keys().next().value;
      this.shown.delete(oldest);
      this.forgottenBelow = Math.max(this.forgottenBelow, oldest);
    }
  }

  /** Shown before (or so long ago that we no longer keep its id). */
  copy(message) {
    return this.shown.has(message.id) || message.id <= this.forgottenBelow;
  }

  missing() {
    return this.held.size > 0 || this.expected !== null;
  }

  stopWaiting() {
    this.waitingSince = null;
    this.askedMs = null;
  }

  /** The message [id, number] a sync names: the last shown before the first message we wait
   *  for, not the highest id shown, which a forgery a minute ahead could be (asking after it
   *  would keep the sender from resending what we lack). */
  askAfter() {
    const missing = [...this.held.keys(), ...(this.expected !== null ? [this.expected[0]] : [])];
    const below = missing.length > 0 ? Math.min(...missing) : null;
    const shown = [...this.shown.keys()].filter((key) => below === null || key < below);
    if (shown.length > 0) {
      const last = Math.max(...shown);
      return [last, this.shown.get(last)];
    }
    if (this.baselineId && (below === null || this.baselineId < below)) return [this.baselineId, Math.max(1, this.topNumber)];
    return [0, 0];
  }
}

/** Orders, de-duplicates and gap-checks the chat messages a member receives. */
export class Inbox {
  constructor(admittedMs) {
    this.earliestMs = admittedMs - ADMISSION_ALLOWANCE_MS;
    this.chains = new Map(); // sender id -> Chain
  }

  /** A hello says the last message its sender sent: a baseline, or news of a gap. */
  hello(sender, lastId, lastNumber, nowMs) {
    const chain = this.chains.get(sender);
    if (chain === undefined) {
      this.chains.set(sender, new Chain(lastId, lastNumber));
      return;
    }
    if (chain.waitingSince !== null) {
      // Back from away: ask again (what we asked before may have found it gone).
      chain.askedMs = null;
    }
    if (chain.known(lastId) || lastNumber <= chain.topNumber) return; // nothing we lack (or a restarted sender: its next message says so)
    chain.expected = [lastId, lastNumber];
    this.wait(chain, nowMs);
  }

  /** What to show now that `message` arrived (nothing for a copy already shown). */
  accept(sender, message, nowMs) {
    let chain = this.chains.get(sender);
    if (chain === undefined) {
      // First contact: nothing before this message is owed to us.
      chain = new Chain(message.prev);
      this.chains.set(sender, chain);
    }
    const waiting = chain.held.get(message.prev);
    if (chain.copy(message) || (waiting !== undefined && sameMessage(waiting, message))) return [];
    if (!chain.known(message.prev)) {
      chain.held.set(message.prev, message);
      if (chain.held.size > HELD_PER_SENDER) return this.giveUp(sender, chain);
      this.wait(chain, nowMs);
      return [];
    }
    const late = message.number < chain.topNumber;
    const deliveries = this.show(sender, chain, message, late);
    if (chain.expected !== null && chain.known(chain.expected[0])) chain.expected = null;
    if (!chain.missing()) chain.stopWaiting();
    return deliveries;
  }

  /** A message we will not show (a removed member could read it): never show a copy, and let
   *  the messages that waited for it follow on. */
  passOver(sender, message) {
    let chain = this.chains.get(sender);
    if (chain === undefined) {
      chain = new Chain(message.prev);
      this.chains.set(sender, chain);
    }
    chain.remember(message);
    const following = chain.held.get(message.id);
    if (following === undefined) return [];
    chain.held.delete(message.id);
    return this.show(sender, chain, following, following.number < chain.topNumber);
  }

  /** `sender` has sent again all it holds after `afterId`: if that covers what we wait for,
   *  what is still missing is gone (the resends came before this, in order). */
  synced(sender, afterId) {
    const chain = this.chains.get(sender);
    if (chain === undefined || chain.waitingSince === null || afterId > chain.askAfter()[0]) return [];
    return this.giveUp(sender, chain);
  }

  /** Senders we wait on and have not asked yet (mark them asked). */
  toAsk(nowMs) {
    const senders = [];
    for (const [sender, chain] of this.chains) {
      if (chain.waitingSince !== null && chain.askedMs === null) {
        chain.askedMs = nowMs;
        senders.push(sender);
      }
    }
    return senders;
  }

  /** SYNC entries: the last message we hold from each of `senders`. */
  entries(senders) {
    return senders.map((sender) => {
      const chain = this.chains.get(sender);
      const [afterId, afterNumber] = chain !== undefined ? chain.askAfter() : [0, 0];
      return { sender: fromHex(sender), afterId, afterNumber };
    });
  }

  /** Gaps we waited on long enough: shown as gaps, and what waited behind them. */
  due(nowMs) {
    const deliveries = [];
    for (const [sender, chain] of this.chains) {
      const since = chain.waitingSince;
      if (since !== null && nowMs - since >= ABSENT_WAIT_MS) deliveries.push(...this.giveUp(sender, chain));
    }
    return deliveries;
  }

  wait(chain, nowMs) {
    if (chain.waitingSince === null) {
      chain.waitingSince = nowMs;
      chain.askedMs = null;
    }
  }

  /** Show `message` and whatever waited for it, in its sender's order. */
  show(sender, chain, first, firstLate) {
    const deliveries = [];
    let message = first;
    let late = firstLate;
    for (;;) {
      chain.remember(message);
      if (message.sentMs >= this.earliestMs) deliveries.push(shown(sender, message, late)); // else sent before we were let in
      const following = chain.held.get(message.id);
      if (following === undefined) return deliveries;
      chain.held.delete(message.id);
      message = following;
      late = following.number < chain.topNumber;
    }
  }

  giveUp(sender, chain) {
    const deliveries = [];
    const order = [...chain.held.keys()].sort((a, b) => chain.held.get(a).number - chain.held.get(b).number);
    for (const prev of order) {
      const message = chain.held.get(prev);
      if (message === undefined) continue; // shown meanwhile, behind one shown just before
      chain.held.delete(prev);
      deliveries.push(missed(sender, missedBefore(chain, message.number)));
      deliveries.push(...this.show(sender, chain, message, message.number < chain.topNumber));
    }
    if (chain.expected !== null && !chain.known(chain.expected[0])) {
      deliveries.push(missed(sender, missedBefore(chain, chain.expected[1] + 1)));
      chain.topNumber = Math.max(chain.topNumber, chain.expected[1]);
    }
    chain.expected = null;
    chain.stopWaiting();
    return deliveries;
  }
}

/** How many numbers lie between what we showed and `number` (at least 1: the numbers of a
 *  forged message are its forger's word). */
function missedBefore(chain, number) {
  return Math.max(1, number - chain.topNumber - 1);
}
