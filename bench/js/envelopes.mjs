// Seal and open envelopes with the browser client's own modules under node.
// Prints JSON: operations per second for each size and direction.
import { openEnvelope, seal } from '../../static/js/client/envelope.js';
import { chatMessage, encodeChatMessage } from '../../static/js/client/messages.js';
import { toHex } from '../../static/js/protocol/codec.js';
import { firstEpoch } from '../../static/js/client/keys.js';

const seconds = Number(process.argv[2] ?? 1);
const epoch = firstEpoch(new Uint8Array(32).fill(7));
const roomId = new Uint8Array(16).fill(1);
const epochs = new Map([[toHex(epoch.epochId), epoch]]);

function measure(action) {
  let count = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 20; i += 1) action();
    count += 20;
  }
  return count / seconds;
}

const results = {};
for (const [label, textBytes] of [['1KiB', 900], ['16KiB', 8000]]) {
  const now = Date.now();
  const body = encodeChatMessage(chatMessage(now, 1, 0, now, 'x'.repeat(textBytes)), 'direct');
  const plaintext = { innerKind: 2, sender: new Uint8Array(32), seq: now, head: new Uint8Array(32), timeMs: now, body };
  const frame = seal(epoch, roomId, plaintext, 'direct');
  results[label] = {
    frame_bytes: frame.length,
    seal_per_s: Math.round(measure(() => seal(epoch, roomId, plaintext, 'direct'))),
    open_per_s: Math.round(measure(() => openEnvelope(frame, roomId, 'direct', epochs))),
  };
}
process.stdout.write(`${JSON.stringify({ node: process.version, jitless: process.execArgv.includes('--jitless'), results })}\n`);
