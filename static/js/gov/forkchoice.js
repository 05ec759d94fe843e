// From any set of events to one state: the merge rule every member applies (PROTOCOL §8.5).
import { toHex } from '../bytes.js';
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
 * { state, accepted, rejected, orphans, head, forked } for `rawEvents` in any order.
 * `genesis` is the decoded genesis; ids in `rejected` and `orphans` are hex.
 */
export function resolve(genesis, rawEvents) {
  const root = toHex(eventId(genesis.raw));
  const rejected = new Map();
  const events = new Map();
  for (const raw of rawEvents) {
    const id = toHex(eventId(raw));
    if (events.has(id) || rejected.has(id) || id === root) continue;
    try {
      events.set(id, decodeEvent(raw));
    } catch (error) {
      if (!(error instanceof GovernanceError)) throw error;
      rejected.set(id, error.code);
    }
  }
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
  return { state, accepted, rejected, orphans, head, forked };
}
