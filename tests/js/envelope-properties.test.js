// Randomised properties of the browser client's envelopes (the Python side uses hypothesis).
import assert from 'node:assert/strict';
import { it } from 'node:test';

import { toHex, utf8 } from '../../static/js/protocol/codec.js';
import { randomBytes } from '../../static/js/protocol/crypto.js';
import { openEnvelope, seal } from '../../static/js/client/envelope.js';
import { BUCKETS, ENVELOPE_HEADER_SIZE, TAG_SIZE } from '../../static/js/protocol/frames.js';
import { InnerKind, SEQ_AHEAD_MS, chatMessage, decodeChatMessage, decodeSynced, encodeChatMessage, encodeSynced, maxTextBytes, syncedAskersPerEnvelope } from '../../static/js/client/messages.js';
import { roomContext } from './vectors.js';

const { roomId, epoch } = roomContext('room/direct-open');
const epochs = new Map([[toHex(epoch.epochId), epoch]]);
const ALPHABET = ['a', 'Z', '7', ' ', 'é', 'ß', '中', '🦊', '\n'];

const TIME = 1_700_000_000_000;
const WEEK_MS = 7 * 86_400_000;

function randomInt(limit) {
  return randomBytes(6).reduce((value, byte) => value * 256 + byte, 0) % limit;
}

/** An integer in [low, high]. */
function between(low, high) {
  return low + randomInt(high - low + 1);
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

/** A first sending or a resend: any number, a predecessor before it, sent before now. */
function randomMessage(mode) {
  const sentMs = between(TIME - WEEK_MS, TIME);
  const id = between(sentMs, Math.min(sentMs + SEQ_AHEAD_MS, TIME + SEQ_AHEAD_MS));
  const number = between(1, 2 ** 32 - 1);
  const prev = number === 1 ? 0 : between(1, id - 1);
  return chatMessage(id, number, prev, sentMs, randomText(maxTextBytes(mode)));
}

/** A text envelope carrying `message`, numbered at or after the message's own id. */
function textPlaintext(message, mode, seq = Math.max(message.id, TIME + randomInt(SEQ_AHEAD_MS + 1))) {
  return { innerKind: InnerKind.TEXT, sender: randomBytes(32), seq, head: randomBytes(32), timeMs: TIME, body: encodeChatMessage(message, mode) };
}

it('any message of any size round-trips in every mode (200 random cases)', () => {
  for (let i = 0; i < 200; i += 1) {
    const mode = ['direct', 'tor', 'mix'][i % 3];
    const message = randomMessage(mode);
    const plaintext = textPlaintext(message, mode);
    const frame = seal(epoch, roomId, plaintext, mode);
    assert.ok(BUCKETS[mode].includes(frame.length - ENVELOPE_HEADER_SIZE - TAG_SIZE));
    const opened = openEnvelope(frame, roomId, mode, epochs).plaintext;
    assert.deepEqual({ ...opened }, plaintext);
    assert.deepEqual(decodeChatMessage(opened.body, mode), message);
  }
});

it('any single-bit change is refused (200 random cases)', () => {
  const expected = new Set(['bad-version', 'bad-kind', 'unknown-epoch', 'bad-tag']);
  for (let i = 0; i < 200; i += 1) {
    const frame = seal(epoch, roomId, textPlaintext(chatMessage(TIME, 1, 0, TIME, randomText(300)), 'direct'), 'direct');
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
  const longest = maxTextBytes('mix');
  assert.equal(longest, 911);
  assert.throws(() => encodeChatMessage(chatMessage(TIME, 1, 0, TIME, 'x'.repeat(longest + 1)), 'mix'), RangeError);
  assert.throws(() => encodeChatMessage(chatMessage(TIME, 1, 0, TIME, ''), 'mix'), RangeError);
  const body = encodeChatMessage(chatMessage(TIME, 1, 0, TIME, 'x'.repeat(longest)), 'mix');
  const tooBig = { innerKind: InnerKind.TEXT, sender: randomBytes(32), seq: TIME, head: randomBytes(32), timeMs: TIME, body: utf8(`${'x'.repeat(body.length)}y`) };
  assert.throws(() => seal(epoch, roomId, tooBig, 'mix'), RangeError);
});

/** The error code `action` throws (null if none). */
function codeOf(action) {
  try {
    action();
  } catch (error) {
    return error.code;
  }
  return null;
}

it('a SYNCED names at least one asker, each once, and a last message it can come after', () => {
  const asker = (n) => new Uint8Array(32).fill(n);
  const synced = (fields) => encodeSynced({ afterId: TIME - 10, lastId: TIME, lastNumber: 3, askers: [asker(1)], ...fields });
  assert.deepEqual(decodeSynced(synced({ askers: [asker(1), asker(2)] })), { afterId: TIME - 10, lastId: TIME, lastNumber: 3, askers: [asker(1), asker(2)] });
  assert.equal(codeOf(() => decodeSynced(synced({ askers: [] }))), 'bad-length', 'nobody answered');
  assert.equal(codeOf(() => decodeSynced(synced({ askers: [asker(1), asker(1)] }))), 'bad-length', 'an asker named twice');
  assert.equal(codeOf(() => decodeSynced(synced({}).subarray(0, 51))), 'bad-length', 'a partial asker');
  assert.equal(codeOf(() => decodeSynced(synced({}).subarray(0, 19))), 'bad-length', 'a partial header');
  assert.equal(codeOf(() => decodeSynced(synced({ lastNumber: 0 }))), 'bad-message-id', 'a last id without its number');
  assert.equal(codeOf(() => decodeSynced(synced({ lastId: 0, afterId: 0 }))), 'bad-message-id', 'a last number without its id');
  assert.equal(codeOf(() => decodeSynced(synced({ afterId: TIME + 1 }))), 'bad-message-id', 'after its last message');
  assert.equal(codeOf(() => decodeSynced(synced({ afterId: TIME }))), null, 'an answer from its last message resends nothing');
  assert.equal(codeOf(() => decodeSynced(synced({ afterId: 0, lastId: 0, lastNumber: 0 }))), null, 'a sender that has sent nothing');
});

it('a SYNCED naming as many askers as an envelope holds fits the largest bucket of every mode', () => {
  for (const mode of ['direct', 'tor', 'mix']) {
    const askers = Array.from({ length: syncedAskersPerEnvelope(mode) }, () => randomBytes(32));
    const plaintext = { innerKind: InnerKind.SYNCED, sender: randomBytes(32), seq: TIME + 1, head: randomBytes(32), timeMs: TIME, body: encodeSynced({ afterId: TIME, lastId: TIME, lastNumber: 1, askers }) };
    assert.deepEqual(openEnvelope(seal(epoch, roomId, plaintext, mode), roomId, mode, epochs).plaintext, plaintext);
    const oneMore = { ...plaintext, body: encodeSynced({ afterId: TIME, lastId: TIME, lastNumber: 1, askers: [...askers, randomBytes(32)] }) };
    assert.throws(() => seal(epoch, roomId, oneMore, mode), RangeError, mode);
  }
});
