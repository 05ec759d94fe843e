// The join and peek proofs: the auth key's signatures over a fresh challenge (PROTOCOL §5.2).
import { concat, u8, utf8 } from './codec.js';
import { Prefix, signPrefixed } from './signatures.js';

/** origin_len ‖ origin ‖ room_id ‖ challenge (signed after the PEEK prefix). */
export function peekProofBody(origin, roomId, challenge) {
  const rawOrigin = utf8(origin);
  if (rawOrigin.length < 1 || rawOrigin.length > 255) throw new Error('an origin is 1 to 255 bytes');
  return concat(u8(rawOrigin.length), rawOrigin, roomId, challenge);
}

/** origin_len ‖ origin ‖ room_id ‖ challenge ‖ ed_pk ‖ x_pk (signed after the prefix). */
export function joinProofBody(origin, roomId, challenge, edPk, xPk) {
  return concat(peekProofBody(origin, roomId, challenge), edPk, xPk);
}

/** The join signature sent in JOIN or CREATE. */
export function signJoin(authSeed, origin, roomId, challenge, edPk, xPk) {
  return signPrefixed(authSeed, Prefix.JOIN, joinProofBody(origin, roomId, challenge, edPk, xPk));
}

/** The Extra Lock key's signature over the same join proof body (UNLOCK, PROTOCOL §2.1). */
export function signUnlock(lockSeed, origin, roomId, challenge, edPk, xPk) {
  return signPrefixed(lockSeed, Prefix.UNLOCK, joinProofBody(origin, roomId, challenge, edPk, xPk));
}

/** The peek signature sent in PEEK: proves the link without offering member keys. */
export function signPeek(authSeed, origin, roomId, challenge) {
  return signPrefixed(authSeed, Prefix.PEEK, peekProofBody(origin, roomId, challenge));
}
