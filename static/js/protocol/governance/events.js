// Governance events: canonical bytes, signatures and ids (PROTOCOL §8.1).
import { Reader, concat, u16, u8 } from '../codec.js';
import { ed25519PublicKey } from '../crypto.js';
import { ProtocolError } from '../errors.js';
import { MAX_EVENT_SIZE, VERSION } from '../frames.js';
import { Label, unkeyedHash } from '../labels.js';
import { Prefix, signPrefixed, verifyPrefixed } from '../signatures.js';
import { GovernanceError } from './errors.js';

export { MAX_EVENT_SIZE };
export const MALFORMED = 'event-malformed';

export const EventKind = Object.freeze({
  ADMIT: 1,
  INVITE: 2,
  REVOKE_INVITE: 3,
  REDEEM: 4,
  KICK: 5,
  PROMOTE: 6,
  DEMOTE: 7,
  SET_JOIN_RULE: 8,
  LOCK: 9,
  END_ROOM: 10,
  REKEY: 11,
  KEYSHARE: 12,
  BIND: 13, // a newcomer in an open room binds its own keys, vouched for by the link
});

const KINDS = new Set(Object.values(EventKind));

/** Ordered first when branches meet: taking power away beats using it. */
export const REVOCATIONS = new Set([EventKind.KICK, EventKind.DEMOTE, EventKind.REVOKE_INVITE, EventKind.LOCK, EventKind.END_ROOM]);

/** The 32-byte id of an event (or of the genesis). */
export function eventId(raw) {
  return unkeyedHash(Label.EVENT, raw);
}

/** Sign a new event as the member whose Ed25519 seed is `authorSeed`. */
export function createEvent(kind, roomId, parent, authorSeed, payload) {
  const author = ed25519PublicKey(authorSeed);
  const body = concat(u8(VERSION), u8(kind), roomId, parent, author, u16(payload.length), payload);
  const raw = concat(body, signPrefixed(authorSeed, Prefix.EVENT, body));
  return Object.freeze({ kind, roomId, parent, author, payload, raw, id: eventId(raw) });
}

/** Parse and check the signature; GovernanceError event-malformed or bad-signature. */
export function decodeEvent(raw) {
  if (raw.length > MAX_EVENT_SIZE) throw new GovernanceError(MALFORMED, 'too long');
  let fields;
  try {
    const reader = new Reader(raw, MALFORMED);
    const version = reader.u8();
    const kind = reader.u8();
    const roomId = reader.take(16);
    const parent = reader.take(32);
    const author = reader.take(32);
    const payload = reader.take(reader.u16());
    const bodyEnd = reader.offset;
    const signature = reader.take(64);
    reader.end();
    fields = { version, kind, roomId, parent, author, payload, bodyEnd, signature };
  } catch (error) {
    if (error instanceof ProtocolError) throw new GovernanceError(MALFORMED, error.message);
    throw error;
  }
  if (fields.version !== VERSION) throw new GovernanceError(MALFORMED, 'version');
  if (!KINDS.has(fields.kind)) throw new GovernanceError(MALFORMED, 'kind');
  if (!verifyPrefixed(fields.author, Prefix.EVENT, raw.subarray(0, fields.bodyEnd), fields.signature)) {
    throw new GovernanceError('bad-signature');
  }
  const { kind, roomId, parent, author, payload } = fields;
  return Object.freeze({ kind, roomId, parent, author, payload, raw, id: eventId(raw) });
}
