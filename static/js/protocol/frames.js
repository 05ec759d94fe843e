// WebSocket frames, sizes and close codes (PROTOCOL §4.3, §5).
import { encodeBinding, readBinding } from './binding.js';
import { Reader, concat, u16, u32, u64 } from './codec.js';
import { ProtocolError } from './errors.js';
import { encodeLockParams, readLockParams } from './extra-lock.js';

/** The protocol version: the first byte of every frame, genesis and event. */
export const VERSION = 2;

export const Kind = Object.freeze({
  CREATE: 0x01,
  JOIN: 0x02,
  // 0x03 was END in protocol v1: rooms now end by a signed END_ROOM event.
  EVENT: 0x04,
  DECLINE: 0x05,
  PEEK: 0x06,
  UNLOCK: 0x07,
  ENVELOPE: 0x10,
  CHALLENGE: 0x81,
  WELCOME: 0x82,
  CREATED: 0x83,
  LEFT: 0x84,
  PENDING: 0x85,
  GOVERNANCE: 0x86,
  KNOCK: 0x87,
  REFUSED: 0x88,
  INVITE_REQUIRED: 0x89,
  AVAILABLE: 0x8a,
  ACK: 0x8b,
  LOCK_REQUIRED: 0x8c,
});

export const CloseCode = Object.freeze({
  NORMAL: 1000,
  TRY_AGAIN_LATER: 4013, // the relay lost its Redis: nothing was refused, come back
  ROOM_ENDED: 4000,
  ROOM_EXPIRED: 4001,
  ROOM_UNAVAILABLE: 4004,
  ROOM_FULL: 4009,
  RATE_LIMITED: 4029,
  TEXT_FRAME: 4100,
  BAD_VERSION: 4101,
  BAD_KIND: 4102,
  BAD_SIZE: 4103,
  MALFORMED: 4104,
  UNEXPECTED_FRAME: 4105,
  CREATE_REFUSED: 4107,
  POLICY_REFUSED: 4108,
  SLOW_READER: 4200,
  KICKED: 4003,
  ADMISSION_REFUSED: 4403,
});

export const ENVELOPE_HEADER_SIZE = 2 + 12 + 24;
export const ENVELOPE_NONCE_OFFSET = 2 + 12; // the nonce names an envelope in the relay's ACK
export const NONCE_SIZE = 24;
/** One governance event at most (a REKEY to 256 members is about 26.8 KiB). */
export const MAX_EVENT_SIZE = 32 * 1024;
export const TAG_SIZE = 16;
export const BUCKETS = Object.freeze({
  direct: Object.freeze([256, 1024, 4096, 16384]),
  tor: Object.freeze([256, 1024, 4096, 16384]),
  mix: Object.freeze([1024]),
});

const prefix = (kind) => Uint8Array.of(VERSION, kind);

function body(frame, kind) {
  if (frame.length < 2 || frame[0] !== VERSION || frame[1] !== kind) {
    throw new ProtocolError('malformed', `not a frame of kind ${kind}`);
  }
  return new Reader(frame.subarray(2), 'malformed');
}

/** The kind byte of a server frame (after checking the version). */
export function frameKind(frame) {
  if (frame.length < 2 || frame[0] !== VERSION) throw new ProtocolError('malformed', 'version');
  return frame[1];
}

export function encodeCreate({ genesis, serverShard, joinSignature }) {
  return concat(prefix(Kind.CREATE), u16(genesis.length), genesis, serverShard, joinSignature);
}

/** PEEK: the link proof for a challenge, asking only whether the room is there. */
export function encodePeek({ roomId, peekSignature }) {
  return concat(prefix(Kind.PEEK), roomId, peekSignature);
}

/** JOIN: the link proof for a challenge, and the member keys' binding (binding.js). */
export function encodeJoin({ roomId, edPk, binding, joinSignature }) {
  return concat(prefix(Kind.JOIN), roomId, edPk, encodeBinding(binding), joinSignature);
}

export function decodeChallenge(frame) {
  const reader = body(frame, Kind.CHALLENGE);
  const decoded = { challenge: reader.take(32), serverTimeMs: reader.u64() };
  reader.end();
  return decoded;
}

/** { serverShard, genesis, logLength }: `logLength` GOVERNANCE frames follow. */
export function decodeWelcome(frame) {
  const reader = body(frame, Kind.WELCOME);
  const serverShard = reader.take(32);
  const genesis = reader.take(reader.u16());
  const logLength = reader.u32();
  reader.end();
  return { serverShard, genesis, logLength };
}

/** EVENT: append a governance event. */
export function encodeEvent(event) {
  return concat(prefix(Kind.EVENT), event);
}

/** DECLINE: an admin turns a knocking newcomer away. */
export function encodeDecline(edPk) {
  return concat(prefix(Kind.DECLINE), edPk);
}

/** The event a GOVERNANCE frame relays. */
export function decodeGovernance(frame) {
  return body(frame, Kind.GOVERNANCE).rest();
}

/** { edPk, binding }: a newcomer waiting for an admin, with the binding its JOIN carried. */
export function decodeKnock(frame) {
  const reader = body(frame, Kind.KNOCK);
  const decoded = { edPk: reader.take(32), binding: readBinding(reader) };
  reader.end();
  return decoded;
}

const REASON = /^[a-z0-9-]{1,40}$/;

/** { head, reason }: a reason that is not a plain error code becomes 'unknown', so no text
 *  a relay writes travels further than this decoder. */
export function decodeRefused(frame) {
  const reader = body(frame, Kind.REFUSED);
  const head = reader.take(32);
  const reason = String.fromCharCode(...reader.rest());
  return { head, reason: REASON.test(reason) ? reason : 'unknown' };
}

/** UNLOCK: the Extra Lock key's and the member key's signatures over this socket's join proof. */
export function encodeUnlock(lockSignature, memberSignature) {
  return concat(prefix(Kind.UNLOCK), lockSignature, memberSignature);
}

/** LOCK_REQUIRED: { params } to derive P with. */
export function decodeLockRequired(frame) {
  const reader = body(frame, Kind.LOCK_REQUIRED);
  const decoded = { params: readLockParams(reader) };
  reader.end();
  return decoded;
}

export function encodeLockRequired(params) {
  return concat(prefix(Kind.LOCK_REQUIRED), encodeLockParams(params));
}

export function decodeInviteRequired(frame) {
  const reader = body(frame, Kind.INVITE_REQUIRED);
  const decoded = { head: reader.take(32) };
  reader.end();
  return decoded;
}

export function decodeLeft(frame) {
  const reader = body(frame, Kind.LEFT);
  const decoded = { edPk: reader.take(32) };
  reader.end();
  return decoded;
}

/** { nonce }: the ACK that names `envelope` (its nonce), as the relay sends it once it has
 *  fanned the envelope out (PROTOCOL §5.3). */
export function ackForEnvelope(envelope) {
  return { nonce: envelope.subarray(ENVELOPE_NONCE_OFFSET, ENVELOPE_HEADER_SIZE) };
}

/** { nonce }: the relay fanned out the sender's envelope with this nonce. */
export function decodeAck(frame) {
  const reader = body(frame, Kind.ACK);
  const decoded = { nonce: reader.take(NONCE_SIZE) };
  reader.end();
  return decoded;
}

/** Encoders for frames only a server sends: tests build them to compare with the vectors. */
export const serverFrames = Object.freeze({
  challenge: ({ challenge, serverTimeMs }) => concat(prefix(Kind.CHALLENGE), challenge, u64(serverTimeMs)),
  welcome: ({ serverShard, genesis, logLength = 0 }) => concat(prefix(Kind.WELCOME), serverShard, u16(genesis.length), genesis, u32(logLength)),
  governance: (event) => concat(prefix(Kind.GOVERNANCE), event),
  created: () => prefix(Kind.CREATED),
  left: ({ edPk }) => concat(prefix(Kind.LEFT), edPk),
  knock: ({ edPk, binding }) => concat(prefix(Kind.KNOCK), edPk, encodeBinding(binding)),
  ack: ({ nonce }) => concat(prefix(Kind.ACK), nonce),
});

