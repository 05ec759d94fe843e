// A room's governance state and the rules that move it (PROTOCOL §8.3), as in atopos_protocol/governance/state.py.
import { concat, equal, fromHex, toHex, u16, u32, u64, u8 } from '../codec.js';
import { bindingValid, linkSigValid, x25519Usable } from '../binding.js';
import { isValidPoint } from '../crypto.js';
import { Label, unkeyedHash } from '../labels.js';
import { GovernanceError } from './errors.js';
import { EventKind, MALFORMED } from './events.js';
import { JOIN_RULES } from '../join-rules.js';
import { MAX_TICKET_USES, parsePayload } from './payloads.js';
import { redeemValid } from './tickets.js';

export const NOT_AN_ADMIN = 1_000_000;
// Keys a room lists over its whole life: a REKEY seals to each, and must stay one event.
export const MAX_MEMBERS = 256;
// The log after the genesis. END_ROOM is always accepted, so a full log can still end.
export const MAX_LOG_EVENTS = 2048;
export const MAX_LOG_BYTES = 2 * 1024 * 1024;

/** The state the genesis creates (from a decoded genesis). */
export function initialState(genesis) {
  const owner = toHex(genesis.body.ownerEdPk);
  return Object.freeze({
    roomId: genesis.body.roomId,
    authPk: genesis.body.authPk, // vouches for every bound member key
    owner,
    admins: [],
    members: new Set([owner]),
    xKeys: new Map([[owner, genesis.body.ownerXPk]]),
    removed: new Set(),
    joinRule: genesis.body.joinRule,
    cap: 0,
    locked: false,
    ended: false,
    invites: new Map(),
    epoch: 0,
    epochConfirm: new Uint8Array(0),
    pendingKick: null,
    logEvents: 0, // events accepted after the genesis (not part of the state hash)
    logBytes: 0,
  });
}

/** Member keys are hex strings inside the state. */
export function isAdmin(state, key) {
  return key === state.owner || state.admins.includes(key);
}

export function seniority(state, key) {
  if (key === state.owner) return 0;
  const index = state.admins.indexOf(key);
  return index >= 0 ? index + 1 : NOT_AN_ADMIN;
}

/** Whether a member key (hex) may be in the room. */
export function mayJoin(state, key) {
  if (state.ended || state.removed.has(key)) return false;
  return (state.joinRule === 'open' && !state.locked) || state.members.has(key);
}

/** Canonical state bytes, byte for byte those of RoomState.encode. */
export function encodeState(state) {
  const keys = (set) => [...set].sort().map(fromHex);
  const invites = [...state.invites.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([pk, i]) => concat(fromHex(pk), u16(i.uses), u16(i.used), u64(i.expiresAtMs), u8(i.revoked ? 1 : 0)));
  const confirm = new Uint8Array(32);
  confirm.set(state.epochConfirm);
  return concat(
    state.roomId,
    fromHex(state.owner),
    u16(state.admins.length),
    ...state.admins.map(fromHex),
    u16(state.members.size),
    ...keys(state.members),
    u16(state.removed.size),
    ...keys(state.removed),
    u8(JOIN_RULES.indexOf(state.joinRule)),
    u16(state.cap),
    u8(state.locked ? 1 : 0),
    u8(state.ended ? 1 : 0),
    u32(state.epoch),
    confirm,
    u16(state.invites.size),
    ...invites,
    // Every listed key's bound X25519 key and the kick awaiting a re-key: two states
    // that differ only in these must not share a phrase (spec/ForkChoice.tla).
    u16(state.xKeys.size),
    ...[...state.xKeys.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([member, xPk]) => concat(fromHex(member), xPk)),
    state.pendingKick ?? new Uint8Array(32),
  );
}

export function stateHash(state) {
  return unkeyedHash(Label.STATE, encodeState(state));
}

function require(condition, code) {
  if (!condition) throw new GovernanceError(code);
}

function change(state, fields) {
  return Object.freeze({ ...state, ...fields });
}

function admitKey(state, member, xPk) {
  require(!state.locked, 'room-locked');
  require(!state.removed.has(member), 'member-removed');
  require(!state.members.has(member), 'already-member');
  const limit = state.cap === 0 ? MAX_MEMBERS : Math.min(state.cap, MAX_MEMBERS);
  require(state.members.size < limit, 'room-full');
  return change(state, { members: new Set([...state.members, member]), xKeys: new Map([...state.xKeys, [member, xPk]]) });
}

/** Only keys the log lists can be kicked, promoted or sent new keys. */
function listed(state, key) {
  require(!state.removed.has(key), 'member-removed');
  require(state.members.has(key), 'not-a-member');
}

/** The state after `event`, or GovernanceError naming the rule it breaks. */
export function apply(state, event) {
  if (event.kind !== EventKind.END_ROOM) {
    require(state.logEvents < MAX_LOG_EVENTS, 'log-full');
    require(state.logBytes + event.raw.length <= MAX_LOG_BYTES, 'log-full');
  }
  const after = applyRules(state, event);
  return change(after, { logEvents: state.logEvents + 1, logBytes: state.logBytes + event.raw.length });
}

function applyRules(state, event) {
  require(equal(event.roomId, state.roomId), 'wrong-room');
  require(!state.ended, 'room-ended');
  const author = toHex(event.author);
  require(!state.removed.has(author), 'author-removed');
  const payload = parsePayload(event);
  const kind = event.kind;
  if (kind === EventKind.REDEEM) return redeem(state, author, payload, event);
  if (kind === EventKind.BIND) return bind(state, author, payload, event);
  if (kind === EventKind.END_ROOM) {
    require(author === state.owner, 'not-authorized');
    return change(state, { ended: true });
  }
  require(isAdmin(state, author), 'not-authorized');
  switch (kind) {
    case EventKind.ADMIT:
      require(isValidPoint(payload.member), MALFORMED);
      require(bindingValid(payload.binding, state.roomId, state.authPk, payload.member), 'bad-binding');
      return admitKey(state, toHex(payload.member), payload.xPk);
    case EventKind.INVITE: {
      const pk = toHex(payload.ticketPk);
      require(!state.locked, 'room-locked');
      require(payload.uses >= 1 && payload.uses <= MAX_TICKET_USES, MALFORMED);
      require(isValidPoint(payload.ticketPk), MALFORMED);
      require(!state.invites.has(pk), 'duplicate-invite');
      const ticket = Object.freeze({ uses: payload.uses, used: 0, expiresAtMs: payload.expiresAtMs, revoked: false });
      return change(state, { invites: new Map([...state.invites, [pk, ticket]]) });
    }
    case EventKind.REVOKE_INVITE: {
      const pk = toHex(payload.ticketPk);
      const current = state.invites.get(pk);
      require(current !== undefined, 'unknown-invite');
      require(!current.revoked, 'invite-revoked');
      return change(state, { invites: new Map([...state.invites, [pk, Object.freeze({ ...current, revoked: true })]]) });
    }
    case EventKind.KICK:
      return kick(state, author, payload, event);
    case EventKind.PROMOTE: {
      const target = toHex(payload.target);
      listed(state, target);
      require(!isAdmin(state, target), 'already-admin');
      return change(state, { admins: [...state.admins, target] });
    }
    case EventKind.DEMOTE: {
      const target = toHex(payload.target);
      require(state.admins.includes(target), 'not-admin');
      require(seniority(state, author) < seniority(state, target), 'not-authorized');
      return change(state, { admins: state.admins.filter((a) => a !== target) });
    }
    case EventKind.SET_JOIN_RULE:
      require(!state.locked, 'room-locked');
      return change(state, { joinRule: payload.rule, cap: payload.cap });
    case EventKind.LOCK:
      require(!state.locked, 'room-locked');
      return change(state, { locked: true });
    case EventKind.REKEY:
      return rekey(state, payload);
    default: {
      require(payload.counter === state.epoch, 'wrong-epoch');
      const recipient = toHex(payload.recipient);
      listed(state, recipient);
      // Sealed to the key the log binds, never to one a hello or the relay named.
      const bound = state.xKeys.get(recipient);
      require(bound !== undefined && equal(bound, payload.recipientXPk), 'wrong-key');
      return state;
    }
  }
}

/** An open room lists a newcomer on its own word, vouched for by the link's auth key. */
function bind(state, author, payload, event) {
  require(state.joinRule === 'open' && !state.locked, 'not-open');
  require(!state.members.has(author), 'already-member');
  require(x25519Usable(payload.xPk), 'bad-binding');
  require(linkSigValid(state.authPk, state.roomId, event.author, payload.xPk, payload.linkSig), 'bad-binding');
  return admitKey(state, author, payload.xPk);
}

function redeem(state, author, payload, event) {
  const pk = toHex(payload.ticketPk);
  const ticket = state.invites.get(pk);
  require(ticket !== undefined, 'unknown-invite');
  require(!ticket.revoked, 'invite-revoked');
  require(payload.timeMs <= ticket.expiresAtMs, 'invite-expired');
  require(ticket.used < ticket.uses, 'ticket-used');
  require(x25519Usable(payload.xPk), 'bad-binding');
  require(redeemValid(payload.ticketPk, payload.ticketSignature, event.roomId, event.author, payload.xPk, payload.timeMs), 'bad-ticket');
  const admitted = admitKey(state, author, payload.xPk);
  const used = Object.freeze({ ...ticket, used: ticket.used + 1 });
  return change(admitted, { invites: new Map([...admitted.invites, [pk, used]]) });
}

function kick(state, author, payload, event) {
  const target = toHex(payload.target);
  require(target !== state.owner, 'cannot-kick-owner');
  require(target !== author, 'cannot-kick-self');
  require(!state.removed.has(target), 'already-removed');
  require(state.members.has(target), 'not-a-member');
  if (state.admins.includes(target)) require(seniority(state, author) < seniority(state, target), 'not-authorized');
  let joinRule = state.joinRule;
  if (payload.newRule !== null) {
    require(!state.locked, 'room-locked');
    joinRule = payload.newRule;
  }
  const members = new Set(state.members);
  members.delete(target);
  const xKeys = new Map(state.xKeys);
  xKeys.delete(target);
  return change(state, {
    admins: state.admins.filter((a) => a !== target),
    members,
    xKeys,
    removed: new Set([...state.removed, target]),
    joinRule,
    pendingKick: event.id,
  });
}

function rekey(state, payload) {
  require(payload.counter === state.epoch + 1, 'wrong-epoch');
  require(state.pendingKick !== null && equal(payload.kickId, state.pendingKick), 'no-kick');
  const recipients = payload.entries.map((entry) => toHex(entry.recipient));
  require(recipients.length <= MAX_MEMBERS, MALFORMED);
  require(new Set(recipients).size === recipients.length, MALFORMED);
  require(!recipients.some((key) => state.removed.has(key)), 'rekey-to-removed');
  require(recipients.every((key) => state.members.has(key)), 'not-a-member');
  return change(state, { epoch: payload.counter, epochConfirm: payload.confirm, pendingKick: null });
}
