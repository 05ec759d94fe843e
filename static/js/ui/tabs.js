// One room, one tab. Tabs of this origin in this browser profile talk over a
// BroadcastChannel named by a hash of the room id (never the link or a key), so a
// second tab opening the same room learns it is open elsewhere and may take it over:
// the tab in the room then leaves and hands its member keys over in memory (a
// structured clone between same-origin tabs, never storage). Only this origin's
// pages, in this profile, can use the channel (docs/ARCHITECTURE.md, "Tabs").
import { toHex } from '../protocol/codec.js';
import { unkeyedHash } from '../protocol/labels.js';

const TAB_LABEL = 'atopos1-tab'; // a BLAKE2b personalisation used for nothing else
const ANSWER_MS = 120; // a tab in the room answers within milliseconds; this bounds the wait

function channelFor(roomId) {
  if (typeof globalThis.BroadcastChannel !== 'function') return null;
  return new BroadcastChannel(`atopos.room.${toHex(unkeyedHash(TAB_LABEL, roomId, 16))}`);
}

/**
 * The tab that is in the room: answers "is anyone here?" and, asked to, hands the
 * room over. `handOver()` leaves the room and returns what the new tab needs.
 * Returns a function that stops listening.
 */
export function holdRoom(roomId, handOver) {
  const channel = channelFor(roomId);
  if (channel === null) return () => {};
  let handing = false; // handOver() releases the room itself: the channel must stay open to answer
  channel.onmessage = ({ data }) => {
    if (data?.type === 'here?') channel.postMessage({ type: 'here' });
    else if (data?.type === 'take-over') {
      handing = true;
      channel.postMessage({ type: 'handed-over', room: handOver() });
      channel.close();
    }
  };
  return () => {
    if (!handing) channel.close();
  };
}

/** Post `question` on the room's channel; the first answer of type `answer`, or null after `waitMs`. */
function ask(roomId, question, answer, waitMs) {
  const channel = channelFor(roomId);
  if (channel === null) return Promise.resolve(null);
  return new Promise((resolve) => {
    const done = (data) => {
      clearTimeout(timer);
      channel.close();
      resolve(data);
    };
    const timer = setTimeout(() => done(null), waitMs);
    channel.onmessage = ({ data }) => {
      if (data?.type === answer) done(data);
    };
    channel.postMessage({ type: question });
  });
}

/** Whether another tab of this profile is in the room; resolves within ANSWER_MS. */
export async function askWhetherOpen(roomId) {
  return (await ask(roomId, 'here?', 'here', ANSWER_MS)) !== null;
}

/** Ask the tab in the room to hand it over: its stored-room record, or null if none answers. */
export async function takeOver(roomId) {
  return (await ask(roomId, 'take-over', 'handed-over', ANSWER_MS * 10))?.room ?? null;
}
