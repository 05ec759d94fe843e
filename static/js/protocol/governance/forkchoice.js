// From any set of events to one state: the merge rule every member applies (PROTOCOL §8.5).
// atopos_protocol/governance/forkchoice.py is the reference.
import { equal, toHex } from '../codec.js';
import { GovernanceError } from './errors.js';
import { REVOCATIONS, decodeEvent, eventId } from './events.js';
import { apply, initialState, seniority } from './state.js';

export const DROPPED_ANCESTOR = 'dropped-ancestor';

function compareKeys(a, b) {
  for (let i = 0; i < 2; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

function orderKey(event, state) {
  return [REVOCATIONS.has(event.kind) ? 0 : 1, seniority(state, toHex(event.author)), toHex(event.id)];
}

/**
 * Decode (and verify) each event not seen before into `events` (hex id -> event), or note
 * why it fails in `malformed`; returns the hex ids of the new, valid ones. Signature checks
 * are the costly part of merging: each event is checked once.
 */
export function decodeInto(rawEvents, events, malformed) {
  const fresh = [];
  for (const raw of rawEvents) {
    const id = toHex(eventId(raw));
    if (events.has(id) || malformed.has(id)) continue;
    try {
      events.set(id, decodeEvent(raw));
      fresh.push(id);
    } catch (error) {
      if (!(error instanceof GovernanceError)) throw error;
      malformed.set(id, error.code);
    }
  }
  return fresh;
}

/**
 * { state, accepted, rejected, orphans, head, forked, malformed } for `rawEvents` in any
 * order. `genesis` is the decoded genesis; ids in `rejected` and `orphans` are hex.
 */
export function resolve(genesis, rawEvents) {
  const events = new Map();
  const malformed = new Map();
  decodeInto(rawEvents, events, malformed);
  return resolveDecoded(genesis, events, malformed);
}

/** `resolve` over events already decoded (hex id -> event) and those that failed to. */
export function resolveDecoded(genesis, decoded, malformed) {
  const root = toHex(eventId(genesis.raw));
  const events = new Map([...decoded].filter(([id]) => id !== root));
  const rejected = new Map([...malformed].filter(([id]) => id !== root));
  const children = new Map();
  for (const event of events.values()) {
    const parent = toHex(event.parent);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(event);
  }
  const forked = [...children.values()].some((siblings) => siblings.length > 1);

  let state = initialState(genesis);
  const valid = new Set([root]);
  const accepted = [];
  const ready = [...(children.get(root) ?? [])];
  const reached = new Set(ready.map((event) => toHex(event.id)));
  while (ready.length > 0) {
    let best = 0;
    for (let i = 1; i < ready.length; i += 1) {
      if (compareKeys(orderKey(ready[i], state), orderKey(ready[best], state)) < 0) best = i;
    }
    const [event] = ready.splice(best, 1);
    const id = toHex(event.id);
    if (!valid.has(toHex(event.parent))) {
      rejected.set(id, DROPPED_ANCESTOR);
    } else {
      try {
        state = apply(state, event);
        accepted.push(event);
        valid.add(id);
      } catch (error) {
        if (!(error instanceof GovernanceError)) throw error;
        rejected.set(id, error.code);
      }
    }
    for (const child of children.get(id) ?? []) {
      const childId = toHex(child.id);
      if (!reached.has(childId)) {
        reached.add(childId);
        ready.push(child);
      }
    }
  }
  const orphans = new Set([...events.keys()].filter((id) => !reached.has(id)));
  const head = accepted.length ? accepted[accepted.length - 1].id : eventId(genesis.raw);
  const walkedOut = new Set([...malformed.keys()].filter((id) => id !== root));
  return { state, accepted, rejected, orphans, head, forked, malformed: walkedOut };
}

/** A single chain with every event accepted: a child of the head extends it as is. */
export function isClean(resolution) {
  if (resolution.orphans.size > 0 || resolution.forked) return false;
  return [...resolution.rejected.keys()].every((id) => resolution.malformed.has(id));
}

/**
 * The resolution with `event` added when that needs no new walk, else null: when
 * everything so far is one accepted chain, a walk over it plus a child of its head meets
 * that child last and alone, so applying it to the current state is the same walk.
 */
export function extend(resolution, event) {
  if (!isClean(resolution) || !equal(event.parent, resolution.head)) return null;
  try {
    const state = apply(resolution.state, event);
    return { ...resolution, state, accepted: [...resolution.accepted, event], head: event.id };
  } catch (error) {
    if (!(error instanceof GovernanceError)) throw error;
    return { ...resolution, rejected: new Map([...resolution.rejected, [toHex(event.id), error.code]]) };
  }
}
