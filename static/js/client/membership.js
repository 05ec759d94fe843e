// A member's own copy of the room's governance: log, state, epochs and key duties.
// atopos_client/membership.py is the reference; both follow PROTOCOL §8.5-8.6.
// New epochs are sealed only to the X25519 keys the signed log binds to each listed member
// (the genesis, ADMIT, REDEEM or BIND): never to a key a hello, a KNOCK or the relay names.
import { concat, equal, fromHex, toHex, u32 } from '../protocol/codec.js';
import { GovernanceError } from '../protocol/governance/errors.js';
import { EventKind, eventId } from '../protocol/governance/events.js';
import { decodeInto, extend, resolveDecoded } from '../protocol/governance/forkchoice.js';
import { encode, parsePayload } from '../protocol/governance/payloads.js';
import { safetyPhrase } from './phrase.js';
import { buildKeyshare, buildRekey, openKeyshare, openRekey } from './rekey.js';
import { apply, initialState, isAdmin, stateHash } from '../protocol/governance/state.js';

export const STALLED_KICK_MS = 8_000; // another admin re-keys if the kicker has not by then

/** The id (hex) of the epoch `state` is in; epoch 0 has no REKEY, so its own id. */
function epochIdOf(state, epoch0) {
  if (state.epoch === 0) return toHex(epoch0.epochId);
  return toHex(concat(u32(state.epoch), state.epochConfirm.subarray(0, 8)));
}

export class Membership {
  /** `me` is { edPk, xPk, xSecret }; `epoch0` comes from the link and the server shard. */
  constructor(genesis, epoch0, me, nowMs) {
    this.genesis = genesis;
    this.genesisId = eventId(genesis.raw);
    this.me = me;
    this.meHex = toHex(me.edPk);
    this.roomId = genesis.body.roomId;
    this.epoch0 = epoch0;
    this.decoded = new Map(); // id hex -> decoded event
    this.malformed = new Map(); // id hex -> why it did not decode
    this.resolution = resolveDecoded(genesis, this.decoded, this.malformed);
    this.epochs = new Map([[toHex(epoch0.epochId), epoch0]]);
    this.adoptedMs = new Map([[toHex(epoch0.epochId), nowMs]]);
    this.processed = new Set();
    this.shared = new Set(); // `${recipient hex}:${epoch}` already given keys
    this.pendingRekey = null; // the epoch our own REKEY starts
    this.kickSeenMs = new Map();
    this.rekeyedKicks = new Set();
    this.problem = null; // 'not-a-recipient' or 'bad-rekey' while this member lacks the epoch
    // The highest epoch counter seen on an envelope we could not open: the room moved on
    // without us (a withheld REKEY), so we must not keep sending.
    this.newerEpochSeen = 0;
  }

  get state() {
    return this.resolution.state;
  }

  get head() {
    return this.resolution.head;
  }

  /** Two events share a parent: the relay showed members different logs. */
  get forked() {
    return this.resolution.forked;
  }

  get phrase() {
    return safetyPhrase(stateHash(this.state));
  }

  /** Every event this member refused, and why (hex id -> code), malformed ones included. */
  get rejected() {
    return new Map([...this.malformed, ...this.resolution.rejected]);
  }

  knows(head) {
    return equal(head, this.genesisId) || this.decoded.has(toHex(head));
  }

  /** Whether `head` is an event of our accepted chain before our own head (or the genesis
   *  while we have more): its holder lacks events we hold. */
  isBehind(head) {
    if (equal(head, this.head)) return false;
    if (equal(head, this.genesisId)) return this.resolution.accepted.length > 0;
    return this.resolution.accepted.some((event) => equal(event.id, head));
  }

  /** Every well-formed event held, accepted ones first, in order. */
  held() {
    const accepted = this.resolution.accepted.map((event) => event.raw);
    const ids = new Set(this.resolution.accepted.map((event) => toHex(event.id)));
    return [...accepted, ...[...this.decoded].filter(([id]) => !ids.has(id)).map(([, event]) => event.raw)];
  }

  /** Merge events; open new epochs; return the duties that follow ([{ kind, payload }]). */
  add(raws, nowMs) {
    const fresh = decodeInto(raws, this.decoded, this.malformed);
    if (fresh.length === 0) return [];
    let extended = this.resolution;
    let steps = [];
    for (const id of fresh) {
      const event = this.decoded.get(id);
      const before = extended?.state ?? null;
      extended = extended === null ? null : extend(extended, event);
      if (extended !== null && equal(extended.head, event.id)) steps.push([event, before, extended.state]);
    }
    if (extended !== null) {
      this.resolution = extended; // one chain, extended in place: no walk needed
    } else {
      this.resolution = resolveDecoded(this.genesis, this.decoded, this.malformed);
      steps = this.replay();
    }
    for (const [event, before, after] of steps) {
      const id = toHex(event.id);
      if (!this.processed.has(id)) {
        this.processed.add(id);
        this.follow(event, before, after, nowMs);
      }
    }
    return this.rekeyDuty(nowMs, 0);
  }

  /** Every accepted event not yet followed, with the states around it (after a full merge). */
  replay() {
    const steps = [];
    let state = initialState(this.genesis);
    for (const event of this.resolution.accepted) {
      const before = state;
      state = apply(state, event);
      if (!this.processed.has(toHex(event.id))) steps.push([event, before, state]);
    }
    return steps;
  }

  follow(event, before, after, nowMs) {
    const payload = parsePayload(event);
    if (event.kind === EventKind.REKEY) {
      this.takeRekey(event, payload, before, nowMs);
    } else if (event.kind === EventKind.KEYSHARE) {
      this.shared.add(`${toHex(payload.recipient)}:${payload.counter}`);
      if (equal(payload.recipient, this.me.edPk) && this.epochFor(after) === null) {
        try {
          this.take(openKeyshare(payload, this.roomId, this.me.edPk, this.me.xSecret, after.epochConfirm), nowMs);
        } catch (error) {
          if (!(error instanceof GovernanceError)) throw error;
          this.problem = 'bad-rekey'; // another admin may share again
        }
      }
    } else if (event.kind === EventKind.KICK) {
      const id = toHex(event.id);
      if (!this.kickSeenMs.has(id)) this.kickSeenMs.set(id, nowMs);
    }
  }

  takeRekey(event, payload, before, nowMs) {
    this.rekeyedKicks.add(toHex(payload.kickId));
    const mine = this.pendingRekey;
    if (equal(event.author, this.me.edPk) && mine !== null && equal(mine.confirm, payload.confirm)) {
      this.take(mine, nowMs);
      this.pendingRekey = null;
      return;
    }
    const previous = this.epochFor(before);
    if (previous === null) return; // we missed an earlier epoch; a hello asks an admin for the current one
    try {
      this.take(openRekey(payload, this.roomId, previous, this.me.edPk, this.me.xSecret), nowMs);
    } catch (error) {
      if (!(error instanceof GovernanceError)) throw error;
      this.problem = error.code === 'not-a-recipient' ? 'not-a-recipient' : 'bad-rekey';
    }
  }

  take(epoch, nowMs) {
    const id = toHex(epoch.epochId);
    this.epochs.set(id, epoch);
    if (!this.adoptedMs.has(id)) this.adoptedMs.set(id, nowMs);
    if (this.epochFor(this.state) !== null) this.problem = null;
  }

  // Epochs -------------------------------------------------------------------------

  /** The keys of the epoch `state` is in, if this member holds them. */
  epochFor(state) {
    return this.epochs.get(epochIdOf(state, this.epoch0)) ?? null;
  }

  get current() {
    return this.epochFor(this.state);
  }

  /** The newest epoch held: what a member behind on keys seals its hello in. */
  get latest() {
    return [...this.epochs.values()].reduce((a, b) => (b.counter > a.counter ? b : a));
  }

  /** When this member took the current epoch (null while it lacks it). */
  currentSinceMs() {
    const current = this.current;
    return current === null ? null : (this.adoptedMs.get(toHex(current.epochId)) ?? null);
  }

  /** An envelope sealed in an epoch we do not hold: true if it is newer than our log knows,
   *  so our log is missing events (and we stop sending until we catch up). */
  sawUnknownEpoch(counter) {
    if (counter <= this.state.epoch) return false;
    this.newerEpochSeen = Math.max(this.newerEpochSeen, counter);
    return true;
  }

  /** Others send in an epoch our log has not reached: a REKEY was kept from us. */
  get lagging() {
    return this.newerEpochSeen > this.state.epoch;
  }

  /** Nothing is sent after a kick until this member holds the new epoch, nor while others
   *  send in an epoch our log has not reached, nor after the room ended. */
  get sendingPaused() {
    const state = this.state;
    return state.ended || state.pendingKick !== null || this.current === null || this.lagging;
  }

  // Duties -------------------------------------------------------------------------

  /** Every listed member but us, with the X25519 key the log binds to it. */
  recipients() {
    const state = this.state;
    return [...state.members]
      .sort()
      .filter((key) => key !== this.meHex && !state.removed.has(key) && state.xKeys.has(key))
      .map((key) => ({ edPk: fromHex(key), xPk: state.xKeys.get(key) }));
  }

  /** Re-key for a kicker that went quiet (any admin holding the epoch may). */
  tick(nowMs) {
    return this.rekeyDuty(nowMs, STALLED_KICK_MS);
  }

  rekeyDuty(nowMs, stalledAfterMs) {
    const state = this.state;
    const current = this.current;
    const kick = state.pendingKick;
    if (kick === null || current === null || !isAdmin(state, this.meHex)) return [];
    const kickHex = toHex(kick);
    if (this.rekeyedKicks.has(kickHex) || this.pendingRekey !== null) return [];
    const kicker = toHex(this.decoded.get(kickHex).author);
    const waited = nowMs - (this.kickSeenMs.get(kickHex) ?? nowMs);
    if (kicker !== this.meHex && (stalledAfterMs === 0 || waited < stalledAfterMs)) return [];
    const { payload, epoch } = buildRekey(this.roomId, current, kick, this.me.xSecret, this.recipients());
    this.pendingRekey = epoch;
    return [{ kind: EventKind.REKEY, payload: encode.rekey(payload) }];
  }

  /** Our REKEY was refused (another admin's won): forget the epoch it would have started. */
  abandonRekey() {
    this.pendingRekey = null;
  }

  /** An admin gives the current epoch to a listed member whose hello came in an older one,
   *  sealed to the key the log binds to that member (whoever sent the hello). */
  helloDuties(senderHex, sealedIn) {
    const state = this.state;
    const current = this.current;
    if (current === null || this.sendingPaused || !isAdmin(state, this.meHex)) return [];
    if (sealedIn.counter >= current.counter || !this.isMember(senderHex)) return [];
    const key = `${senderHex}:${current.counter}`;
    if (this.shared.has(key) || senderHex === this.meHex) return [];
    this.shared.add(key);
    const recipient = { edPk: fromHex(senderHex), xPk: state.xKeys.get(senderHex) };
    const share = buildKeyshare(this.roomId, current, this.me.xSecret, recipient);
    return [{ kind: EventKind.KEYSHARE, payload: encode.keyshare(share) }];
  }

  // What the log means for messages ---------------------------------------------------

  /** A key (hex) the log lists and has not removed, in a room that has not ended. */
  isMember(keyHex) {
    const state = this.state;
    return state.members.has(keyHex) && !state.removed.has(keyHex) && !state.ended;
  }

  /** The X25519 key the log binds to a listed member (hex), or null. */
  boundKey(keyHex) {
    return this.isMember(keyHex) ? (this.state.xKeys.get(keyHex) ?? null) : null;
  }

  acceptsFrom(senderHex) {
    return this.isMember(senderHex);
  }
}
