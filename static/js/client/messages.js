// What travels inside an envelope: hello, text, bye and governance bodies (PROTOCOL §4.3).
import { Reader, concat, fromUtf8, u16, u8, utf8 } from '../protocol/codec.js';
import { ProtocolError } from '../protocol/errors.js';
import { BUCKETS, MAX_EVENT_SIZE } from '../protocol/frames.js';

export const PLAINTEXT_HEADER_SIZE = 1 + 32 + 8 + 32 + 8 + 4;
export const MAX_TEXT_BYTES = 8000;
export const MAX_NAME_BYTES = 64;
const WANTS_REPLY = 0x01;

export const InnerKind = Object.freeze({ HELLO: 1, TEXT: 2, BYE: 3, GOV_REQUEST: 4, GOV_EVENTS: 5 });
// A GOV_REQUEST for this "head" asks for every event the receiver holds: sent by a member
// that sees envelopes of an epoch it does not hold, so it cannot read their heads.
export const CATCH_UP = new Uint8Array(32);
export const PIECE_HEADER_SIZE = 32 + 2 + 2 + 2;

/** A GOV_EVENTS body: pieces { eventId, total, offset, data } of events (one may span envelopes). */
export function joinPieces(pieces) {
  return concat(...pieces.map((p) => concat(p.eventId, u16(p.total), u16(p.offset), u16(p.data.length), p.data)));
}

/** The pieces of a GOV_EVENTS body; ProtocolError('bad-length') unless each one is in range. */
export function splitPieces(body) {
  const reader = new Reader(body, 'bad-length');
  const pieces = [];
  while (reader.remaining() > 0) {
    const eventId = reader.take(32);
    const total = reader.u16();
    const offset = reader.u16();
    const data = reader.take(reader.u16());
    if (data.length === 0 || total === 0 || total > MAX_EVENT_SIZE || offset + data.length > total) {
      throw new ProtocolError('bad-length', 'event piece out of range');
    }
    pieces.push({ eventId, total, offset, data });
  }
  if (pieces.length === 0) throw new ProtocolError('bad-length', 'no events');
  return pieces;
}

/** The longest text body a room of `mode` carries in one envelope. */
export function maxTextBytes(mode) {
  return Math.min(MAX_TEXT_BYTES, Math.max(...BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE);
}

/** A hello body: keys, bind tag, flags and a self-chosen name. */
export function encodeHello({ xPk, bind, name, wantsReply }) {
  const rawName = utf8(name);
  if (rawName.length > MAX_NAME_BYTES) throw new Error(`a display name is at most ${MAX_NAME_BYTES} bytes`);
  return concat(xPk, bind, u8(wantsReply ? WANTS_REPLY : 0), u8(rawName.length), rawName);
}

export function decodeHello(bodyBytes) {
  const reader = new Reader(bodyBytes, 'bad-length');
  const xPk = reader.take(32);
  const bind = reader.take(32);
  const flags = reader.u8();
  const rawName = reader.take(reader.u8());
  reader.end();
  if (rawName.length > MAX_NAME_BYTES || (flags & ~WANTS_REPLY) !== 0) throw new ProtocolError('bad-length', 'hello');
  let name;
  try {
    name = fromUtf8(rawName);
  } catch {
    throw new ProtocolError('bad-length', 'name is not UTF-8');
  }
  return { xPk, bind, name, wantsReply: (flags & WANTS_REPLY) !== 0 };
}

/** A text body, refusing what the room's mode cannot carry. */
export function encodeText(text, mode) {
  const raw = utf8(text);
  if (raw.length < 1 || raw.length > maxTextBytes(mode)) {
    throw new RangeError(`a message is 1 to ${maxTextBytes(mode)} bytes of UTF-8`);
  }
  return raw;
}

/** Throws ProtocolError('bad-length') unless `bodyBytes` is valid for `kind`. */
export function checkBody(kind, bodyBytes, mode) {
  if (kind === InnerKind.HELLO) {
    decodeHello(bodyBytes);
  } else if (kind === InnerKind.TEXT) {
    if (bodyBytes.length < 1 || bodyBytes.length > maxTextBytes(mode)) throw new ProtocolError('bad-length', 'text size');
    try {
      fromUtf8(bodyBytes);
    } catch {
      throw new ProtocolError('bad-length', 'text is not UTF-8');
    }
  } else if (kind === InnerKind.GOV_REQUEST) {
    if (bodyBytes.length !== 32) throw new ProtocolError('bad-length', 'a governance request carries a head');
  } else if (kind === InnerKind.GOV_EVENTS) {
    splitPieces(bodyBytes);
  } else if (bodyBytes.length !== 0) {
    throw new ProtocolError('bad-length', 'bye has no body');
  }
}
