// Sealing and opening envelopes (PROTOCOL §4.2-4.4).
import { Reader, concat, toHex, u32, u64, u8, utf8 } from '../protocol/codec.js';
import { aeadOpen, aeadSeal, randomBytes } from '../protocol/crypto.js';
import { ProtocolError } from '../protocol/errors.js';
import { BUCKETS, ENVELOPE_HEADER_SIZE, ENVELOPE_NONCE_OFFSET, Kind, NONCE_SIZE, TAG_SIZE, VERSION } from '../protocol/frames.js';
import { InnerKind, PLAINTEXT_HEADER_SIZE, checkBody } from './messages.js';

export const AAD_PREFIX = utf8('atopos/v2');
const KNOWN_INNER_KINDS = new Set(Object.values(InnerKind));

/** The smallest bucket of `mode` holding `length` plaintext bytes. */
export function pickBucket(length, mode) {
  const bucket = BUCKETS[mode].find((size) => length <= size);
  if (bucket === undefined) throw new RangeError(`${length} bytes do not fit any bucket of ${mode} mode`);
  return bucket;
}

/** Header and body of a plaintext, unpadded. */
export function encodePlaintext({ innerKind, sender, seq, head, timeMs, body }) {
  return concat(u8(innerKind), sender, u64(seq), head, u64(timeMs), u32(body.length), body);
}

/** An envelope frame; `nonce` is random unless a test vector fixes it. */
export function seal(epoch, roomId, plaintext, mode, nonce = randomBytes(NONCE_SIZE)) {
  const inner = encodePlaintext(plaintext);
  const padded = new Uint8Array(pickBucket(inner.length, mode));
  padded.set(inner);
  const header = concat(Uint8Array.of(VERSION, Kind.ENVELOPE), epoch.epochId, nonce);
  return concat(header, aeadSeal(epoch.msgKey, nonce, concat(AAD_PREFIX, roomId, header), padded));
}

/**
 * { epoch, plaintext } of `frame`, or ProtocolError with the first failed check.
 * `epochs` maps hex epoch ids to epoch keys.
 */
export function openEnvelope(frame, roomId, mode, epochs) {
  if (frame.length < ENVELOPE_HEADER_SIZE + TAG_SIZE) throw new ProtocolError('truncated');
  if (frame[0] !== VERSION) throw new ProtocolError('bad-version');
  if (frame[1] !== Kind.ENVELOPE) throw new ProtocolError('bad-kind');
  const header = frame.subarray(0, ENVELOPE_HEADER_SIZE);
  const ciphertext = frame.subarray(ENVELOPE_HEADER_SIZE);
  if (!BUCKETS[mode].includes(ciphertext.length - TAG_SIZE)) throw new ProtocolError('bad-size');
  const epoch = epochs.get(toHex(header.subarray(2, 14)));
  if (epoch === undefined) throw new ProtocolError('unknown-epoch');
  const padded = aeadOpen(epoch.msgKey, header.subarray(ENVELOPE_NONCE_OFFSET), concat(AAD_PREFIX, roomId, header), ciphertext);
  if (padded === null) throw new ProtocolError('bad-tag');
  return { epoch, plaintext: parsePlaintext(padded, mode) };
}

function parsePlaintext(padded, mode) {
  const reader = new Reader(padded, 'bad-length');
  const innerKind = reader.u8();
  if (!KNOWN_INNER_KINDS.has(innerKind)) throw new ProtocolError('bad-inner-kind');
  const sender = reader.take(32);
  const seq = reader.u64();
  const head = reader.take(32);
  const timeMs = reader.u64();
  const bodyLength = reader.u32();
  if (bodyLength > padded.length - PLAINTEXT_HEADER_SIZE) throw new ProtocolError('bad-length', 'body overruns the bucket');
  const body = reader.take(bodyLength);
  checkBody(innerKind, body, mode, seq, timeMs);
  if (reader.rest().some((byte) => byte !== 0)) throw new ProtocolError('bad-padding');
  return { innerKind, sender, seq, head, timeMs, body };
}
