// The join proof: the auth key's signature over a fresh challenge (PROTOCOL §5.2).
import { concat, u8, utf8 } from './bytes.js';
import { Prefix, signPrefixed } from './signatures.js';

/** origin_len ‖ origin ‖ room_id ‖ challenge ‖ ed_pk ‖ x_pk (signed after the prefix). */
export function joinProofBody(origin, roomId, challenge, edPk, xPk) {
  const rawOrigin = utf8(origin);
  if (rawOrigin.length < 1 || rawOrigin.length > 255) throw new Error('an origin is 1 to 255 bytes');
  return concat(u8(rawOrigin.length), rawOrigin, roomId, challenge, edPk, xPk);
}

/** The join signature sent in JOIN or CREATE. */
export function signJoin(authSeed, origin, roomId, challenge, edPk, xPk) {
  return signPrefixed(authSeed, Prefix.JOIN, joinProofBody(origin, roomId, challenge, edPk, xPk));
}
