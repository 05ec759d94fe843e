// The genesis event that anchors a room (PROTOCOL §3).
import { Reader, concat, u8, u32, u64, utf8 } from './codec.js';
import { ProtocolError } from './errors.js';
import { LANES, withinBounds } from './extra-lock.js';
import { JOIN_RULES } from './join-rules.js';
import { ROUTING_MODES } from './routing-modes.js';
import { VERSION } from './frames.js';
import { Label, unkeyedHash } from './labels.js';
import { isValidPoint } from './crypto.js';
import { Prefix, signPrefixed, verifyPrefixed } from './signatures.js';

export const MAX_GENESIS_SIZE = 512;
const MALFORMED = 'genesis-malformed';

function originBytes(origin) {
  const raw = utf8(origin);
  if (raw.length < 1 || raw.length > 255 || raw.some((c) => c <= 32 || c >= 127)) {
    throw new Error('an origin is 1 to 255 printable ASCII characters');
  }
  return raw;
}

/** extra_lock u8 ‖ argon_m_kib u32 ‖ argon_t u32 ‖ argon_p u8 [‖ lock_pk when on]. */
function lockBytes(lock) {
  if (lock === null) return concat(u8(0), u32(0), u32(0), u8(0));
  return concat(u8(1), u32(lock.params.memoryKib), u32(lock.params.passes), u8(LANES), lock.lockPk);
}

/** Off: four zero fields (null). On: bounded parameters, one lane and a valid lock key. */
function readLock(reader) {
  const flag = reader.u8();
  const memoryKib = reader.u32();
  const passes = reader.u32();
  const lanes = reader.u8();
  if (flag === 0 && memoryKib === 0 && passes === 0 && lanes === 0) return null;
  if (flag !== 1 || lanes !== LANES || !withinBounds(memoryKib, passes)) {
    throw new ProtocolError(MALFORMED, 'extra lock parameters');
  }
  const lockPk = reader.take(32);
  if (!isValidPoint(lockPk)) throw new ProtocolError(MALFORMED, 'lock key');
  return Object.freeze({ params: Object.freeze({ memoryKib, passes }), lockPk });
}

/** The canonical body bytes both signatures cover. */
export function encodeGenesisBody(body) {
  const origin = originBytes(body.origin);
  const rule = JOIN_RULES.indexOf(body.joinRule);
  const mode = ROUTING_MODES.indexOf(body.routingMode);
  if (rule < 0 || mode < 0) throw new Error('unknown join rule or routing mode');
  return concat(
    u8(VERSION),
    body.roomId,
    u8(origin.length),
    origin,
    body.authPk,
    body.ownerEdPk,
    body.ownerXPk,
    u8(rule),
    u8(mode),
    u64(body.expiresAt),
    lockBytes(body.lock ?? null),
    body.vcommit,
  );
}

/** A signed genesis: { body, bodyBytes, ownerSig, authSig, raw }. */
export function signGenesis(body, ownerSeed, authSeed) {
  const bodyBytes = encodeGenesisBody(body);
  const ownerSig = signPrefixed(ownerSeed, Prefix.GENESIS, bodyBytes);
  const authSig = signPrefixed(authSeed, Prefix.GENESIS, bodyBytes);
  return Object.freeze({ body, bodyBytes, ownerSig, authSig, raw: concat(bodyBytes, ownerSig, authSig) });
}

/** Parse exactly; anything off throws ProtocolError('genesis-malformed'). */
export function decodeGenesis(raw) {
  if (raw.length > MAX_GENESIS_SIZE) throw new ProtocolError(MALFORMED, 'too long');
  const reader = new Reader(raw, MALFORMED);
  if (reader.u8() !== VERSION) throw new ProtocolError(MALFORMED, 'version');
  const roomId = reader.take(16);
  const originRaw = reader.take(reader.u8());
  if (originRaw.length < 1 || originRaw.some((c) => c <= 32 || c >= 127)) {
    throw new ProtocolError(MALFORMED, 'origin');
  }
  const origin = String.fromCharCode(...originRaw);
  const authPk = reader.take(32);
  const ownerEdPk = reader.take(32);
  const ownerXPk = reader.take(32);
  const ruleCode = reader.u8();
  const modeCode = reader.u8();
  const expiresAt = reader.u64();
  const lock = readLock(reader);
  const vcommit = reader.take(32);
  const bodyEnd = reader.offset;
  const ownerSig = reader.take(64);
  const authSig = reader.take(64);
  reader.end();
  if (ruleCode >= JOIN_RULES.length || modeCode >= ROUTING_MODES.length) {
    throw new ProtocolError(MALFORMED, 'join rule or routing mode');
  }
  const body = Object.freeze({
    roomId,
    origin,
    authPk,
    ownerEdPk,
    ownerXPk,
    joinRule: JOIN_RULES[ruleCode],
    routingMode: ROUTING_MODES[modeCode],
    expiresAt,
    vcommit,
    lock,
  });
  return Object.freeze({ body, bodyBytes: raw.subarray(0, bodyEnd), ownerSig, authSig, raw });
}

/** Both the owner's and the auth key's signatures verify strictly. */
export function genesisSignaturesValid(genesis) {
  return (
    verifyPrefixed(genesis.body.ownerEdPk, Prefix.GENESIS, genesis.bodyBytes, genesis.ownerSig) &&
    verifyPrefixed(genesis.body.authPk, Prefix.GENESIS, genesis.bodyBytes, genesis.authSig)
  );
}

/** `g`: the 16-byte genesis hash carried in the link. */
export function genesisHash(raw) {
  return unkeyedHash(Label.GENESIS, raw, 16);
}

/** The genesis as event 0 of the governance log. */
export function eventId(raw) {
  return unkeyedHash(Label.EVENT, raw);
}
