// Randomised properties of the browser client's envelopes (the Python side uses hypothesis).
import assert from 'node:assert/strict';
import { it } from 'node:test';

import { toHex, utf8 } from '../../static/js/protocol/codec.js';
import { randomBytes } from '../../static/js/protocol/crypto.js';
import { openEnvelope, seal } from '../../static/js/client/envelope.js';
import { BUCKETS, ENVELOPE_HEADER_SIZE, TAG_SIZE } from '../../static/js/protocol/frames.js';
import { InnerKind, maxTextBytes } from '../../static/js/client/messages.js';
import { roomContext } from './vectors.js';

const { roomId, epoch } = roomContext('room/direct-open');
const epochs = new Map([[toHex(epoch.epochId), epoch]]);
const ALPHABET = ['a', 'Z', '7', ' ', 'é', 'ß', '中', '🦊', '\n'];

function randomInt(limit) {
  return randomBytes(4).reduce((value, byte) => value * 256 + byte, 0) % limit;
}

function randomText(maxBytes) {
  const target = 1 + randomInt(maxBytes);
  let text = '';
  while (utf8(text).length < target) {
    const next = text + ALPHABET[randomInt(ALPHABET.length)];
    if (utf8(next).length > maxBytes) break;
    text = next;
  }
  return text || 'a';
}

function textPlaintext(text, seq) {
  return { innerKind: InnerKind.TEXT, sender: randomBytes(32), seq, head: randomBytes(32), timeMs: 1_700_000_000_000, body: utf8(text) };
}

it('any text of any size round-trips in every mode (200 random cases)', () => {
  for (let i = 0; i < 200; i += 1) {
    const mode = ['direct', 'tor', 'mix'][i % 3];
    const plaintext = textPlaintext(randomText(maxTextBytes(mode)), 1 + randomInt(2 ** 31));
    const frame = seal(epoch, roomId, plaintext, mode);
    assert.ok(BUCKETS[mode].includes(frame.length - ENVELOPE_HEADER_SIZE - TAG_SIZE));
    assert.deepEqual({ ...openEnvelope(frame, roomId, mode, epochs).plaintext }, plaintext);
  }
});

it('any single-bit change is refused (200 random cases)', () => {
  const expected = new Set(['bad-version', 'bad-kind', 'unknown-epoch', 'bad-tag']);
  for (let i = 0; i < 200; i += 1) {
    const frame = seal(epoch, roomId, textPlaintext(randomText(300), 1), 'direct');
    const bit = randomInt(frame.length * 8);
    frame[bit >> 3] ^= 1 << (bit & 7);
    assert.throws(
      () => openEnvelope(frame, roomId, 'direct', epochs),
      (error) => expected.has(error.code),
      `bit ${bit} changed and the frame still opened`,
    );
  }
});

it('text longer than the mode carries is refused before sealing', () => {
  assert.throws(() => seal(epoch, roomId, textPlaintext('x'.repeat(940), 1), 'mix'), RangeError);
});
