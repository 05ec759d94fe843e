// A member's own copy of the room's governance: log, state, epochs and key duties.
// rooms/client/membership.py is the reference; both follow PROTOCOL §8.5-8.6.
import { concat, equal, fromHex, toHex, u32 } from '../bytes.js';
import { GovernanceError } from './errors.js';
import { EventKind, decodeEvent, eventId } from './events.js';
import { resolve } from './forkchoice.js';
import { encode, parsePayload } from './payloads.js';
import { safetyPhrase } from './phrase.js';
import { buildKeyshare, buildRekey, openKeyshare, openRekey } from './rekey.js';
import { apply, initialState, isAdmin, stateHash } from './state.js';

export const STALLED_KICK_MS = 8_000; // another admin re-keys if the kicker has not by then

/** The id (hex) of the epoch `state` is in; epoch 0 has no REKEY, so its own id. */
function epochIdOf(state, epoch0) {
  if (state.epoch === 0) return toHex(epoch0.epochId);
  return toHex(concat(u32(state.epoch), state.epochConfirm.subarray(0, 8)));
}

export class Membership {
  /** `me` is { edPk, xPk, xSecret }; `epoch0` comes from the link and the server shard. */
  constructor(genesis, epoch0, me) {
    this.genesis = genesis;
    this.me = me;
    this.meHex = toHex(me.edPk);
    this.roomId = genesis.body.roomId;
    this.epoch0 = epoch0;
    this.events = new Map(); // id hex -> raw
    this.resolution = resolve(genesis, []);
    this.epochs = new Map([[toHex(epoch0.epochId), epoch0]]);
    this.processed = new Set();
    this.shared = new Set(); // `${recipient hex}:${epoch}` already given keys
    this.seenWhileOpen = new Set();
    this.pendingRekey = null; // the epoch our own REKEY starts
    this.kickSeenMs = new Map();
    this.rekeyedKicks = new Set();
    this.problem = null; // 'not-a-recipient' or 'bad-rekey' while this member lacks the epoch
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

  knows(head) {
    return equal(head, eventId(this.genesis.raw)) || this.events.has(toHex(head));
  }

  /** Every well-formed event held, accepted ones first, in order. */
  held() {
    const accepted = this.resolution.accepted.map((event) => event.raw);
    const ids = new Set(this.resolution.accepted.map((event) => toHex(event.id)));
    return [...accepted, ...[...this.events.entries()].filter(([id]) => !ids.has(id)).map(([, raw]) => raw)];
  }

  /** Merge events; open new epochs; return the duties that follow ([{ kind, payload }]).
   *  `online` maps members (hex) whose hello carried a valid bind tag to their X25519 keys. */
  add(raws, online, nowMs) {
    const fresh = raws.filter((raw) => !this.events.has(toHex(eventId(raw))));
    for (const raw of fresh) this.events.set(toHex(eventId(raw)), raw);
    if (fresh.length === 0) return [];
    this.resolution = resolve(this.genesis, [...this.events.values()]);
    let state = initialState(this.genesis);
    for (const event of this.resolution.accepted) {
      const before = state;
      state = apply(state, event);
      const id = toHex(event.id);
      if (!this.processed.has(id)) {
        this.processed.add(id);
        this.follow(event, before, state, nowMs);
      }
    }
    return this.rekeyDuty(online, nowMs, 0);
  }

  follow(event, before, after, nowMs) {
    const payload = parsePayload(event);
    if (event.kind === EventKind.REKEY) {
      this.takeRekey(event, payload, before);
    } else if (event.kind === EventKind.KEYSHARE) {
      this.shared.add(`${toHex(payload.recipient)}:${payload.counter}`);
      if (equal(payload.recipient, this.me.edPk) && this.epochFor(after) === null) {
        try {
          this.take(openKeyshare(payload, this.roomId, this.me.edPk, this.me.xSecret, after.epochConfirm));
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

  takeRekey(event, payload, before) {
    this.rekeyedKicks.add(toHex(payload.kickId));
    const mine = this.pendingRekey;
    if (equal(event.author, this.me.edPk) && mine !== null && equal(mine.confirm, payload.confirm)) {
      this.take(mine);
      this.pendingRekey = null;
      return;
    }
    const previous = this.epochFor(before);
    if (previous === null) return; // we missed an earlier epoch; a hello asks an admin for the current one
    try {
      this.take(openRekey(payload, this.roomId, previous, this.me.edPk, this.me.xSecret));
    } catch (error) {
      if (!(error instanceof GovernanceError)) throw error;
      this.problem = error.code === 'not-a-recipient' ? 'not-a-recipient' : 'bad-rekey';
    }
  }

  take(epoch) {
    this.epochs.set(toHex(epoch.epochId), epoch);
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

  /** After a kick, nothing is sent until this member holds the new epoch. */
  get sendingPaused() {
    return this.state.pendingKick !== null || this.current === null;
  }

  // Duties -------------------------------------------------------------------------

  /** Re-key for a kicker that went quiet (any admin holding the epoch may). */
  tick(online, nowMs) {
    return this.rekeyDuty(online, nowMs, STALLED_KICK_MS);
  }

  rekeyDuty(online, nowMs, stalledAfterMs) {
    const state = this.state;
    const current = this.current;
    const kick = state.pendingKick;
    if (kick === null || current === null || !isAdmin(state, this.meHex)) return [];
    const kickHex = toHex(kick);
    if (this.rekeyedKicks.has(kickHex) || this.pendingRekey !== null) return [];
    const kicker = toHex(decodeEvent(this.events.get(kickHex)).author);
    const waited = nowMs - (this.kickSeenMs.get(kickHex) ?? nowMs);
    if (kicker !== this.meHex && (stalledAfterMs === 0 || waited < stalledAfterMs)) return [];
    const recipients = [...online.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .filter(([key]) => key !== this.meHex && this.isMember(key))
      .map(([key, xPk]) => ({ edPk: fromHex(key), xPk }));
    const { payload, epoch } = buildRekey(this.roomId, current, kick, this.me.xSecret, recipients);
    this.pendingRekey = epoch;
    return [{ kind: EventKind.REKEY, payload: encode.rekey(payload) }];
  }

  /** Our REKEY was refused (another admin's won): forget the epoch it would have started. */
  abandonRekey() {
    this.pendingRekey = null;
  }

  /** An admin gives the current epoch to a member whose hello came in an older one. */
  helloDuties(senderHex, xPk, sealedIn) {
    const state = this.state;
    const current = this.current;
    if (current === null || this.sendingPaused || !isAdmin(state, this.meHex)) return [];
    if (sealedIn.counter >= current.counter || !this.isMember(senderHex)) return [];
    const key = `${senderHex}:${current.counter}`;
    if (this.shared.has(key) || senderHex === this.meHex) return [];
    this.shared.add(key);
    const share = buildKeyshare(this.roomId, current, this.me.xSecret, { edPk: fromHex(senderHex), xPk });
    return [{ kind: EventKind.KEYSHARE, payload: encode.keyshare(share) }];
  }

  // What the log means for messages ---------------------------------------------------

  /** Remember who said hello while the room was open (no admission event lists them). */
  sawHello(senderHex) {
    if (this.state.joinRule === 'open' && !this.state.locked) this.seenWhileOpen.add(senderHex);
  }

  /** Anyone in an open room; otherwise listed keys and those seen while it was open; never a removed key. */
  isMember(keyHex) {
    const state = this.state;
    if (state.removed.has(keyHex) || state.ended) return false;
    if (state.joinRule === 'open' && !state.locked) return true;
    return state.members.has(keyHex) || this.seenWhileOpen.has(keyHex);
  }

  acceptsFrom(senderHex) {
    return this.isMember(senderHex);
  }
}
