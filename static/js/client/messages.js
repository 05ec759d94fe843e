// What travels inside an envelope: hello, text, sync, synced, bye and governance bodies
// (PROTOCOL §4.3).
import { Reader, concat, fromUtf8, toHex, u16, u32, u64, u8, utf8 } from '../protocol/codec.js';
import { ProtocolError } from '../protocol/errors.js';
import { BUCKETS, MAX_EVENT_SIZE } from '../protocol/frames.js';

export const PLAINTEXT_HEADER_SIZE = 1 + 32 + 8 + 32 + 8 + 4;
export const MAX_TEXT_BYTES = 8000;
export const MAX_NAME_BYTES = 64;
const WANTS_REPLY = 0x01;

export const InnerKind = Object.freeze({
  HELLO: 1,
  TEXT: 2,
  BYE: 3,
  GOV_REQUEST: 4, // "I do not hold this head; send me the events you have"
  GOV_EVENTS: 5, // pieces of governance events (an event may span envelopes)
  SYNC: 6, // "the last message I hold from each of you": senders answer with what follows
  SYNCED: 7, // "I have sent again all I hold after this id": the end of an answer
});
// A GOV_REQUEST for this "head" asks for every event the receiver holds: sent by a member
// that sees envelopes of an epoch it does not hold, so it cannot read their heads.
export const CATCH_UP = new Uint8Array(32);
export const PIECE_HEADER_SIZE = 32 + 2 + 2 + 2;
// A text body starts with its message's id, number, predecessor and first sending time.
export const TEXT_HEADER_SIZE = 8 + 4 + 8 + 8;
export const SYNC_ENTRY_SIZE = 32 + 8 + 4;
export const SYNCED_HEADER_SIZE = 8 + 8 + 4;
// A message's id is the seq of the envelope that first carried it, which lies between that
// envelope's time and 60 s after it (§4.3).
export const SEQ_AHEAD_MS = 60_000;

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

/** The longest text body a room of `mode` carries in one envelope, resends included. */
export function maxTextBytes(mode) {
  return Math.min(MAX_TEXT_BYTES, Math.max(...BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE - TEXT_HEADER_SIZE);
}

/**
 * A chat message as its sender numbered it (PROTOCOL §4.5): { id, number, prev, sentMs, text }.
 * `id` is unique per sender (the seq of the envelope that first carried the message), `number`
 * counts the sender's messages from 1, `prev` is the id of message `number - 1` (0 for the
 * first), `sentMs` the time of the first sending. A resend travels in a new envelope with all
 * four unchanged.
 */
export function chatMessage(id, number, prev, sentMs, text) {
  return Object.freeze({ id, number, prev, sentMs, text });
}

/** Whether two chat messages are the same in every field (Python compares dataclasses). */
export function sameMessage(a, b) {
  return a.id === b.id && a.number === b.number && a.prev === b.prev && a.sentMs === b.sentMs && a.text === b.text;
}

/** A text body; RangeError for a text the room's mode cannot carry. */
export function encodeChatMessage({ id, number, prev, sentMs, text }, mode) {
  const raw = utf8(text);
  if (raw.length < 1 || raw.length > maxTextBytes(mode)) {
    throw new RangeError(`a message is 1 to ${maxTextBytes(mode)} bytes of UTF-8`);
  }
  return concat(u64(id), u32(number), u64(prev), u64(sentMs), raw);
}

/** The message in a text body; ProtocolError bad-length or bad-message-id. */
export function decodeChatMessage(bodyBytes, mode) {
  const reader = new Reader(bodyBytes, 'bad-length');
  const id = reader.u64();
  const number = reader.u32();
  const prev = reader.u64();
  const sentMs = reader.u64();
  const raw = reader.rest();
  if (raw.length < 1 || raw.length > maxTextBytes(mode)) throw new ProtocolError('bad-length', 'text size');
  let text;
  try {
    text = fromUtf8(raw);
  } catch {
    throw new ProtocolError('bad-length', 'text is not UTF-8');
  }
  const first = number === 1;
  if (number === 0 || first !== (prev === 0) || prev >= id) throw new ProtocolError('bad-message-id', 'number and predecessor disagree');
  if (!(sentMs <= id && id <= sentMs + SEQ_AHEAD_MS)) throw new ProtocolError('bad-message-id', "id outside its sending time's window");
  return chatMessage(id, number, prev, sentMs, text);
}

/** A message travels in an envelope no older than its first one: bad-message-id for a message
 *  claiming to be sent after the envelope (`seq`, `timeMs`) that carries it. */
export function checkCarriedBy(message, seq, timeMs) {
  if (message.id > seq || message.sentMs > timeMs) throw new ProtocolError('bad-message-id', 'message newer than its envelope');
}

/** A SYNC body: entries { sender, afterId, afterNumber }, the last message the asker holds
 *  from each sender (0 and 0: none). */
export function encodeSync(entries) {
  return concat(...entries.map(({ sender, afterId, afterNumber }) => concat(sender, u64(afterId), u32(afterNumber))));
}

/** The entries of a SYNC body: at least one, each complete, no sender twice. */
export function decodeSync(bodyBytes) {
  if (bodyBytes.length === 0 || bodyBytes.length % SYNC_ENTRY_SIZE !== 0) throw new ProtocolError('bad-length', 'sync entries');
  const reader = new Reader(bodyBytes, 'bad-length');
  const entries = [];
  while (reader.remaining() > 0) {
    const sender = reader.take(32);
    const afterId = reader.u64();
    const afterNumber = reader.u32();
    if ((afterId === 0) !== (afterNumber === 0)) throw new ProtocolError('bad-length', 'sync entry');
    entries.push({ sender, afterId, afterNumber });
  }
  if (new Set(entries.map((entry) => toHex(entry.sender))).size !== entries.length) throw new ProtocolError('bad-length', 'a sender named twice');
  return entries;
}

/**
 * A SYNCED body: the end of an answer to the syncs of `askers` (Ed25519 keys). Every message its
 * sender still holds after `afterId` went again (before this frame, on the same connection); its
 * last message is `lastId` (number `lastNumber`; 0 and 0 if it has sent none).
 *
 * Only the askers it names may conclude that what they still lack is gone: the sender answered
 * after their sync reached it, so they were in the room for every resend. A member who came in
 * during the answer to someone else saw only part of it.
 */
export function encodeSynced({ afterId, lastId, lastNumber, askers }) {
  return concat(u64(afterId), u64(lastId), u32(lastNumber), ...askers);
}

/** { afterId, lastId, lastNumber, askers } of a SYNCED body: at least one asker, none twice;
 *  ProtocolError bad-length or bad-message-id. */
export function decodeSynced(bodyBytes) {
  const reader = new Reader(bodyBytes, 'bad-length');
  const afterId = reader.u64();
  const lastId = reader.u64();
  const lastNumber = reader.u32();
  const rest = reader.rest();
  if (rest.length === 0 || rest.length % 32 !== 0) throw new ProtocolError('bad-length', 'synced: askers');
  const askers = [];
  for (let start = 0; start < rest.length; start += 32) askers.push(rest.slice(start, start + 32));
  if (new Set(askers.map(toHex)).size !== askers.length) throw new ProtocolError('bad-length', 'synced: an asker named twice');
  if ((lastId === 0) !== (lastNumber === 0)) throw new ProtocolError('bad-message-id', 'synced: last message');
  if (afterId > lastId) throw new ProtocolError('bad-message-id', 'synced: after its last message');
  return { afterId, lastId, lastNumber, askers };
}

export function syncEntriesPerEnvelope(mode) {
  return Math.floor((Math.max(...BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE) / SYNC_ENTRY_SIZE);
}

export function syncedAskersPerEnvelope(mode) {
  return Math.floor((Math.max(...BUCKETS[mode]) - PLAINTEXT_HEADER_SIZE - SYNCED_HEADER_SIZE) / 32);
}

/** A hello body: keys, bind tag, flags, the last chat message its sender sent (so that others
 *  know what to expect from it; 0 and 0: none yet) and a self-chosen name. */
export function encodeHello({ xPk, bind, name, wantsReply, lastId = 0, lastNumber = 0 }) {
  const rawName = utf8(name);
  if (rawName.length > MAX_NAME_BYTES) throw new Error(`a display name is at most ${MAX_NAME_BYTES} bytes`);
  return concat(xPk, bind, u8(wantsReply ? WANTS_REPLY : 0), u64(lastId), u32(lastNumber), u8(rawName.length), rawName);
}

export function decodeHello(bodyBytes) {
  const reader = new Reader(bodyBytes, 'bad-length');
  const xPk = reader.take(32);
  const bind = reader.take(32);
  const flags = reader.u8();
  const lastId = reader.u64();
  const lastNumber = reader.u32();
  const rawName = reader.take(reader.u8());
  reader.end();
  if (rawName.length > MAX_NAME_BYTES || (flags & ~WANTS_REPLY) !== 0) throw new ProtocolError('bad-length', 'hello');
  if ((lastId === 0) !== (lastNumber === 0)) throw new ProtocolError('bad-message-id', "hello's last message");
  let name;
  try {
    name = fromUtf8(rawName);
  } catch {
    throw new ProtocolError('bad-length', 'name is not UTF-8');
  }
  return { xPk, bind, name, wantsReply: (flags & WANTS_REPLY) !== 0, lastId, lastNumber };
}

/** Throws ProtocolError (bad-length, bad-message-id) unless `bodyBytes` is valid for `kind` in
 *  an envelope numbered `seq` and sealed at `timeMs`. */
export function checkBody(kind, bodyBytes, mode, seq, timeMs) {
  if (kind === InnerKind.HELLO) {
    if (decodeHello(bodyBytes).lastId >= seq) throw new ProtocolError('bad-message-id', 'a hello names a message sent after it');
  } else if (kind === InnerKind.TEXT) {
    checkCarriedBy(decodeChatMessage(bodyBytes, mode), seq, timeMs);
  } else if (kind === InnerKind.SYNC) {
    decodeSync(bodyBytes);
  } else if (kind === InnerKind.SYNCED) {
    if (decodeSynced(bodyBytes).lastId >= seq) throw new ProtocolError('bad-message-id', 'synced names a message sent after it');
  } else if (kind === InnerKind.GOV_REQUEST) {
    if (bodyBytes.length !== 32) throw new ProtocolError('bad-length', 'a governance request carries a head');
  } else if (kind === InnerKind.GOV_EVENTS) {
    splitPieces(bodyBytes);
  } else if (bodyBytes.length !== 0) {
    throw new ProtocolError('bad-length', 'bye has no body');
  }
}
